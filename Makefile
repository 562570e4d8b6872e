# e-Kinerja: the two commands a newcomer needs are `make up` and `make test`.
.PHONY: help setup up down status logs test test-unit bench docs lint mutation

help:
	@echo "make up      - run the whole system locally (Kafka + 4 services on SQLite), load demo data"
	@echo "make down    - stop it"
	@echo "make test    - install what is missing, start Kafka + PostgreSQL, run all tests, stop them"
	@echo "make bench   - benchmarks, printing JSON"
	@echo "make mutation - mutation score of every domain module, printing JSON (slow)"
	@echo "make docs    - write OpenAPI and AsyncAPI documents to docs/api/"

setup:
	bash deploy/bootstrap.sh

up:
	bash deploy/local.sh up

down:
	bash deploy/local.sh down

status:
	bash deploy/local.sh status

logs:
	bash deploy/local.sh logs

test:
	bash deploy/test.sh $(PYTEST_ARGS)

test-unit: setup
	.venv/bin/python -m pytest tests/unit -q

bench: setup
	bash deploy/bench.sh

mutation: setup
	bash deploy/mutation.sh $(MUTATION_ARGS)

docs: setup
	EK_DATABASE_URL=sqlite+aiosqlite:///.run/docs.db .venv/bin/python deploy/export_docs.py docs/api

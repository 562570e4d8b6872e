# e-Kinerja: the two commands a newcomer needs are `make up` and `make test`.
.PHONY: help setup up down status logs test test-unit typecheck bench docs lint mutation screenshots

# Kafka profile of `make up`: single (default: one broker) or production (three brokers
# on this machine, replication factor 3, min.insync.replicas 2): make up KAFKA_PROFILE=production
# (or EK_KAFKA_PROFILE=production in the environment). `make down` stops what up started.
KAFKA_PROFILE ?=
export EK_KAFKA_PROFILE ?= $(KAFKA_PROFILE)

help:
	@echo "make up      - run the whole system locally (Kafka + 4 services on SQLite), load demo data"
	@echo "make down    - stop it"
	@echo "make test    - install what is missing, start Kafka + PostgreSQL, run all tests, stop them"
	@echo "make typecheck - mypy --strict on shared/ and the four services (also part of make test)"
	@echo "make test-cluster - the three-broker Kafka failover tests (production profile)"
	@echo "make test-faults - services, Kafka and PostgreSQL killed/restarted under load (own instances)"
	@echo "make bench   - benchmarks, printing JSON"
	@echo "make mutation - mutation score of every domain module, printing JSON (slow)"
	@echo "make docs    - write OpenAPI and AsyncAPI documents to docs/api/"
	@echo "make screenshots - the browser test, saving every main page at 1280 and 390 px to docs/screenshots/"

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

test: typecheck
	bash deploy/test.sh $(PYTEST_ARGS)

typecheck: setup
	.venv/bin/mypy shared/ekinerja_shared services/attendance/attendance services/activity/activity services/scoring/scoring services/gateway/gateway

test-unit: setup
	.venv/bin/python -m pytest tests/unit -q

bench:  # its stdout is the JSON alone (deploy/bench.sh sets up, on stderr)
	@bash deploy/bench.sh

mutation: setup
	bash deploy/mutation.sh $(MUTATION_ARGS)

# the browser test (tests/web) on the same set-up as `make test`, saving each main page
screenshots: setup
	mkdir -p docs/screenshots
	EK_SCREENSHOTS_DIR=$(CURDIR)/docs/screenshots bash deploy/test.sh tests/web -q

docs: setup
	EK_DATABASE_URL=sqlite+aiosqlite:///.run/docs.db .venv/bin/python deploy/export_docs.py docs/api

# The three-node Kafka tests (tests/integration/kafka_cluster): their own cluster on free
# ports under .run/kafka-cluster-test (three JVMs, ~2 minutes); needs Java and Maven only.
.PHONY: test-cluster
test-cluster: setup
	EK_TEST_KAFKA_CLUSTER=1 .venv/bin/python -m pytest tests/integration/kafka_cluster -q $(PYTEST_ARGS)

# The fault suite (tests/faults): under a load of punches and approvals each service is
# SIGKILLed and restarted, the broker and PostgreSQL are restarted, and one broker of three
# is killed; nothing may be lost or counted twice. It restarts PostgreSQL and Kafka, so it
# runs on throw-away instances of its own (deploy/test-faults.sh: PostgreSQL cluster
# "faults" on port 5433, Kafka on 24092/24192/24292, below the ephemeral port range), never on those of `make test`.
.PHONY: test-faults
test-faults: setup
	bash deploy/test-faults.sh -q $(PYTEST_ARGS)

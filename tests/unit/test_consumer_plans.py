"""The consumers of rare, large batches (the directory: a roster's thousands of employees)
plan each statement for its values; every other durable consumer keeps PostgreSQL's
cached plans (``UnitOfWork.custom_plans``, docs/perf/roster.md round 6)."""

import importlib

import pytest


@pytest.mark.parametrize("service", ["gateway", "attendance", "activity", "scoring"])
def test_only_the_directory_consumers_plan_each_statement(service, tmp_path, monkeypatch):
    monkeypatch.setenv("EK_DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path}/{service}.db")
    app = importlib.import_module(f"{service}.app").create_app()
    consumers = app.state.runtime.consumers
    assert consumers
    planned = {name for name, consumer in consumers.items() if consumer.custom_plans}
    assert planned == ({f"{service}-directory"} if service != "gateway" else set())

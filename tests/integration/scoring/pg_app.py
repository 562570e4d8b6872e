"""The scoring app of an integration test, on an emptied PostgreSQL database: it connects
as the application role (row-level security applies to it) and migrates as the owner."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI

from scoring.app import create_app
from scoring.settings import Settings
from tests.support.infra import pg_app_url, pg_url, reset_database
from tests.support.tokens import TEST_JWKS_JSON


async def fresh_app(kafka_bootstrap: str, group_prefix: str, **settings: Any) -> FastAPI:
    await reset_database(pg_url("scoring"))
    return create_app(Settings(database_url=pg_app_url("scoring"),
                               migration_database_url=pg_url("scoring"),
                               auth_jwks=TEST_JWKS_JSON, kafka_bootstrap=kafka_bootstrap,
                               consumer_group_prefix=group_prefix, **settings))

from __future__ import annotations

import asyncio
import contextlib
import socket
from collections.abc import AsyncIterator
from typing import Any

import pytest
import uvicorn

from gateway.settings import Settings
from tests.support import infra
from tests.support.apps import eventually
from tests.support.tokens import TEST_JWKS_JSON


@pytest.fixture(scope="session")
async def gateway_db() -> str:
    url = infra.pg_url("gateway")
    await infra.reset_database(url)
    return url


@pytest.fixture
def settings(gateway_db: str, kafka_bootstrap: str, group_prefix: str) -> Settings:
    """The gateway connects as its application role (row-level security applies) and
    migrates as the owner; it accepts the tests' tokens (tests/support/tokens.py) besides
    its own."""
    return Settings(database_url=infra.pg_app_url("gateway"), migration_database_url=gateway_db,
                    kafka_bootstrap=kafka_bootstrap, consumer_group_prefix=group_prefix,
                    stream_heartbeat_s=1, admin_token=None, auth_jwks=TEST_JWKS_JSON)


@contextlib.asynccontextmanager
async def serve_loopback(app: Any) -> AsyncIterator[str]:
    """Serve an ASGI app with uvicorn (real lifespan, real sockets) on a free loopback port."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, lifespan="on", log_level="warning",
                                           timeout_graceful_shutdown=5))
    task = asyncio.create_task(server.serve(sockets=[sock]))

    async def started() -> bool:
        if task.done():
            task.result()
            raise AssertionError("server stopped during start-up")
        return server.started

    try:
        await eventually(started, timeout=90)
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await task
        sock.close()


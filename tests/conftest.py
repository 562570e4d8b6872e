from __future__ import annotations

import pytest

from tests.support import infra


@pytest.fixture(scope="session")
def kafka_bootstrap() -> str:
    return infra.kafka_bootstrap()


@pytest.fixture
def tenant_id() -> str:
    return infra.unique("t")


@pytest.fixture
def group_prefix() -> str:
    return infra.unique("test")

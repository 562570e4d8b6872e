from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from ekinerja_shared.db import make_engine, make_sessionmaker
from ekinerja_shared.migrations import upgrade_async


@pytest.fixture
async def sessionmaker(tmp_path: Path) -> AsyncIterator[object]:
    """A migrated SQLite database of the scoring service (the same migrations as PG)."""
    url = f"sqlite+aiosqlite:///{tmp_path / 'scoring.db'}"
    await upgrade_async("scoring", url)
    engine = make_engine(url)
    try:
        yield make_sessionmaker(engine)
    finally:
        await engine.dispose()

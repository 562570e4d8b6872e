"""``ekinerja_shared.collector``: a service process freezes what its start built out of
later collections and collects its youngest generation less often (0 keeps Python's); a
rebuild does the same for its duration only."""

from __future__ import annotations

import gc
from collections.abc import Iterator

import pytest

from ekinerja_shared.collector import few_collections, tune_gc


@pytest.fixture
def restored_gc() -> Iterator[None]:
    threshold = gc.get_threshold()
    yield
    gc.unfreeze()
    gc.set_threshold(*threshold)


def test_start_is_frozen_and_young_threshold_raised(restored_gc: None) -> None:
    _, older, oldest = gc.get_threshold()
    tune_gc(50_000)
    assert gc.get_freeze_count() > 0
    assert gc.get_threshold() == (50_000, older, oldest)


def test_zero_keeps_pythons_threshold(restored_gc: None) -> None:
    before = gc.get_threshold()
    tune_gc(0)
    assert gc.get_threshold() == before and gc.get_freeze_count() > 0


def test_few_collections_is_undone_after() -> None:
    before = gc.get_threshold()
    with few_collections(100_000):
        assert gc.get_threshold()[0] == 100_000
        assert gc.get_freeze_count() > 0
    assert gc.get_threshold() == before and gc.get_freeze_count() == 0

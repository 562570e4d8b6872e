"""Python's cyclic garbage collector for the services' hot paths (one way for every
process): what is alive when it starts (the modules, the pydantic and SQLAlchemy schemas)
is frozen out of later collections, and the youngest generation is collected after many
more allocations than Python's 700. A consumer batch of 1,000 events or a rebuild's chunk
allocates hundreds of thousands of short-lived objects: with the defaults some 250 young
and 2 full collections ran per 10,000 roster events, a fifth of attendance's apply time,
and 3-4 full collections per 20,000 replayed events, about 0.5 s of a rebuild's 1.7-2.0 s
of CPU (measured with ``gc.callbacks``; docs/perf/roster.md, docs/perf/rebuild.md). Memory
stays bounded: collections still run, and the cycles these paths make are few."""

from __future__ import annotations

import contextlib
import gc
from collections.abc import Iterator


def tune_gc(young_threshold: int) -> None:
    """For the rest of a service process (``service.serve``): the start frozen, and the
    youngest generation collected every ``young_threshold`` allocations (0 keeps
    Python's)."""
    gc.collect()
    gc.freeze()
    if young_threshold > 0:
        _, older, oldest = gc.get_threshold()
        gc.set_threshold(young_threshold, older, oldest)


@contextlib.contextmanager
def few_collections(young_threshold: int = 100_000) -> Iterator[None]:
    """The same for a bounded piece of work (a rebuild), Python's settings restored after."""
    threshold = gc.get_threshold()
    gc.freeze()
    gc.set_threshold(young_threshold, *threshold[1:])
    try:
        yield
    finally:
        gc.set_threshold(*threshold)
        gc.unfreeze()

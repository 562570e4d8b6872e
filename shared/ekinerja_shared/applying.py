"""What apply functions, the consumer and the quarantine share: the apply types and
``in_order``, the grouping of a batch by regency, ``PoisonEvent`` (an event that can never
apply), the test for transient faults, and text a quarantine row can hold.

Split from ``consumer`` (``EventConsumer``) so that each fits in one read."""

from __future__ import annotations

import base64
from collections.abc import Awaitable, Callable

from sqlalchemy.exc import DBAPIError, DisconnectionError, InterfaceError, OperationalError
from sqlalchemy.ext.asyncio import AsyncSession

from .events import Event


def storable_text(text: str) -> str:
    """Text a database column can hold: PostgreSQL refuses NUL in text, so it is written as
    the visible escape ``\\x00``."""
    return text.replace("\x00", "\\x00")


def storable_raw(raw: bytes | str) -> tuple[str, dict[str, str]]:
    """The quarantine's ``raw`` column, readable, and context to add: where that text is not
    the payload byte for byte (invalid UTF-8, NUL bytes), ``raw_b64`` keeps the exact bytes."""
    data = raw.encode("utf-8", errors="surrogatepass") if isinstance(raw, str) else raw
    text = storable_text(data.decode("utf-8", errors="replace"))
    if text.encode("utf-8") == data:
        return text, {}
    return text, {"raw_b64": base64.b64encode(data).decode("ascii")}


class PoisonEvent(Exception):
    """Raised by an apply function: this event can never be applied; quarantine it."""


def is_transient(exc: BaseException) -> bool:
    """A fault of the surroundings (database or network away), not of the record."""
    if isinstance(exc, DBAPIError):
        return bool(exc.connection_invalidated) or isinstance(
            exc, (OperationalError, InterfaceError))
    return isinstance(exc, (DisconnectionError, ConnectionError, TimeoutError, OSError))


Apply = Callable[[AsyncSession, Event], Awaitable[None]]
ApplyBatch = Callable[[AsyncSession, list[Event]], Awaitable[None]]


def by_tenant(events: list[Event]) -> list[tuple[str, list[Event]]]:
    """The events grouped by regency, each group in the order of the batch (one key's
    events belong to one regency, so per-key order is kept), the regencies in one sorted
    order so that consumers taking per-regency locks always take them in the same order
    (no deadlock between two consumers' batches)."""
    groups: dict[str, list[Event]] = {}
    for event in events:
        groups.setdefault(event.tenant_id, []).append(event)
    return sorted(groups.items())


def in_order(apply_one: Apply) -> ApplyBatch:
    """An ``ApplyBatch`` that applies the events one after the other (partition order: a
    later state replaces an earlier one)."""

    async def apply_batch(session: AsyncSession, events: list[Event]) -> None:
        for event in events:
            await apply_one(session, event)

    return apply_batch

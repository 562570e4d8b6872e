"""The quarantine API every service mounts under its regency prefix
(``create_service_app(..., api_prefix=...)``):

- ``GET .../quarantine?status=&source=&limit=&before_id=``: the regency's entries, newest
  first (``open`` by default);
- ``GET .../quarantine/{id}``: one entry with its raw payload (``raw``; ``raw_b64`` where
  that text is not the payload byte for byte) and its context;
- ``POST .../quarantine/{id}/replay``: apply a Kafka record again after the cause was fixed,
  through the consumer that quarantined it and its inbox, in one transaction with the
  entry's new status: applied at most once, also when it was applied meanwhile;
- ``POST .../quarantine/{id}/discard {"reason": ..}``: set it aside for good; the entry is
  kept with the reason, who and when.

Only the regency's HR and the platform operator; the transactions are bound to the path's
regency (row-level security), so an entry without a known regency (an undecodable payload)
is not listed here. Counted in ``ekinerja_quarantine_replayed_total`` and
``ekinerja_quarantine_discarded_total``.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import logging
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Query, Request
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from .applying import PoisonEvent, storable_text
from .consumer import EventConsumer
from .errors import Conflict, DomainError, NotFound
from .http import TenantHrDep, TenantUowDep, runtime_of
from .identity import Caller
from .timeutil import utcnow

log = logging.getLogger(__name__)

OPEN, REPLAYED, DISCARDED = "open", "replayed", "discarded"
KAFKA_PREFIX = "kafka:"
EntryId = Annotated[int, Path(ge=1, le=2**63 - 1)]


class QuarantineEntry(BaseModel):
    id: int
    source: str
    tenant_id: str | None
    reason: str
    received_at: dt.datetime
    status: str  # open, replayed, discarded
    replayable: bool  # a Kafka record of a consumer of this service
    resolved_at: dt.datetime | None
    resolved_by: str | None
    resolution: str | None

    @classmethod
    def of(cls, row: Any, consumers: dict[str, EventConsumer]) -> "QuarantineEntry":
        return cls(id=row.id, source=row.source, tenant_id=row.tenant_id, reason=row.reason,
                   received_at=row.received_at, status=row.status,
                   replayable=_consumer_of(row, consumers) is not None,
                   resolved_at=row.resolved_at, resolved_by=row.resolved_by,
                   resolution=row.resolution)


class QuarantineDetail(QuarantineEntry):
    raw: str
    raw_b64: str | None  # the exact bytes, where ``raw`` is not them
    context: dict[str, Any]

    @classmethod
    def of(cls, row: Any, consumers: dict[str, EventConsumer]) -> "QuarantineDetail":
        entry = QuarantineEntry.of(row, consumers)
        return cls(**entry.model_dump(), raw=row.raw, raw_b64=row.context.get("raw_b64"),
                   context=row.context)


class DiscardIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reason: str = Field(min_length=3, max_length=1000, description="why it is set aside")


def _consumer_of(row: Any, consumers: dict[str, EventConsumer]) -> EventConsumer | None:
    if not row.source.startswith(KAFKA_PREFIX):
        return None
    return consumers.get(str(row.context.get("consumer", "")))


def _payload(row: Any) -> bytes:
    exact = row.context.get("raw_b64")
    if exact:
        try:
            return base64.b64decode(exact, validate=True)
        except (binascii.Error, ValueError):
            pass
    return str(row.raw).encode("utf-8")


async def _open_entry(session: AsyncSession, model: type[Any], entry_id: int) -> Any:
    row = await session.get(model, entry_id, with_for_update=True)
    if row is None:  # another regency's entries are not visible (row-level security)
        raise NotFound("Entri karantina tidak ditemukan.", code="quarantine_not_found")
    if row.status != OPEN:
        raise Conflict(f"Entri karantina ini sudah ditangani ({row.status}).",
                       code="quarantine_resolved")
    return row


def _resolve(row: Any, status: str, actor: str, resolution: str) -> None:
    row.status, row.resolved_at, row.resolved_by = status, utcnow(), actor[:128]
    row.resolution = storable_text(resolution)[:1000]


# --- use cases (each takes the session first; run by the unit of work) --------------------


async def list_entries(session: AsyncSession, model: type[Any], *, status: str | None,
                       source: str | None, limit: int, before_id: int | None) -> list[Any]:
    query = select(model).order_by(model.id.desc()).limit(limit)
    if status is not None:
        query = query.where(model.status == status)
    if source is not None:
        query = query.where(model.source == source)
    if before_id is not None:
        query = query.where(model.id < before_id)
    return list((await session.scalars(query)).all())


async def get_entry(session: AsyncSession, model: type[Any], entry_id: int) -> Any:
    row = await session.get(model, entry_id)
    if row is None:
        raise NotFound("Entri karantina tidak ditemukan.", code="quarantine_not_found")
    return row


async def replay_entry(session: AsyncSession, model: type[Any],
                       consumers: dict[str, EventConsumer], entry_id: int, actor: str) -> Any:
    """Apply the entry's event again through its consumer; the entry is ``replayed`` in the
    same transaction. Refused (409) when it is no Kafka record of this service, still
    undecodable, or fails again (nothing is committed then)."""
    row = await _open_entry(session, model, entry_id)
    consumer = _consumer_of(row, consumers)
    if consumer is None:
        raise Conflict("Entri ini tidak dapat diterapkan ulang dari sini: perbaiki sumbernya "
                       "(mis. kirim ulang dari mesin) atau buang dengan alasan.",
                       code="not_replayable")
    event = consumer.decode(_payload(row))
    if isinstance(event, str):
        raise Conflict(f"Isi entri masih tidak dapat dibaca: {event[:300]}",
                       code="replay_failed")
    if not isinstance(event, consumer.accept) or event.tenant_id != row.tenant_id:
        raise Conflict("Peristiwa ini bukan untuk konsumen yang mengarantinanya.",
                       code="not_replayable")
    try:
        applied = await consumer.replay(session, event)
    except DomainError:
        raise
    except PoisonEvent as exc:
        raise Conflict(f"Masih gagal diterapkan: {str(exc)[:300]}", code="replay_failed") from exc
    _resolve(row, REPLAYED, actor, "Diterapkan ulang." if applied else
             "Sudah diterapkan sebelumnya; tidak diterapkan dua kali.")
    return row


async def discard_entry(session: AsyncSession, model: type[Any], entry_id: int, actor: str,
                        reason: str) -> Any:
    row = await _open_entry(session, model, entry_id)
    _resolve(row, DISCARDED, actor, reason)
    return row


# --- routes ---------------------------------------------------------------------------------


def _actor(caller: Caller) -> str:
    return caller.nip or caller.subject


def quarantine_router(prefix: str) -> APIRouter:
    """The quarantine routes under ``prefix`` (which holds ``{tenant_id}``)."""
    router = APIRouter(prefix=f"{prefix}/quarantine", tags=["quarantine"])

    @router.get("", response_model=list[QuarantineEntry],
                summary="Quarantined inputs of the regency, newest first (HR, operator)")
    async def list_quarantine(
        request: Request, _caller: TenantHrDep, uow: TenantUowDep,
        status: Literal["open", "replayed", "discarded", "all"] = "open",
        source: Annotated[str | None, Query(max_length=128)] = None,
        limit: Annotated[int, Query(ge=1, le=500)] = 100,
        before_id: Annotated[int | None, Query(ge=1, le=2**63 - 1)] = None,
    ) -> list[QuarantineEntry]:
        rt = runtime_of(request)
        async with uow.read() as session:
            rows = await list_entries(session, rt.quarantine_model,
                                      status=None if status == "all" else status,
                                      source=source, limit=limit, before_id=before_id)
        return [QuarantineEntry.of(r, rt.consumers) for r in rows]

    @router.get("/{entry_id}", response_model=QuarantineDetail,
                summary="One quarantined input with its raw payload (HR, operator)")
    async def inspect_quarantine(request: Request, entry_id: EntryId, _caller: TenantHrDep,
                                 uow: TenantUowDep) -> QuarantineDetail:
        rt = runtime_of(request)
        async with uow.read() as session:
            row = await get_entry(session, rt.quarantine_model, entry_id)
        return QuarantineDetail.of(row, rt.consumers)

    @router.post("/{entry_id}/replay", response_model=QuarantineEntry,
                 summary="Apply a quarantined event again, after a fix (HR, operator)")
    async def replay_quarantine(request: Request, entry_id: EntryId, caller: TenantHrDep,
                                uow: TenantUowDep) -> QuarantineEntry:
        rt = runtime_of(request)
        try:
            row = await uow.run(replay_entry, rt.quarantine_model, rt.consumers, entry_id,
                                _actor(caller))
        except DomainError:
            raise
        except Exception as exc:  # the apply failed again: the entry stays open
            log.warning("replay of quarantine entry %d failed: %r", entry_id, exc)
            raise Conflict(f"Masih gagal diterapkan: {exc!r}"[:400],
                           code="replay_failed") from exc
        rt.metrics.quarantine_replayed.labels(row.source).inc()
        log.info("quarantine entry %d (%s) replayed by %s", row.id, row.source, row.resolved_by)
        return QuarantineEntry.of(row, rt.consumers)

    @router.post("/{entry_id}/discard", response_model=QuarantineEntry,
                 summary="Set a quarantined input aside for good, with a reason (HR, operator)")
    async def discard_quarantine(request: Request, entry_id: EntryId, body: DiscardIn,
                                 caller: TenantHrDep, uow: TenantUowDep) -> QuarantineEntry:
        rt = runtime_of(request)
        row = await uow.run(discard_entry, rt.quarantine_model, entry_id, _actor(caller),
                            body.reason)
        rt.metrics.quarantine_discarded.labels(row.source).inc()
        log.info("quarantine entry %d (%s) discarded by %s", row.id, row.source, row.resolved_by)
        return QuarantineEntry.of(row, rt.consumers)

    return router

"""The audit helper: the record's actor is the token's caller, the record is staged in the
use case's own transaction (committed with it, nothing when it is refused or fails), a
read is recorded in a transaction of its own, and detail is kept small."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import String, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from ekinerja_shared import events as ev
from ekinerja_shared.audit import Auditor, Source, fields, small_detail
from ekinerja_shared.db import make_engine, make_sessionmaker
from ekinerja_shared.errors import DomainError
from ekinerja_shared.identity import Caller, Role
from ekinerja_shared.topics import AUDIT, topic_for
from ekinerja_shared.uow import UnitOfWork
from tests.support.plumbing_models import Base, Outbox

HR = Caller(subject="kendari:199001172015031002", tenant_id="kendari",
            nip="199001172015031002", roles=frozenset({Role.HR, Role.EMPLOYEE}))
SOURCE = Source(ip="10.0.0.5", forwarded_for="203.0.113.7", user_agent="curl/8")


class Holiday(Base):
    __tablename__ = "audit_test_holidays"
    day: Mapped[str] = mapped_column(String(10), primary_key=True)
    name: Mapped[str] = mapped_column(String(50))


@pytest.fixture
async def uow(tmp_path: Path):
    engine = make_engine(f"sqlite+aiosqlite:///{tmp_path / 'audit.db'}")
    async with engine.begin() as conn:
        await conn.run_sync(Base.metadata.create_all)
    yield UnitOfWork(make_sessionmaker(engine))
    await engine.dispose()


def auditor(uow: UnitOfWork, caller: Caller = HR) -> Auditor:
    return Auditor(service="attendance", caller=caller, source=SOURCE, outbox_model=Outbox,
                   uow=uow, base_detail={"method": "PUT", "path": "/x"})


async def staged(uow: UnitOfWork) -> list[ev.AuditRecorded]:
    async with uow.read() as session:
        rows = (await session.scalars(select(Outbox).order_by(Outbox.id))).all()
    events = [ev.parse_event(r.payload) for r in rows]
    assert all(r.topic == AUDIT.name and r.key == "kendari:*" for r in rows)
    return [e for e in events if isinstance(e, ev.AuditRecorded)]


async def set_holiday(session: AsyncSession, day: str, name: str) -> Holiday:
    row = Holiday(day=day, name=name)
    session.add(row)
    return row


async def test_the_record_names_the_callers_token_and_source(uow) -> None:
    event = auditor(uow).event(
        "kendari", "attendance.holiday.set", target="2026-12-25", detail={"name": "Natal"})
    assert topic_for(event) is AUDIT
    assert (event.actor, event.actor_nip, event.actor_kind, event.actor_roles) == (
        HR.subject, HR.nip, "user", ["employee", "hr"])
    assert (event.source_ip, event.forwarded_for, event.user_agent) == (
        "10.0.0.5", "203.0.113.7", "curl/8")
    assert event.detail == {"method": "PUT", "path": "/x", "name": "Natal"}
    assert ev.parse_event(ev.dump_event(event)) == event


async def test_a_change_and_its_record_commit_together(uow) -> None:
    hook = auditor(uow).on_success("kendari", "attendance.holiday.set",
                                   describe=fields("name", target="day"))
    await uow.in_tenant("kendari").audited(hook).run(set_holiday, "2026-12-25", "Natal")
    [record] = await staged(uow)
    assert (record.action, record.target, record.detail["name"]) == (
        "attendance.holiday.set", "2026-12-25", "Natal")
    assert record.tenant_id == "kendari" and record.actor == HR.subject


async def test_a_refused_or_failed_change_records_nothing(uow) -> None:
    hook = auditor(uow).on_success("kendari", "attendance.holiday.set", target="2026-12-25")

    async def refused(session: AsyncSession) -> None:
        await set_holiday(session, "2026-12-25", "Natal")
        raise DomainError("Ditolak.", code="refused")

    with pytest.raises(DomainError):
        await uow.audited(hook).run(refused)

    def fails_after_staging(session: AsyncSession, result: Any) -> None:
        hook(session, result)  # the record is staged, then the transaction fails
        raise RuntimeError("commit never happens")

    with pytest.raises(RuntimeError):
        await uow.audited(fails_after_staging).run(set_holiday, "2026-12-26", "Cuti bersama")
    assert await staged(uow) == []
    async with uow.read() as session:
        assert (await session.scalars(select(Holiday))).all() == []


async def test_a_read_is_recorded_in_its_own_transaction(uow) -> None:
    client = Caller(subject="client:payroll", tenant_id="kendari", nip=None,
                    scopes=frozenset({"tpp:read"}), kind="client")
    await auditor(uow, client).record("kendari", "scoring.tpp.export", target="2026-11",
                                      detail={"format": "xlsx"})
    [record] = await staged(uow)
    assert (record.actor, record.actor_nip, record.actor_kind) == (
        "client:payroll", None, "client")
    # the unit of work itself is not left audited
    await uow.run(set_holiday, "2026-12-25", "Natal")
    assert len(await staged(uow)) == 1


def test_detail_is_kept_small() -> None:
    assert small_detail({"n": 1, "day": __import__("datetime").date(2026, 1, 2)}) == {
        "n": 1, "day": "2026-01-02"}
    cut = small_detail({"ids": ["x" * 36] * 500, "n": 3})
    assert cut["n"] == 3 and cut["ids"].endswith("...")
    assert len(json.dumps(cut)) <= ev.AUDIT_DETAIL_MAX_BYTES
    many = small_detail({f"k{i}": "y" * 190 for i in range(100)})
    assert many["truncated"] is True and len(many["keys"]) == 20
    with pytest.raises(ValueError):
        ev.AuditRecorded(tenant_id="t", service="s", action="a", actor="x",
                         detail={"big": "z" * 5000})

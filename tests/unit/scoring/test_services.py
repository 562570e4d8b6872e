"""The service layer on a migrated SQLite database: facts stored under natural keys,
scores recomputed and staged to the outbox in the same transaction."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal as D

from sqlalchemy import func, select

from ekinerja_shared import events as ev
from scoring.adapters.orm import Outbox, ScoreRow
from scoring.service_layer import services

T = "t-svc"
NIP = "199001012020121001"


def tenant(preset: str = "performance60_discipline40", **kw) -> ev.TenantUpserted:
    return ev.TenantUpserted(tenant_id=T, name="Kota Uji", timezone="Asia/Jakarta",
                             policy_preset=preset, **kw)


def employee(**kw) -> ev.EmployeeUpserted:
    data = dict(tenant_id=T, nip=NIP, name="Budi", unit_id="dinkes", tpp_base=D("5000000"),
                employment_type="PNS")
    data.update(kw)
    return ev.EmployeeUpserted(**data)


def day(d: int, deduction: str, revision: int = 1, apel: bool | None = None):
    return ev.AttendanceDayEvaluated(tenant_id=T, nip=NIP, work_date=dt.date(2026, 11, d),
                                     revision=revision, deduction_pct=D(deduction),
                                     apel_attended=apel)


def entry(minutes: int, version: int = 2, kind=ev.ActivityEntryApproved, entry_id=None):
    return kind(tenant_id=T, entry_id=entry_id or uuid.uuid4(), nip=NIP,
                work_date=dt.date(2026, 11, 3), minutes=minutes, version=version)


def entries(total: int) -> list[ev.ActivityEntryApproved]:
    """Approved entries of 300 minutes each, one per day from the 2nd."""
    return [
        ev.ActivityEntryApproved(tenant_id=T, entry_id=uuid.uuid4(), nip=NIP,
                                 work_date=dt.date(2026, 11, 2 + i % 28), minutes=300,
                                 version=2)
        for i in range(total // 300)
    ]


def calendar(days: str, revision: int = 1, nip: str | None = None):
    return ev.EffectiveDaysPublished(tenant_id=T, period="2026-11", nip=nip,
                                     effective_days=D(days), revision=revision)


async def apply(sm, *events) -> list[ScoreRow]:
    async with sm() as session, session.begin():
        return await services.apply_events(session, list(events))


async def score(sm) -> ScoreRow:
    async with sm() as session:
        return await services.get_score(session, T, NIP, "2026-11")


async def staged(sm) -> list[ev.ScoreUpdated]:
    async with sm() as session:
        rows = (await session.scalars(select(Outbox).order_by(Outbox.id))).all()
    return [ev.parse_event(r.payload) for r in rows]  # type: ignore[misc]


async def test_score_follows_facts_and_publishes_through_outbox(sessionmaker) -> None:
    sm = sessionmaker
    *rest, e1 = entries(3000)
    await apply(sm, tenant(), employee(), calendar("20"), day(2, "2.5"), *rest, e1)
    s = await score(sm)
    # 3,000 / 6,000 = 50.00; attendance 97.50 -> 30 + 39 = 69.00; TPP 3,450,000
    assert (s.final_pct, s.tpp_amount, s.version) == (D("69.00"), D("3450000"), 1)
    out = await staged(sm)
    assert len(out) == 1 and out[0].final_pct == D("69.00") and out[0].version == 1
    assert out[0].cause_type == e1.event_type and out[0].cause_event_id == e1.event_id
    assert {c.name: c.value_pct for c in out[0].components} == {
        "performance": D("50.00"), "discipline": D("97.50")}

    # a revoked entry (higher version) no longer counts: 2,700 / 6,000 = 45.00 -> 66.00;
    # the approval arriving late (lower version) is stale
    await apply(sm, entry(300, version=3, kind=ev.ActivityEntryRevoked, entry_id=e1.entry_id))
    assert (await score(sm)).final_pct == D("66.00")
    await apply(sm, entry(300, version=2, entry_id=e1.entry_id))
    s = await score(sm)
    assert (s.final_pct, s.version) == (D("66.00"), 2)

    # a later revision of the day replaces the earlier one; a stale one changes nothing
    await apply(sm, day(2, "0", revision=2))
    await apply(sm, day(2, "5", revision=1))
    s = await score(sm)
    assert (s.final_pct, s.version) == (D("67.00"), 3)
    assert len(await staged(sm)) == 3


async def test_a_batch_of_days_scores_as_its_days_beside_v1_days(sessionmaker) -> None:
    """An ``AttendanceDaysEvaluated`` (v2) is stored as its days: one revision order with
    the v1 days of the same employee-day, whichever version carried them."""
    sm = sessionmaker
    batch = ev.AttendanceDaysEvaluated(tenant_id=T, lane=ev.lane_of(T, NIP), days=[
        ev.EvaluatedDay(nip=NIP, work_date=dt.date(2026, 11, 2), revision=1,
                        deduction_pct=D("2.5")),
        ev.EvaluatedDay(nip=NIP, work_date=dt.date(2026, 11, 3), revision=1,
                        deduction_pct=D("1"))])
    await apply(sm, tenant(), employee(), calendar("20"), *entries(3000))
    await apply(sm, batch)
    s = await score(sm)
    # 3,000 / 6,000 = 50.00; attendance 100 - 3.5 = 96.50 -> 30 + 38.60 = 68.60
    assert s.final_pct == D("68.60")
    last = (await staged(sm))[-1]
    assert last.cause_type == "attendance.day.evaluated"
    assert last.cause_event_id == batch.each_day()[-1].event_id  # the day's own id
    # a v1 revision 2 of the 2nd replaces the batch's revision 1; the batch again is stale
    await apply(sm, day(2, "0", revision=2))
    assert (await score(sm)).final_pct == D("69.60")
    await apply(sm, batch.model_copy(update={"event_id": uuid.uuid4()}))
    s = await score(sm)
    assert (s.final_pct, s.version) == (D("69.60"), 3)


async def test_facts_before_directory_use_defaults_then_directory_applies(sessionmaker) -> None:
    sm = sessionmaker
    await apply(sm, day(2, "10"), *entries(6300))
    s = await score(sm)
    # unknown tenant: default policy 60/40; Nov 2026 has 21 weekdays -> 6,300 minutes
    assert (s.final_pct, s.tpp_base, s.tpp_amount) == (D("96.00"), 0, 0)
    await apply(sm, employee(employment_type="CPNS"))
    s = await score(sm)
    assert (s.tpp_base, s.tpp_amount, s.unit_id) == (D("5000000"), D("3840000"), "dinkes")
    # the tenant's preset arrives: cilegon (apel not recorded -> collective 100)
    await apply(sm, tenant("cilegon"))
    s = await score(sm)
    # 52.5 + 30 x 90 / 100 + 17.5 = 97.00; CPNS 80% of 4,850,000
    assert (s.final_pct, s.tpp_amount, s.policy_name) == (D("97.00"), D("3880000"), "cilegon")
    # an older directory state does not overwrite a newer one
    old = employee(tpp_base=D("1"), occurred_at=dt.datetime(2020, 1, 1, tzinfo=dt.UTC))
    await apply(sm, old)
    assert (await score(sm)).tpp_base == D("5000000")


async def test_employee_calendar_beats_tenant_default(sessionmaker) -> None:
    sm = sessionmaker
    await apply(sm, tenant(), employee(), *entries(3000), calendar("25"))
    assert (await score(sm)).effective_minutes == D("7500")
    await apply(sm, calendar("20", nip=NIP))
    assert (await score(sm)).effective_minutes == D("6000")
    await apply(sm, calendar("10", revision=2))  # a new tenant default: own schedule wins
    s = await score(sm)
    assert s.effective_minutes == D("6000")
    async with sm() as session:
        n = await session.scalar(select(func.count()).select_from(ScoreRow))
    assert n == 1

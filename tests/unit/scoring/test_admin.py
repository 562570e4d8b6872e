"""Policy versions, compliance entries, month close/reopen with late facts and the unit
collective component, on a migrated SQLite database."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal as D

import pytest
from sqlalchemy import select

from ekinerja_shared import events as ev
from ekinerja_shared.errors import Conflict, DomainError
from ekinerja_shared.uow import UnitOfWork
from scoring.adapters import repository as repo
from scoring.adapters.orm import Outbox, ScoreRow
from scoring.domain.policy import policy_from_dict, preset
from scoring.service_layer import admin, check, services

T = "t-admin"


def emp(nip: str, unit: str, base: str = "1000000") -> ev.EmployeeUpserted:
    return ev.EmployeeUpserted(tenant_id=T, nip=nip, name=nip, unit_id=unit,
                               tpp_base=D(base))


def work(nip: str, minutes: int, month: int = 10, day: int = 1) -> list[ev.Event]:
    out: list[ev.Event] = []
    while minutes > 0:
        out.append(ev.ActivityEntryApproved(
            tenant_id=T, entry_id=uuid.uuid4(), nip=nip, work_date=dt.date(2026, month, day),
            minutes=min(300, minutes), version=2))
        minutes -= 300
        day += 1
    return out


def cal(month: int = 10) -> ev.EffectiveDaysPublished:
    return ev.EffectiveDaysPublished(tenant_id=T, period=f"2026-{month:02d}",
                                     effective_days=D(20), revision=1)


async def apply(sm, *events) -> None:
    async with sm() as session, session.begin():
        await services.apply_events(session, list(events))


async def get(sm, nip: str, period: str = "2026-10"):
    async with sm() as session:
        return await services.get_score(session, T, nip, period)


async def outbox_types(sm) -> list[str]:
    async with sm() as session:
        return list((await session.scalars(select(Outbox.event_type).order_by(Outbox.id))).all())


async def test_policy_versions_apply_from_their_month(sessionmaker) -> None:
    sm = sessionmaker
    await apply(sm, emp("N1", "u1"), cal(10), cal(11), *work("N1", 3000, 10),
                *work("N1", 3000, 11))
    # default 60/40: performance 50 -> 30 + 40 = 70
    assert (await get(sm, "N1")).final_pct == D("70.00")
    async with sm() as session, session.begin():
        rows = await admin.set_policy(session, T, "2026-11", preset("cilegon"), actor="bkpsdm")
    assert [r.period for r in rows] == ["2026-11"]  # October keeps its policy
    assert (await get(sm, "N1")).final_pct == D("70.00")
    # cilegon: 52.5 x 50% + 30 + 17.5 (no apel recorded) = 73.75
    nov = await get(sm, "N1", "2026-11")
    assert (nov.final_pct, nov.policy_name, nov.tpp_amount) == (D("73.75"), "cilegon",
                                                                D("737500"))
    async with sm() as session:
        assert [p.effective_period for p in await admin.list_policies(session, T)] == [
            "2026-11"]
        assert await check.check(session, T) == []


async def test_compliance_entered_by_hr(sessionmaker) -> None:
    sm = sessionmaker
    async with sm() as session, session.begin():
        await admin.set_policy(session, T, "2026-01",
                               preset("performance60_attendance30_compliance10"))
    await apply(sm, emp("N1", "u1"), cal(), *work("N1", 6000))
    # 60 + 30 x (60% x 100 + 40% x 100) + 10 x 0 = 90
    assert (await get(sm, "N1")).final_pct == D("90.00")
    async with sm() as session, session.begin():
        row = await admin.set_compliance(session, T, "N1", "2026-10", D("50"), actor="hr")
    assert (row.final_pct, row.tpp_amount) == (D("95.00"), D("950000"))


async def test_close_freezes_records_late_facts_and_reopen_applies_them(sessionmaker) -> None:
    sm = sessionmaker
    await apply(sm, emp("N1", "u1"), cal(), *work("N1", 3000))
    async with sm() as session, session.begin():
        await admin.close_period(session, T, "2026-10", actor="bkpsdm", confirmed=True)
    async with sm() as session, session.begin():
        with pytest.raises(Conflict):
            await admin.close_period(session, T, "2026-10")
    with pytest.raises(DomainError, match="belum berakhir"):
        async with sm() as session, session.begin():
            await admin.close_period(session, T, "2099-01")
    late = work("N1", 600, day=20)
    await apply(sm, *late)
    frozen = await get(sm, "N1")
    assert (frozen.final_pct, frozen.version) == (D("70.00"), 1)
    async with sm() as session:
        state = await admin.period_state(session, T, "2026-10")
    assert state["closed"] is True
    # each of the two late entries is listed (a batch's facts are not merged)
    assert [f["nip"] for f in state["late_facts"]] == ["N1", "N1"]
    assert state["late_facts"][0]["applied_at"] is None
    async with sm() as session, session.begin():
        with pytest.raises(Conflict):
            await admin.set_compliance(session, T, "N1", "2026-10", D("10"))
    with pytest.raises(DomainError, match="Alasan"):
        async with sm() as session, session.begin():
            await admin.reopen_period(session, T, "2026-10", actor="x", reason=" ")
    async with sm() as session, session.begin():
        await admin.reopen_period(session, T, "2026-10", actor="kepala", reason="koreksi")
    # 3,600 / 6,000 = 60 -> 36 + 40 = 76
    assert (await get(sm, "N1")).final_pct == D("76.00")
    async with sm() as session:
        state = await admin.period_state(session, T, "2026-10")
    assert state["closed"] is False
    assert [h["action"] for h in state["history"]] == ["close", "reopen"]
    assert state["late_facts"][0]["applied_at"] is not None
    assert await outbox_types(sm) == [
        "scoring.score.updated", "scoring.period.closed", "scoring.period.reopened",
        "scoring.score.updated"]


async def test_unit_collective_component_is_refreshed_per_unit(sessionmaker) -> None:
    sm = sessionmaker
    policy = policy_from_dict({"name": "unit", "components": [
        {"name": "performance", "weight": "50", "parts": [{"source": "performance",
                                                           "weight": "100"}]},
        {"name": "collective", "weight": "50", "parts": [{"source": "unit_performance",
                                                          "weight": "100"}]}]})
    async with sm() as session, session.begin():
        await admin.set_policy(session, T, "2026-01", policy)
    await apply(sm, emp("N1", "u1"), emp("N2", "u1"), emp("N3", "u2"), cal(),
                *work("N1", 6000), *work("N2", 3000), *work("N3", 1200))
    assert await services.refresh_units(UnitOfWork(sm)) == 2
    assert await services.refresh_units(UnitOfWork(sm)) == 0  # nothing changed: converged
    # u1 average (100 + 50) / 2 = 75; u2 alone 20
    assert (await get(sm, "N1")).final_pct == D("87.50")
    assert (await get(sm, "N2")).final_pct == D("62.50")
    assert (await get(sm, "N3")).final_pct == D("20.00")
    # N2 logs more: only u1 becomes dirty; after the refresh N1 sees the new average
    await apply(sm, *work("N2", 1500, day=25))
    assert await services.refresh_units(UnitOfWork(sm)) == 1
    # N2: 4,500 / 6,000 = 75; u1 average (100 + 75) / 2 = 87.5
    assert (await get(sm, "N1")).final_pct == D("93.75")
    assert (await get(sm, "N2")).final_pct == D("81.25")
    async with sm() as session:
        assert await check.check(session, T) == []


async def test_a_policy_cannot_change_a_closed_month(sessionmaker) -> None:
    """October closed under 60/40: a version from October (or from September, which would
    govern October too) is refused; one from November is taken, and October still shows
    the policy its frozen scores used."""
    sm = sessionmaker
    await apply(sm, emp("N1", "u1"), cal(), *work("N1", 3000))
    async with sm() as session, session.begin():
        await admin.close_period(session, T, "2026-10", actor="bkpsdm", confirmed=True)
    for month in ("2026-10", "2026-09"):
        with pytest.raises(Conflict, match="sudah ditutup") as refused:
            async with sm() as session, session.begin():
                await admin.set_policy(session, T, month, preset("cilegon"))
        assert refused.value.code == "period_closed" and "2026-10" in refused.value.message
    async with sm() as session, session.begin():
        await admin.set_policy(session, T, "2026-11", preset("cilegon"))
    async with sm() as session:
        assert [p.effective_period for p in await admin.list_policies(session, T)] == [
            "2026-11"]
        october = await repo.policy_for(session, T, "2026-10", "performance60_discipline40")
        november = await repo.policy_for(session, T, "2026-11", "performance60_discipline40")
        state = await admin.period_state(session, T, "2026-10")
    assert (october.name, november.name) == ("performance60_discipline40", "cilegon")
    assert state["policy"] == october.to_dict()
    assert (await get(sm, "N1")).final_pct == D("70.00")
    # a directory preset change does not alter the closed month either
    await apply(sm, ev.TenantUpserted(tenant_id=T, name="Uji", timezone="WIB",
                                      policy_preset="cilegon"))
    async with sm() as session:
        assert (await repo.policy_for(session, T, "2026-10", "x")).name == (
            "performance60_discipline40")
    # reopened, October may be given a policy again
    async with sm() as session, session.begin():
        await admin.reopen_period(session, T, "2026-10", actor="kepala", reason="koreksi")
    async with sm() as session, session.begin():
        await admin.set_policy(session, T, "2026-10", preset("cilegon"))


async def test_late_facts_say_what_they_change(sessionmaker) -> None:
    sm = sessionmaker
    await apply(sm, emp("N1", "u1"), cal(), *work("N1", 300))
    async with sm() as session, session.begin():
        await admin.close_period(session, T, "2026-10", actor="bkpsdm", confirmed=True)
    day = ev.AttendanceDayEvaluated(tenant_id=T, nip="N1", work_date=dt.date(2026, 10, 7),
                                    revision=2, late_minutes=40, tl_code="TL2",
                                    deduction_pct=D("1"))
    await apply(sm, day, *work("N1", 120, day=8))
    async with sm() as session:
        late = (await admin.period_state(session, T, "2026-10"))["late_facts"]
    assert [(f["work_date"], f["change"]) for f in late] == [
        (dt.date(2026, 10, 7), "Presensi 2026-10-07: hadir (TL2), potongan 1 % (revisi 2)"),
        (dt.date(2026, 10, 8), "Aktivitas 2026-10-08 disetujui: 120 menit"),
    ]


async def test_compliance_is_refused_for_unknown_employees_and_unused_components(
        sessionmaker) -> None:
    sm = sessionmaker
    await apply(sm, emp("N1", "u1"), cal(), *work("N1", 300))
    with pytest.raises(DomainError) as unused:
        async with sm() as session, session.begin():
            await admin.set_compliance(session, T, "N1", "2026-10", D("80"))
    assert unused.value.code == "compliance_not_used"
    async with sm() as session, session.begin():
        await admin.set_policy(session, T, "2026-01",
                               preset("performance60_attendance30_compliance10"))
    # not entered yet: counted 0 and flagged
    assert "compliance_not_entered" in (await get(sm, "N1")).flags
    with pytest.raises(DomainError) as unknown:
        async with sm() as session, session.begin():
            await admin.set_compliance(session, T, "N404", "2026-10", D("80"))
    assert (unknown.value.status_code, unknown.value.code) == (404, "employee_not_found")
    async with sm() as session:
        assert (await session.scalars(select(ScoreRow.nip))).all() == ["N1"]
    async with sm() as session, session.begin():
        row = await admin.set_compliance(session, T, "N1", "2026-10", D("80"))
    assert "compliance_not_entered" not in row.flags

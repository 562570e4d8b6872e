"""Employment by date through the service layer (SQLite): directory events build the
history, a policy prorating by working days pays each TPP base for its days (the holidays
attendance evaluated taken out), and replays or a late older event change nothing.

October 2026: the 1st is a Thursday; Monday-Friday: 22 days, 7 of them on the 1st-11th.
With the 5th a holiday (evaluated by attendance): 21 days, 6 on the 1st-11th."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal as D

from ekinerja_shared import events as ev
from scoring.domain.policy import preset
from scoring.service_layer import admin, services

T, P, NIP = "t-emp", "2026-10", "199001012015011001"


def employee(base: str, day: int, at: dt.datetime) -> ev.EmployeeUpserted:
    return ev.EmployeeUpserted(tenant_id=T, nip=NIP, name="Ani", unit_id="dinkes",
                               tpp_base=D(base), effective_from=dt.date(2026, 10, day),
                               occurred_at=at)


async def test_a_raise_prorated_by_working_days_and_replays(sessionmaker) -> None:
    at = dt.datetime(2026, 11, 2, 1, tzinfo=dt.UTC)
    first, raised = employee("5000000", 1, at), employee("6000000", 12,
                                                         at + dt.timedelta(hours=1))
    facts: list[ev.Event] = [
        ev.TenantUpserted(tenant_id=T, name="Kab", timezone="WITA",
                          policy_preset="performance60_discipline40"),
        ev.EffectiveDaysPublished(tenant_id=T, period=P, effective_days=D(21), revision=1),
        ev.AttendanceDayEvaluated(tenant_id=T, nip=NIP, work_date=dt.date(2026, 10, 5),
                                  revision=1, is_working_day=False, status="holiday"),
        # 21 x 300 = 6.300 minutes of 6.300: performance 100 %, final 100 %
        *[ev.ActivityEntryApproved(tenant_id=T, entry_id=uuid.uuid4(), nip=NIP,
                                   work_date=dt.date(2026, 10, 6 + i % 20), minutes=300,
                                   version=2) for i in range(21)],
        first, raised]
    async with sessionmaker() as session, session.begin():
        await admin.set_policy(session, T, P, preset("performance60_discipline40")
                               .with_changes({"proration": {"basis": "working_days"}}))
        await services.apply_events(session, facts)
    async with sessionmaker() as session:
        score = await services.get_score(session, T, NIP, P)
    # 5.000.000 x 100 % x 6/21 = 1.428.571,43 -> 1.428.571;
    # 6.000.000 x 100 % x 15/21 = 4.285.714,29 -> 4.285.714; TPP 5.714.285
    assert score.final_pct == D("100") and score.tpp_amount == D("5714285")
    assert [(s["days"], s["month_days"], s["tpp_base"]) for s in score.segments] == [
        (6, 21, "5000000.00"), (15, 21, "6000000.00")]
    version = score.version

    # the same events again, and the raise's older version arriving late: no change
    late = employee("5500000", 12, at + dt.timedelta(minutes=30))
    async with sessionmaker() as session, session.begin():
        await services.apply_events(session, [first, raised, late])
    async with sessionmaker() as session:
        again = await services.get_score(session, T, NIP, P)
    assert (again.version, again.tpp_amount) == (version, D("5714285"))

    # a correction published later: 5.000.000 from the 1st and 6.000.000 from the 19th
    # (the newer statement from the 1st removes the older one of the 12th); 11 days at
    # 5.000.000: 2.619.047,62 -> 2.619.048; 10 at 6.000.000: 2.857.142,86 -> 2.857.143)
    async with sessionmaker() as session, session.begin():
        await services.apply_events(session, [employee("6000000", 19,
                                                       at + dt.timedelta(hours=2)),
                                              employee("5000000", 1,
                                                       at + dt.timedelta(hours=2))])
    async with sessionmaker() as session:
        fixed = await services.get_score(session, T, NIP, P)
    assert fixed.tpp_amount == D("5476191") and fixed.version == version + 1

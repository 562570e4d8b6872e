"""The OPD rankings' read model (``unit_standings``) stays equal to the sums of the stored
scores through facts, employees moving between OPDs, a rolled-back transaction and the
month's close; the ranking read from it equals one computed from the scores."""

from __future__ import annotations

import datetime as dt
import random
import uuid
from decimal import Decimal as D

import pytest
from sqlalchemy import func, select

from ekinerja_shared import events as ev
from scoring.adapters.orm import ScoreRow, UnitStanding
from scoring.domain.ranking import competition_rank, summarise_unit
from scoring.service_layer import admin, reports, services

T = "t-stand"
P = "2026-10"


async def _sums_of_scores(session) -> dict[str, tuple[int, D, D, D]]:
    rows = await session.execute(
        select(ScoreRow.unit_id, func.count(), func.sum(ScoreRow.final_pct),
               func.sum(ScoreRow.performance_pct), func.sum(ScoreRow.tpp_amount))
        .where(ScoreRow.tenant_id == T, ScoreRow.period == P, ScoreRow.version > 0)
        .group_by(ScoreRow.unit_id))
    return {u: (n, D(f), D(p), D(t)) for u, n, f, p, t in rows.all()}


async def _standings(session) -> dict[str, tuple[int, D, D, D]]:
    rows = (await session.scalars(select(UnitStanding).where(
        UnitStanding.tenant_id == T, UnitStanding.period == P))).all()
    return {s.unit_id: (s.members, D(s.final_sum), D(s.performance_sum), D(s.tpp_total))
            for s in rows if s.members}


def _employee(nip: str, unit: str, base: str = "4000000") -> ev.EmployeeUpserted:
    return ev.EmployeeUpserted(tenant_id=T, nip=nip, name=f"Pegawai {nip}", unit_id=unit,
                               unit_name=unit.upper(), tpp_base=D(base))


async def test_standings_follow_every_score_change(sessionmaker) -> None:
    rng = random.Random(13)
    nips = [f"1990{i:02d}" for i in range(12)]
    units = ["dinkes", "bappeda", "dishub"]
    async with sessionmaker() as session, session.begin():
        await services.apply_events(session, [
            ev.TenantUpserted(tenant_id=T, name="Kabupaten Uji", timezone="WITA",
                              policy_preset="performance60_discipline40"),
            ev.EffectiveDaysPublished(tenant_id=T, period=P, effective_days=D(20),
                                      revision=1),
            *[_employee(nip, units[i % 3]) for i, nip in enumerate(nips)]])
    for step in range(8):
        batch: list[ev.Event] = []
        for _ in range(15):
            nip = rng.choice(nips)
            if rng.random() < 0.2:  # moves to another OPD, or its TPP base changes
                batch.append(_employee(nip, rng.choice(units), rng.choice(["3000000",
                                                                            "5000000"])))
            else:
                batch.append(ev.ActivityEntryApproved(
                    tenant_id=T, entry_id=uuid.uuid4(), nip=nip,
                    work_date=dt.date(2026, 10, rng.randint(1, 28)),
                    minutes=rng.randint(30, 300), version=2))
        if step == 3:  # a transaction that fails after its score changes leaves no trace
            with pytest.raises(RuntimeError):
                async with sessionmaker() as session, session.begin():
                    await services.apply_events(session, batch)
                    raise RuntimeError("the batch failed")
            continue
        async with sessionmaker() as session, session.begin():
            await services.apply_events(session, batch)
        async with sessionmaker() as session:
            assert await _standings(session) == await _sums_of_scores(session)

    async with sessionmaker() as session:
        from_model = await reports.unit_ranking(session, T, P, "cilegon")
        scores = (await session.scalars(select(ScoreRow).where(
            ScoreRow.tenant_id == T, ScoreRow.period == P, ScoreRow.version > 0))).all()
    by_unit: dict[str, list[ScoreRow]] = {}
    for s in scores:
        by_unit.setdefault(s.unit_id, []).append(s)
    recomputed = competition_rank(
        [summarise_unit(u, [D(r.final_pct) for r in rs], [D(r.performance_pct) for r in rs],
                        [D(r.tpp_amount) for r in rs], unit_name=u.upper())
         for u, rs in by_unit.items()],
        lambda s: s.avg_final_pct, lambda s: s.unit_id)
    assert from_model == recomputed
    assert {u.members for _, u in from_model} and sum(u.members for _, u in from_model) == 12

    async with sessionmaker() as session, session.begin():
        await admin.close_period(session, T, P, actor="bkpsdm", confirmed=True)
    async with sessionmaker() as session:
        assert await _standings(session) == await _sums_of_scores(session)


def _moved(nip: str, unit: str, day: int, base: str = "4000000") -> ev.EmployeeUpserted:
    """A transfer (or TPP base change) dated inside the month, published now."""
    return ev.EmployeeUpserted(
        tenant_id=T, nip=nip, name=f"Pegawai {nip}", unit_id=unit, unit_name=unit.upper(),
        tpp_base=D(base), effective_from=dt.date(2026, 10, day))


async def _by_memberships(session) -> dict[str, tuple[int, D, D, D, int, D, D]]:
    """The standings recomputed from the scores: each employee in every OPD they belonged
    to (their days as weight), the TPP in the OPD of the score."""
    out: dict[str, list] = {}
    for r in (await session.scalars(select(ScoreRow).where(
            ScoreRow.tenant_id == T, ScoreRow.period == P, ScoreRow.version > 0))).all():
        for unit, days in r.memberships or [[r.unit_id, 31]]:
            t = out.setdefault(unit, [0, D(0), D(0), D(0), 0, D(0), D(0)])
            t[0] += 1
            t[1] += D(r.final_pct)
            t[2] += D(r.performance_pct)
            t[4] += days
            t[5] += days * D(r.final_pct)
            t[6] += days * D(r.performance_pct)
        out.setdefault(r.unit_id, [0, D(0), D(0), D(0), 0, D(0), D(0)])[3] += D(r.tpp_amount)
    return {u: tuple(t) for u, t in out.items()}


async def test_an_employee_moved_mid_month_counts_in_each_opd_for_their_days(
        sessionmaker) -> None:
    async with sessionmaker() as session, session.begin():
        await services.apply_events(session, [
            ev.TenantUpserted(tenant_id=T, name="Kabupaten Uji", timezone="WITA",
                              policy_preset="performance60_discipline40"),
            ev.EffectiveDaysPublished(tenant_id=T, period=P, effective_days=D(20),
                                      revision=1),
            _employee("A", "dinkes"), _employee("B", "dinkes"), _employee("C", "bappeda"),
            # of 20 x 300 = 6000 effective minutes: A 600 (10 %), B 6000 (100 %), C 3000
            # (50 %), in days of 600 minutes
            *[ev.ActivityEntryApproved(tenant_id=T, entry_id=uuid.uuid4(), nip=n,
                                       work_date=dt.date(2026, 10, 5 + i), minutes=600,
                                       version=2)
              for n, days in (("A", 1), ("B", 10), ("C", 5)) for i in range(days)]])
    async with sessionmaker() as session, session.begin():
        # A leaves Dinkes for Bappeda on 11 October: 10 days in Dinkes, 21 in Bappeda
        await services.apply_events(session, [_moved("A", "bappeda", 11)])
    async with sessionmaker() as session:
        a = await services.get_score(session, T, "A", P)
        assert a.unit_id == "bappeda" and a.memberships == [["dinkes", 10], ["bappeda", 21]]
        stored = await _standings(session)
        assert {u: v[:4] for u, v in (await _by_memberships(session)).items()} == stored
        rows = (await session.scalars(select(UnitStanding).where(
            UnitStanding.tenant_id == T, UnitStanding.period == P))).all()
        weighted = {s.unit_id: (s.member_days, D(s.final_days)) for s in rows}
        assert weighted == {u: (v[4], v[5])
                            for u, v in (await _by_memberships(session)).items()}
        ranking = {u.unit_id: u for _, u in await reports.unit_ranking(session, T, P,
                                                                        "cilegon")}
    # finals: A 60 x 10 % + 40 = 46; B 100 % -> 100; C 50 % -> 70.
    # Dinkes: (10 x 46 + 31 x 100) / 41 = 3560 / 41 = 86.829... -> 86.83 (A and B: 2 members)
    # Bappeda: (21 x 46 + 31 x 70) / 52 = 3136 / 52 = 60.307... -> 60.31
    assert (ranking["dinkes"].members, ranking["dinkes"].avg_final_pct) == (2, D("86.83"))
    assert (ranking["bappeda"].members, ranking["bappeda"].avg_final_pct) == (2, D("60.31"))
    # the TPP is counted in the OPD that pays it (A's, Bappeda's on the month's last day):
    # Dinkes 4.000.000 (B); Bappeda 1.840.000 (A) + 2.800.000 (C)
    assert ranking["dinkes"].tpp_total == D("4000000")
    assert ranking["bappeda"].tpp_total == D("4640000")

    async with sessionmaker() as session, session.begin():  # moved back: no trace left
        await services.apply_events(session, [_moved("A", "dinkes", 11)])
    async with sessionmaker() as session:
        assert (await services.get_score(session, T, "A", P)).memberships is None
        assert await _standings(session) == await _sums_of_scores(session)

"""Property: however the facts arrive (any order, duplicated, split into any batches, with
stale revisions, the policy changed at any point), the running scores equal those of the
same facts applied in one canonical batch, the batch recomputation check finds no
difference, and both equal the scores an independent oracle (``oracle.py``, the
regulation's formula in exact fractions) computes from the raw facts."""

from __future__ import annotations

import asyncio
import datetime as dt
import uuid
from collections import defaultdict
from decimal import Decimal as D
from fractions import Fraction
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from ekinerja_shared import events as ev
from ekinerja_shared.db import make_engine, make_sessionmaker
from ekinerja_shared.migrations import upgrade
from ekinerja_shared.uow import UnitOfWork
from scoring.adapters.orm import ScoreRow
from scoring.domain.policy import PRESETS, policy_from_dict
from scoring.service_layer import admin, check, services

from . import oracle

NIPS = ("A1", "A2", "B1")
BASE = dt.datetime(2026, 11, 1, tzinfo=dt.UTC)
UNIT_SPEC = {
    "name": "unit_collective",
    "components": [
        {"name": "performance", "weight": "60", "parts": [{"source": "performance",
                                                           "weight": "100"}]},
        {"name": "discipline", "weight": "25", "parts": [{"source": "attendance",
                                                          "weight": "100"}]},
        {"name": "collective", "weight": "15", "parts": [{"source": "unit_performance",
                                                          "weight": "100"}]},
    ],
}
UNIT_POLICY = policy_from_dict(UNIT_SPEC)
POLICIES = [*PRESETS.values(), UNIT_POLICY]
SPECS = {**oracle.PRESET_SPECS, "unit_collective": UNIT_SPEC}


@st.composite
def histories(draw: st.DrawFn) -> dict:
    facts: list[ev.Event] = []
    if draw(st.booleans()):
        for i, name in enumerate(draw(st.lists(st.sampled_from(sorted(PRESETS)), min_size=1,
                                               max_size=2))):
            facts.append(ev.TenantUpserted(tenant_id="T", name="Kab", timezone="WIB",
                                           policy_preset=name,
                                           occurred_at=BASE + dt.timedelta(minutes=i)))
    for nip in NIPS:
        for i in range(draw(st.integers(0, 2))):
            facts.append(ev.EmployeeUpserted(
                tenant_id="T", nip=nip, name=nip, unit_id=draw(st.sampled_from(["u1", "u2"])),
                tpp_base=draw(st.sampled_from([D(0), D("1234567"), D("5000000")])),
                employment_type=draw(st.sampled_from(["PNS", "CPNS", "PPPK"])),
                occurred_at=BASE + dt.timedelta(hours=i)))
        for day in draw(st.sets(st.integers(2, 6), max_size=3)):
            month = draw(st.sampled_from([11, 12]))
            for rev in draw(st.sets(st.integers(1, 4), min_size=1, max_size=3)):
                facts.append(ev.AttendanceDayEvaluated(
                    tenant_id="T", nip=nip, work_date=dt.date(2026, month, day), revision=rev,
                    deduction_pct=draw(st.sampled_from([D(0), D("0.5"), D("1.25"), D("2.5"),
                                                        D("12"), D("0.005")])),
                    apel_attended=draw(st.sampled_from([None, True, False]))))
    for _ in range(draw(st.integers(0, 8))):
        entry_id, nip = uuid.uuid4(), draw(st.sampled_from(NIPS))
        work_date = dt.date(2026, draw(st.sampled_from([11, 12])), draw(st.integers(1, 28)))
        for version in draw(st.sets(st.integers(1, 5), min_size=1, max_size=3)):
            kind = draw(st.sampled_from([ev.ActivityEntryApproved, ev.ActivityEntryRejected,
                                         ev.ActivityEntryRevoked]))
            facts.append(kind(tenant_id="T", entry_id=entry_id, nip=nip, work_date=work_date,
                              minutes=draw(st.integers(0, 1440)), version=version))
    for nip in (None, draw(st.sampled_from(NIPS))):
        for rev in draw(st.sets(st.integers(1, 3), max_size=2)):
            facts.append(ev.EffectiveDaysPublished(
                tenant_id="T", period="2026-11", nip=nip, revision=rev,
                effective_days=draw(st.sampled_from([D(0), D(20), D("22.5")]))))
    policy = draw(st.none() | st.tuples(st.sampled_from(["2026-11", "2026-12"]),
                                        st.sampled_from(POLICIES)))
    extra = draw(st.lists(st.sampled_from(facts), max_size=5)) if facts else []
    arrival = draw(st.permutations(facts + extra))
    cuts = sorted(draw(st.sets(st.integers(0, len(arrival)), max_size=4)))
    policy_at = draw(st.integers(0, len(cuts)))
    return {"facts": facts, "arrival": arrival, "cuts": cuts, "policy": policy,
            "policy_at": policy_at}


def _expected(h: dict) -> dict:
    """The oracle's scores of the drawn facts: the newest revision/version of each fact
    (directory: the latest ``occurred_at``), one score per employee-month a fact names."""
    facts = h["facts"]
    tenants = [e for e in facts if isinstance(e, ev.TenantUpserted)]
    preset_name = (max(tenants, key=lambda e: e.occurred_at).policy_preset if tenants
                   else oracle.DEFAULT_PRESET)
    employees: dict[str, ev.EmployeeUpserted] = {}
    newest: dict[tuple, tuple[int, ev.Event]] = {}
    for e in facts:
        if isinstance(e, ev.EmployeeUpserted):
            if e.nip not in employees or employees[e.nip].occurred_at < e.occurred_at:
                employees[e.nip] = e
            continue
        if isinstance(e, ev.AttendanceDayEvaluated):
            key, version = ("day", e.nip, e.work_date), e.revision
        elif isinstance(e, ev.EffectiveDaysPublished):
            key, version = ("calendar", e.period, e.nip or ""), e.revision
        elif isinstance(e, ev.ActivityEntryApproved | ev.ActivityEntryRejected
                        | ev.ActivityEntryRevoked):
            key, version = ("entry", e.entry_id), e.version
        else:
            continue
        if key not in newest or newest[key][0] < version:
            newest[key] = (version, e)

    months: dict[tuple[str, str], oracle.Month] = {}

    def month(nip: str, period: str) -> oracle.Month:
        return months.setdefault((nip, period), oracle.Month(period))

    calendars: dict[tuple[str, str], D] = {}
    for key, (_version, e) in newest.items():
        if key[0] == "day":
            m = month(e.nip, f"{e.work_date:%Y-%m}")
            m.deductions.append(Fraction(e.deduction_pct))
            if e.apel_attended is not None:
                m.apel.append(e.apel_attended)
        elif key[0] == "entry":
            m = month(e.nip, f"{e.work_date:%Y-%m}")
            if isinstance(e, ev.ActivityEntryApproved):
                m.approved_minutes += e.minutes
        else:
            calendars[(e.period, e.nip or "")] = e.effective_days
            if e.nip:
                month(e.nip, e.period)
    for (nip, period), m in months.items():
        days = calendars.get((period, nip), calendars.get((period, "")))
        m.effective_days = Fraction(days) if days is not None else None

    def spec(period: str) -> dict:
        if h["policy"] and period >= h["policy"][0]:
            return SPECS[h["policy"][1].name]
        return SPECS[preset_name]

    def unit(nip: str) -> str:
        return employees[nip].unit_id if nip in employees else ""

    members: dict[tuple[str, str], list[Fraction]] = defaultdict(list)
    for (nip, period), m in months.items():
        members[(unit(nip), period)].append(
            oracle.expected_score(spec(period), m).performance_pct)
    out = {}
    for (nip, period), m in months.items():
        m.unit_performance = oracle.unit_average(members[(unit(nip), period)])
        e = employees.get(nip)
        base = e.tpp_base if e else D(0)
        s = oracle.expected_score(spec(period), m, base, e.employment_type if e else "PNS")
        out[(nip, period)] = (s.final_pct, s.tpp_amount, Fraction(base), s.components)
    return out


def _fractions(scores: dict) -> dict:
    return {key: (Fraction(final), Fraction(tpp), Fraction(base),
                  tuple((name, Fraction(D(value))) for name, value in components))
            for key, (final, tpp, base, components) in scores.items()}


def _retenant(events: list[ev.Event], tenant_id: str) -> list[ev.Event]:
    """The same facts for another tenant (entry ids are global: derive new ones)."""
    def copy(e: ev.Event) -> ev.Event:
        update: dict = {"tenant_id": tenant_id}
        if hasattr(e, "entry_id"):
            update["entry_id"] = uuid.uuid5(e.entry_id, tenant_id)
        return e.model_copy(update=update)

    return [copy(e) for e in events]


async def _set_policy(sm, tenant_id: str, policy) -> None:
    async with sm() as session, session.begin():
        await admin.set_policy(session, tenant_id, policy[0], policy[1])


async def _settle_units(sm) -> None:
    while await services.refresh_units(UnitOfWork(sm)):
        pass


async def _scores(sm, tenant_id: str) -> dict:
    async with sm() as session:
        rows = (await session.scalars(
            select(ScoreRow).where(ScoreRow.tenant_id == tenant_id, ScoreRow.version > 0)
        )).all()
    return {(r.nip, r.period): (D(r.final_pct), D(r.tpp_amount), D(r.tpp_base),
                                tuple((c["name"], c["value_pct"]) for c in r.components))
            for r in rows}


async def _run(url: str, h: dict) -> None:
    engine = make_engine(url)
    sm = make_sessionmaker(engine)
    try:
        running, canonical = f"r-{uuid.uuid4().hex[:8]}", f"c-{uuid.uuid4().hex[:8]}"
        # arrival as drawn: batches at the cuts, the policy set between two batches
        arrival = _retenant(h["arrival"], running)
        bounds = [0, *h["cuts"], len(arrival)]
        for i, (lo, hi) in enumerate(zip(bounds, bounds[1:], strict=False)):
            if h["policy"] and i == h["policy_at"]:
                await _set_policy(sm, running, h["policy"])
            async with sm() as session, session.begin():
                await services.apply_events(session, arrival[lo:hi])
        if h["policy"] and h["policy_at"] >= len(bounds) - 1:
            await _set_policy(sm, running, h["policy"])
        # canonical: policy first, then every fact once, in one batch
        if h["policy"]:
            await _set_policy(sm, canonical, h["policy"])
        async with sm() as session, session.begin():
            await services.apply_events(session, _retenant(h["facts"], canonical))
        await _settle_units(sm)

        assert await _scores(sm, running) == await _scores(sm, canonical)
        assert _fractions(await _scores(sm, canonical)) == _expected(h)
        async with sm() as session:
            for tenant_id in (running, canonical):
                assert await check.check(session, tenant_id) == []
    finally:
        await engine.dispose()


@pytest.fixture(scope="module")
def db_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    path: Path = tmp_path_factory.mktemp("prop") / "scoring.db"
    url = f"sqlite+aiosqlite:///{path}"
    upgrade("scoring", url)
    return url


@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(h=histories())
def test_any_arrival_gives_the_batch_scores(db_url: str, h: dict) -> None:
    asyncio.run(_run(db_url, h))

"""Recomputation of employee-months from the stored facts: the score rows are locked per
tenant-month, recomputed, and a ``ScoreUpdated`` is staged in the outbox when the numbers
changed. Used by the fact consumers, the unit refresher and HR's changes (policy,
compliance, month reopen); each runs inside the caller's transaction."""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from decimal import Decimal

from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.attributes import set_committed_value

from ekinerja_shared import events as ev
from ekinerja_shared.db import insert_ignore
from ekinerja_shared.outbox import stage_many
from ekinerja_shared.timeutil import utcnow

from ..adapters import employment as history
from ..adapters import repository as repo
from ..adapters import standings
from ..adapters.orm import DirtyUnit, Employee, LateFact, Outbox, ScoreRow
from ..domain.employment import memberships, month_spans
from ..domain.flags import DirectoryState, month_flags
from ..domain.month_end import late_change
from ..domain.policy import DEFAULT_PRESET, Policy
from ..domain.proration import PaySegment, paid_total, pay_segments, prorated
from ..domain.score import EmployeeTerms, MonthFacts, Score, compute_score, days_in_month

Key = tuple[str, str, str]  # tenant, nip, period


@dataclass
class Affected:
    """Employee-months to recompute, each with the last event that changed it."""

    keys: dict[Key, ev.Event] = field(default_factory=dict)
    # every fact that changed each employee-month (a closed month lists each as late)
    facts: dict[Key, list[ev.Event]] = field(default_factory=dict)

    def add(self, key: Key, cause: ev.Event) -> None:
        self.keys.pop(key, None)
        self.keys[key] = cause
        self.facts.setdefault(key, []).append(cause)


def _components_json(score: Score) -> list[dict[str, str]]:
    return [
        {"name": c.name, "weight": str(c.weight), "value_pct": str(c.value_pct)}
        for c in score.components
    ]


async def recompute(
    session: AsyncSession, key: Key, cause: ev.Event | None, *,
    default_preset: str = DEFAULT_PRESET, publish: bool = True,
    dirty: set[Key] | None = None,
) -> ScoreRow:
    """Recompute one employee-month (see ``recompute_many``)."""
    rows = await recompute_many(session, {key: cause}, default_preset=default_preset,
                                publish=publish, dirty=dirty)
    return rows[0]


async def recompute_many(
    session: AsyncSession, causes: dict[Key, ev.Event | None], *,
    default_preset: str = DEFAULT_PRESET, publish: bool = True,
    dirty: set[Key] | None = None, exclusive: bool = False,
) -> list[ScoreRow]:
    """Recompute employee-months from the stored facts; update each row and stage a
    ``ScoreUpdated`` when its numbers changed. The caller checks the months are open.

    Rows are locked per tenant-month in (tenant, period, nip) order everywhere, so
    concurrent consumers cannot deadlock. Under a policy with a unit-level source the
    unit-months whose average may move are added to ``dirty`` (the caller marks them after
    taking all row locks).

    The changed rows are written in one statement (``repo.write_scores``), not flushed by
    the ORM: their new values are set as committed ones (``set_committed_value``), so the
    objects returned read as written and the session has nothing to flush for them.

    ``exclusive``: no other transaction writes the database (the rebuild's target). The
    missing rows are then not created empty, locked and updated one by one, but computed
    on new ``ScoreRow`` objects and written in one multi-row INSERT (Core, not the ORM's
    flush: the objects returned for them are not in the session); the same rows result."""
    groups: dict[tuple[str, str], list[str]] = defaultdict(list)
    for tenant_id, nip, period in causes:
        groups[(tenant_id, period)].append(nip)
    done: list[ScoreRow] = []
    new: list[ScoreRow] = []  # ``exclusive``: the rows to insert
    changed: list[ScoreRow] = []  # the locked rows whose numbers changed, to write
    staged: list[ev.Event] = []  # the ScoreUpdated of the changed rows, in their order
    for (tenant_id, period), nips in sorted(groups.items()):
        rows = await repo.lock_scores(session, tenant_id, period, nips, create=not exclusive)
        missing = {nip for nip in nips if nip not in rows} if exclusive else set()
        for nip in missing:
            rows[nip] = repo.empty_score(tenant_id, nip, period)
        computed = await compute_month(session, tenant_id, period, nips, default_preset)
        for nip in sorted(nips):
            c = computed[nip]
            before = standings.counted(rows[nip])
            row = _apply_score(rows[nip], c, causes[(tenant_id, nip, period)])
            if row.changed and nip not in missing:
                changed.append(row.row)
            if publish and row.changed:
                staged.append(score_event(row.row))
            standings.add_change(session, tenant_id, period, before, standings.counted(row.row))
            if c.uses_unit and dirty is not None and row.dirty_units:
                dirty.update((tenant_id, u, period) for u in row.dirty_units)
            done.append(row.row)
        new += (rows[nip] for nip in sorted(missing))
    await repo.write_scores(session, changed)
    await repo.insert_scores(session, new)
    await stage_many(session, Outbox, staged)  # one INSERT, no ORM unit of work per event
    await session.flush()
    return done


@dataclass(frozen=True)
class Computed:
    """One employee-month computed from the stored facts (not yet written)."""

    score: Score
    facts: MonthFacts
    terms: EmployeeTerms
    unit_id: str
    policy: Policy
    flags: list[str]
    uses_unit: bool
    # a month paid in parts: its pay segments (else empty); the OPDs of the month with
    # their calendar days when not ``unit_id`` for the whole month (else empty)
    segments: tuple[PaySegment, ...] = ()
    memberships: tuple[tuple[str, int], ...] = ()

    def segments_json(self) -> list[dict[str, str]] | None:
        return [s.to_dict() for s in self.segments] or None

    def memberships_json(self) -> list[list[object]] | None:
        return [[u, d] for u, d in self.memberships] or None


async def compute_month(session: AsyncSession, tenant_id: str, period: str,
                        nips: Sequence[str], default_preset: str) -> dict[str, Computed]:
    """Scores and flags of employees of one tenant-month from the stored facts, with
    grouped queries (used under the row locks by ``recompute_many``, and read-only for the
    roster members a month has no score for yet)."""
    employees = await repo.employees(session, tenant_id, nips)
    policy = await repo.policy_for(session, tenant_id, period, default_preset)
    facts_of = await repo.month_facts_many(session, tenant_id, period, nips)
    uses_unit = "unit_performance" in policy.sources()
    averages = (
        await repo.unit_averages(session, tenant_id, period,
                                 [e.unit_id for e in employees.values()] + [""])
        if uses_unit else {}
    )
    dated = await history.histories(session, tenant_id, nips)
    kinds = (await history.day_kinds(session, tenant_id, period, nips)
             if policy.proration.basis == "working_days" else {})
    out: dict[str, Computed] = {}
    for nip in nips:
        employee = employees.get(nip)
        spans = month_spans(dated.get(nip, ()), period,
                            employee.start_date if employee is not None else None,
                            employee.end_date if employee is not None else None,
                            employee.end_reason if employee is not None else None)
        unit_id = (spans[-1].terms.unit_id if spans else
                   employee.unit_id if employee is not None else "")
        facts = facts_of[nip]
        if uses_unit:
            facts = replace(facts, unit_performance_pct=averages.get(unit_id))
        terms = (
            EmployeeTerms(spans[-1].terms.tpp_base, spans[-1].terms.employment_type) if spans
            else EmployeeTerms(Decimal(employee.tpp_base), employee.employment_type)
            if employee is not None else EmployeeTerms()
        )
        flags = month_flags(policy, facts, DirectoryState(
            known=employee is not None, active=employee is None or employee.active,
            tpp_base=terms.tpp_base))
        score = compute_score(policy, facts, terms)
        segments = pay_segments(spans, policy, period, kinds.get(nip))
        if segments and prorated(segments):
            score = replace(score, tpp_amount=paid_total(segments, score.final_pct))
        else:
            segments = ()
        units = memberships(spans)
        whole = days_in_month(period)
        out[nip] = Computed(score, facts, terms, unit_id, policy, flags, uses_unit, segments,
                            () if units in ((), ((unit_id, whole),)) else units)
    return out


@dataclass
class _Applied:
    row: ScoreRow
    dirty_units: tuple[str, ...]
    changed: bool = False  # its numbers changed: a new version to publish


def _apply_score(row: ScoreRow, c: Computed, cause: ev.Event | None) -> _Applied:
    score, facts, terms, unit_id, flags = c.score, c.facts, c.terms, c.unit_id, c.flags
    adjustment = c.policy.adjustment_pct(terms.employment_type)
    components = _components_json(score)
    sources = {k: str(v) for k, v in score.sources.items()}
    performance = score.sources["performance"]
    dirty: tuple[str, ...] = ()
    if (row.version == 0 or facts.unit_performance_pct is None or row.unit_id != unit_id
            or Decimal(row.performance_pct) != performance):
        dirty = (unit_id,) if row.version == 0 or row.unit_id == unit_id else (
            unit_id, row.unit_id)
    unchanged = (
        row.version > 0
        and row.components == components
        and Decimal(row.final_pct) == score.final_pct
        and Decimal(row.tpp_base) == score.tpp_base
        and Decimal(row.tpp_amount) == score.tpp_amount
        and row.unit_id == unit_id
        and row.approved_minutes == facts.approved_minutes
        and Decimal(row.performance_pct) == performance
        and Decimal(row.effective_minutes) == score.effective_minutes
        and row.sources == sources
        and row.flags == flags
        and row.employment_type == terms.employment_type
        and Decimal(row.tpp_adjustment_pct) == adjustment
        and row.segments == c.segments_json()
        and row.memberships == c.memberships_json()
    )
    if unchanged:
        return _Applied(row, dirty)
    values = {
        "version": row.version + 1, "unit_id": unit_id, "policy_name": c.policy.name,
        "components": components, "sources": sources, "flags": flags,
        "employment_type": terms.employment_type, "tpp_adjustment_pct": adjustment,
        "approved_minutes": facts.approved_minutes, "performance_pct": performance,
        "effective_minutes": score.effective_minutes, "final_pct": score.final_pct,
        "tpp_base": score.tpp_base, "tpp_amount": score.tpp_amount,
        "segments": c.segments_json(), "memberships": c.memberships_json(),
        "cause_event_id": cause.event_id if cause else None,
        "cause_type": cause.event_type if cause else None, "updated_at": utcnow(),
    }
    for key, value in values.items():  # as written (``repo.write_scores``): not dirty
        set_committed_value(row, key, value)
    return _Applied(row, dirty, changed=True)


def score_event(row: ScoreRow, event_id: uuid.UUID | None = None) -> ev.ScoreUpdated:
    return ev.ScoreUpdated(
        **({"event_id": event_id} if event_id else {}),
        tenant_id=row.tenant_id, nip=row.nip, period=row.period,
        components=[ev.ScoreComponent(name=c["name"], weight=Decimal(c["weight"]),
                                      value_pct=Decimal(c["value_pct"]))
                    for c in row.components],
        final_pct=Decimal(row.final_pct), tpp_base=Decimal(row.tpp_base),
        tpp_amount=Decimal(row.tpp_amount), version=row.version,
        cause_event_id=row.cause_event_id, cause_type=row.cause_type,
    )


async def recompute_all(
    session: AsyncSession, affected: Affected, *, default_preset: str = DEFAULT_PRESET,
    publish: bool = True, exclusive: bool = False,
) -> list[ScoreRow]:
    closed: dict[str, set[str]] = {}
    dirty: set[Key] = set()
    todo: dict[Key, ev.Event | None] = {}
    for key, cause in affected.keys.items():
        tenant_id, nip, period = key
        if tenant_id not in closed:
            closed[tenant_id] = await repo.closed_periods(session, tenant_id)
        if period in closed[tenant_id]:
            for fact in affected.facts.get(key, [cause]):
                work_date, change = late_change(fact)
                session.add(LateFact(tenant_id=tenant_id, period=period, nip=nip,
                                     event_id=fact.event_id, event_type=fact.event_type,
                                     work_date=work_date, change=change,
                                     received_at=utcnow()))
        else:
            todo[key] = cause
    done = await recompute_many(session, todo, default_preset=default_preset,
                                publish=publish, dirty=dirty, exclusive=exclusive)
    await mark_dirty(session, dirty)
    return done


async def mark_dirty(session: AsyncSession, dirty: set[Key]) -> None:
    """Queue unit-months for the refresher, in a fixed order after every row lock."""
    now = utcnow()
    await insert_ignore(session, DirtyUnit, [
        {"tenant_id": tenant_id, "unit_id": unit_id, "period": period, "marked_at": now}
        for tenant_id, unit_id, period in sorted(dirty)])

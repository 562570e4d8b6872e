"""The OPD rankings' read model (``unit_standings``): per unit-month the scored employees
and the sums of their final %, performance % and TPP, so that a ranking is one read instead
of a recomputation of the month.

An OPD is ranked by who belonged to it, weighted by days: an employee who moved in the
month counts in each OPD they belonged to (``members``, ``final_sum`` and
``performance_sum`` count them once in each), with their calendar days there as weight
(``member_days``, ``final_days`` = sum of days x final %, ``performance_days``); the
ranking's averages are ``final_days / member_days``. A member of the whole month weighs
the month's days, so a month without moves ranks as the plain average. The TPP is counted
whole in the OPD of the score (``scores.unit_id``, the OPD on the month's last day of
duty, which pays it: the payroll sheet's subtotals).

Every score change (``recompute_many``, the only writer of scores) adds its delta, from the
row as it was to the row as it is, to its session (``add_change``); the deltas of a
transaction are applied at its commit, in one statement, in a fixed order of unit-months,
after every score row lock the transaction took: increments commute, so concurrent
consumers neither lose an update nor deadlock on the standings. A rollback drops them."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from sqlalchemy import event, func, select, text
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session

from ekinerja_shared.db import one_of
from ekinerja_shared.tenancy import TENANT_SETTING

from ..domain.score import days_in_month
from .orm import Employee, EmploymentChange, ScoreRow, UnitStanding

_DELTAS = "scoring_unit_standing_deltas"
Delta = list[Any]  # members, final_sum, performance_sum, tpp_total, member_days,
# final_days, performance_days
_SUMS = ("members", "final_sum", "performance_sum", "tpp_total", "member_days", "final_days",
         "performance_days")
_PCT, _MONEY = Decimal("0.001"), Decimal("0.01")  # the scale of Pct and Money


@dataclass(frozen=True)
class Counted:
    """What a score row adds to its unit-month's standing (None: a row not yet scored)."""

    unit_id: str
    final_pct: Decimal
    performance_pct: Decimal
    tpp_amount: Decimal
    memberships: tuple[tuple[str, int], ...] = ()  # (OPD, calendar days in the month)


def _stored(value: Any, scale: Decimal) -> Decimal:
    """A value as its column keeps it (the scores' columns round: so do the sums)."""
    return Decimal(value).quantize(scale, rounding=ROUND_HALF_UP)


def counted(row: ScoreRow) -> Counted | None:
    if row.version <= 0:
        return None
    units = tuple((str(u), int(d)) for u, d in row.memberships or ()) or (
        (row.unit_id, days_in_month(row.period)),)
    return Counted(row.unit_id, _stored(row.final_pct, _PCT), _stored(row.performance_pct, _PCT),
                   _stored(row.tpp_amount, _MONEY), units)


def add_change(session: AsyncSession, tenant_id: str, period: str,
               before: Counted | None, after: Counted | None) -> None:
    """Record one score row's change, applied when the transaction commits."""
    if before == after:
        return
    deltas: dict[tuple[str, str, str], Delta] = session.sync_session.info.setdefault(
        _DELTAS, {})
    for c, sign in ((before, -1), (after, 1)):
        if c is None:
            continue
        for unit_id, days in c.memberships:
            d = deltas.setdefault((tenant_id, period, unit_id),
                                  [0, Decimal(0), Decimal(0), Decimal(0), 0, Decimal(0),
                                   Decimal(0)])
            d[0] += sign
            d[1] += sign * c.final_pct
            d[2] += sign * c.performance_pct
            d[4] += sign * days
            d[5] += sign * days * c.final_pct
            d[6] += sign * days * c.performance_pct
        d = deltas.setdefault((tenant_id, period, c.unit_id),
                              [0, Decimal(0), Decimal(0), Decimal(0), 0, Decimal(0),
                               Decimal(0)])
        d[3] += sign * c.tpp_amount


@event.listens_for(Session, "before_commit")
def _apply_deltas(session: Session) -> None:
    deltas: dict[tuple[str, str, str], Delta] | None = session.info.pop(_DELTAS, None)
    if not deltas:
        return
    by_tenant: dict[str, list[dict[str, Any]]] = {}
    for (t, p, u), d in sorted(deltas.items()):
        if any(d):
            by_tenant.setdefault(t, []).append(
                {"tenant_id": t, "period": p, "unit_id": u, **dict(zip(_SUMS, d))})
    dialect = session.get_bind().dialect.name
    stmt = (pg_insert if dialect == "postgresql" else sqlite_insert)(UnitStanding)
    stmt = stmt.on_conflict_do_update(
        index_elements=["tenant_id", "period", "unit_id"],
        set_={name: getattr(UnitStanding, name) + stmt.excluded[name]
              for name in _SUMS})
    for tenant_id, rows in by_tenant.items():
        if dialect == "postgresql":  # a batch's transaction is bound to each regency in turn
            session.execute(text("SELECT set_config(:name, :value, true)"),
                            {"name": TENANT_SETTING, "value": tenant_id})
        session.execute(stmt, rows)


@event.listens_for(Session, "after_soft_rollback")
def _drop_deltas(session: Session, previous_transaction: Any) -> None:
    session.info.pop(_DELTAS, None)


@dataclass(frozen=True)
class Standing:
    unit_id: str
    unit_name: str
    members: int
    final_sum: Decimal
    performance_sum: Decimal
    tpp_total: Decimal
    member_days: int = 0
    final_days: Decimal = Decimal(0)
    performance_days: Decimal = Decimal(0)


async def month_standings(session: AsyncSession, tenant_id: str,
                          period: str) -> list[Standing]:
    """The unit-months of a month with scored employees; each unit's name is the one its
    lowest-NIP scored employee's history gives it (the directory copy's for an employee
    without history; the unit's id when unknown)."""
    stored = (await session.scalars(select(UnitStanding).where(
        UnitStanding.tenant_id == tenant_id, UnitStanding.period == period,
        UnitStanding.members > 0))).all()
    first = dict((await session.execute(
        select(ScoreRow.unit_id, func.min(ScoreRow.nip))
        .where(ScoreRow.tenant_id == tenant_id, ScoreRow.period == period,
               ScoreRow.version > 0)
        .group_by(ScoreRow.unit_id))).all())
    names = await _unit_names(session, tenant_id, first)
    return [Standing(s.unit_id, names.get(s.unit_id, "") or s.unit_id,
                     s.members, Decimal(s.final_sum), Decimal(s.performance_sum),
                     Decimal(s.tpp_total), s.member_days, Decimal(s.final_days),
                     Decimal(s.performance_days)) for s in stored]


async def _unit_names(session: AsyncSession, tenant_id: str,
                      first: dict[str, str]) -> dict[str, str]:
    """unit -> its name, from the history (latest statement) of the unit's given employee,
    else that employee's directory copy."""
    if not first:
        return {}
    nips = sorted(set(first.values()))
    named: dict[str, str] = {}
    for unit_id, name in (await session.execute(
            select(EmploymentChange.unit_id, EmploymentChange.unit_name).where(
                EmploymentChange.tenant_id == tenant_id,
                one_of(session, EmploymentChange.nip, nips),
                one_of(session, EmploymentChange.unit_id, sorted(first)))
            .order_by(EmploymentChange.stated_at))).all():
        if name and first.get(unit_id):
            named[unit_id] = name
    directory = dict((await session.execute(
        select(Employee.nip, Employee.unit_name).where(
            Employee.tenant_id == tenant_id, one_of(session, Employee.nip, nips)))).all())
    return {u: named.get(u) or directory.get(nip) or "" for u, nip in first.items()}

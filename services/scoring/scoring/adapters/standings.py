"""The OPD rankings' read model (``unit_standings``): per unit-month the scored employees
and the sums of their final %, performance % and TPP, so that a ranking is one read instead
of a recomputation of the month.

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

from ekinerja_shared.tenancy import TENANT_SETTING

from .orm import Employee, ScoreRow, UnitStanding

_DELTAS = "scoring_unit_standing_deltas"
Delta = list[Any]  # members, final_sum, performance_sum, tpp_total
_PCT, _MONEY = Decimal("0.001"), Decimal("0.01")  # the scale of Pct and Money


@dataclass(frozen=True)
class Counted:
    """What a score row adds to its unit-month's standing (None: a row not yet scored)."""

    unit_id: str
    final_pct: Decimal
    performance_pct: Decimal
    tpp_amount: Decimal


def _stored(value: Any, scale: Decimal) -> Decimal:
    """A value as its column keeps it (the scores' columns round: so do the sums)."""
    return Decimal(value).quantize(scale, rounding=ROUND_HALF_UP)


def counted(row: ScoreRow) -> Counted | None:
    if row.version <= 0:
        return None
    return Counted(row.unit_id, _stored(row.final_pct, _PCT), _stored(row.performance_pct, _PCT),
                   _stored(row.tpp_amount, _MONEY))


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
        d = deltas.setdefault((tenant_id, period, c.unit_id),
                              [0, Decimal(0), Decimal(0), Decimal(0)])
        d[0] += sign
        d[1] += sign * c.final_pct
        d[2] += sign * c.performance_pct
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
                {"tenant_id": t, "period": p, "unit_id": u, "members": d[0],
                 "final_sum": d[1], "performance_sum": d[2], "tpp_total": d[3]})
    dialect = session.get_bind().dialect.name
    stmt = (pg_insert if dialect == "postgresql" else sqlite_insert)(UnitStanding)
    stmt = stmt.on_conflict_do_update(
        index_elements=["tenant_id", "period", "unit_id"],
        set_={name: getattr(UnitStanding, name) + stmt.excluded[name]
              for name in ("members", "final_sum", "performance_sum", "tpp_total")})
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


async def month_standings(session: AsyncSession, tenant_id: str,
                          period: str) -> list[Standing]:
    """The unit-months of a month with scored employees; each unit's name is its
    lowest-NIP scored employee's in the directory copy (the unit's id when unknown)."""
    stored = (await session.scalars(select(UnitStanding).where(
        UnitStanding.tenant_id == tenant_id, UnitStanding.period == period,
        UnitStanding.members > 0))).all()
    first = dict((await session.execute(
        select(ScoreRow.unit_id, func.min(ScoreRow.nip))
        .where(ScoreRow.tenant_id == tenant_id, ScoreRow.period == period,
               ScoreRow.version > 0)
        .group_by(ScoreRow.unit_id))).all())
    names = await _unit_names(session, tenant_id, list(first.values()))
    return [Standing(s.unit_id, names.get(first.get(s.unit_id, ""), "") or s.unit_id,
                     s.members, Decimal(s.final_sum), Decimal(s.performance_sum),
                     Decimal(s.tpp_total)) for s in stored]


async def _unit_names(session: AsyncSession, tenant_id: str,
                      nips: Sequence[str]) -> dict[str, str]:
    if not nips:
        return {}
    return {nip: name or "" for nip, name in (await session.execute(
        select(Employee.nip, Employee.unit_name).where(
            Employee.tenant_id == tenant_id, Employee.nip.in_(sorted(nips))))).all()}

"""Scoring service tables (its own database). Facts are stored under their natural keys;
a later revision/version replaces an earlier one, so the stored state does not depend on
the order or the number of times the events arrived."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal
from typing import Any

from sqlalchemy import JSON, Boolean, Date, Index, Integer, Numeric, String, Text, Uuid
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from ekinerja_shared.acting_copy import ActingAssignmentCopyMixin
from ekinerja_shared.db import (
    AwareDateTime,
    BigIntPK,
    OutboxMixin,
    ConsumerAttemptMixin,
    ProcessedEventMixin,
    QuarantineMixin,
)
from ekinerja_shared.timeutil import utcnow

Money = Numeric(16, 2)
Pct = Numeric(7, 3)


class Base(DeclarativeBase):
    pass


class Outbox(OutboxMixin, Base):
    pass


class ProcessedEvent(ProcessedEventMixin, Base):
    pass


class ConsumerAttempt(ConsumerAttemptMixin, Base):
    pass


class Quarantine(QuarantineMixin, Base):
    pass


class ActingAssignment(ActingAssignmentCopyMixin, Base):
    """Copy of the acting assignments (Plt/Plh) published by the activity service: who
    may read a team's scores (``ekinerja_shared.supervision``)."""


class Tenant(Base):
    """Local copy of the directory's tenants."""

    __tablename__ = "tenants"
    tenant_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    timezone: Mapped[str] = mapped_column(String(64))
    policy_preset: Mapped[str] = mapped_column(String(64))
    updated_at: Mapped[dt.datetime] = mapped_column(AwareDateTime, default=utcnow)


class Employee(Base):
    """Local copy of the directory's employees."""

    __tablename__ = "employees"
    tenant_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    nip: Mapped[str] = mapped_column(String(32), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    unit_id: Mapped[str] = mapped_column(String(64))
    unit_name: Mapped[str] = mapped_column(String(200), default="")
    # the direct supervisor (latest directory state): decides who may read this score
    supervisor_nip: Mapped[str | None] = mapped_column(String(32), nullable=True)
    tpp_base: Mapped[Decimal] = mapped_column(Money)
    employment_type: Mapped[str] = mapped_column(String(8))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    updated_at: Mapped[dt.datetime] = mapped_column(AwareDateTime, default=utcnow)
    # the start of duty (TMT) and its end (latest directory state; None: not stated)
    start_date: Mapped[dt.date | None] = mapped_column(Date, nullable=True)
    end_date: Mapped[dt.date | None] = mapped_column(Date, nullable=True)
    end_reason: Mapped[str | None] = mapped_column(String(32), nullable=True)

    __table_args__ = (Index("ix_employees_unit", "tenant_id", "unit_id"),
                      Index("ix_employees_supervisor", "tenant_id", "supervisor_nip"))


class EmploymentChange(Base):
    """From ``effective_from`` on, the employee's OPD, position, employment type and TPP
    base are these (``domain.employment``: a statement published later, ``stated_at``,
    wins; ``0001-01-01``: an undated first statement, holding from the beginning)."""

    __tablename__ = "employment_history"
    tenant_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    nip: Mapped[str] = mapped_column(String(32), primary_key=True)
    effective_from: Mapped[dt.date] = mapped_column(Date, primary_key=True)
    unit_id: Mapped[str] = mapped_column(String(64))
    unit_name: Mapped[str] = mapped_column(String(200), default="")
    position: Mapped[str] = mapped_column(String(200), default="")
    employment_type: Mapped[str] = mapped_column(String(8))
    tpp_base: Mapped[Decimal] = mapped_column(Money)
    stated_at: Mapped[dt.datetime] = mapped_column(AwareDateTime, default=utcnow)


class AttendanceDay(Base):
    """Latest revision of each employee-day evaluation."""

    __tablename__ = "attendance_days"
    tenant_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    nip: Mapped[str] = mapped_column(String(32), primary_key=True)
    work_date: Mapped[dt.date] = mapped_column(Date, primary_key=True)
    period: Mapped[str] = mapped_column(String(7))
    revision: Mapped[int] = mapped_column(Integer)
    is_working_day: Mapped[bool] = mapped_column(Boolean)
    status: Mapped[str] = mapped_column(String(16))
    deduction_pct: Mapped[Decimal] = mapped_column(Pct)
    apel_attended: Mapped[bool | None] = mapped_column(Boolean, nullable=True)
    # TK, or the leave/duty code of a day on leave (CT, CS, CB, CM, CAP, CLTN, TB, DL):
    # the pay slip's leave lines; None before migration 0010 until a rebuild
    absence_code: Mapped[str | None] = mapped_column(String(16), nullable=True)
    event_id: Mapped[uuid.UUID] = mapped_column(Uuid)

    __table_args__ = (Index("ix_attendance_days_month", "tenant_id", "nip", "period"),)


class EffectiveDays(Base):
    """Latest revision of the effective working days per (tenant, period, nip); nip '' is
    the tenant default."""

    __tablename__ = "effective_days"
    tenant_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    period: Mapped[str] = mapped_column(String(7), primary_key=True)
    nip: Mapped[str] = mapped_column(String(32), primary_key=True)
    revision: Mapped[int] = mapped_column(Integer)
    effective_days: Mapped[Decimal] = mapped_column(Numeric(5, 2))
    event_id: Mapped[uuid.UUID] = mapped_column(Uuid)


class ActivityEntry(Base):
    """Latest version of each activity entry decision; only ``approved`` counts."""

    __tablename__ = "activity_entries"
    entry_id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    tenant_id: Mapped[str] = mapped_column(String(64))
    nip: Mapped[str] = mapped_column(String(32))
    work_date: Mapped[dt.date] = mapped_column(Date)
    period: Mapped[str] = mapped_column(String(7))
    version: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(16))
    minutes: Mapped[int] = mapped_column(Integer)
    event_id: Mapped[uuid.UUID] = mapped_column(Uuid)

    __table_args__ = (Index("ix_activity_entries_month", "tenant_id", "nip", "period"),)


class Compliance(Base):
    """Compliance % of an employee's month entered by HR (LHKPN/LHKASN filing, duties)."""

    __tablename__ = "compliance"
    tenant_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    nip: Mapped[str] = mapped_column(String(32), primary_key=True)
    period: Mapped[str] = mapped_column(String(7), primary_key=True)
    value_pct: Mapped[Decimal] = mapped_column(Pct)
    note: Mapped[str] = mapped_column(Text, default="")
    entered_by: Mapped[str] = mapped_column(String(64), default="")
    entered_at: Mapped[dt.datetime] = mapped_column(AwareDateTime, default=utcnow)


class PolicyVersion(Base):
    """A tenant's scoring policy from ``effective_period`` on (until a later version)."""

    __tablename__ = "policies"
    tenant_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    effective_period: Mapped[str] = mapped_column(String(7), primary_key=True)
    spec: Mapped[dict[str, Any]] = mapped_column(JSON)
    set_by: Mapped[str] = mapped_column(String(64), default="")
    set_at: Mapped[dt.datetime] = mapped_column(AwareDateTime, default=utcnow)


class Period(Base):
    """Month close state per tenant; no row means open."""

    __tablename__ = "periods"
    tenant_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    period: Mapped[str] = mapped_column(String(7), primary_key=True)
    closed: Mapped[bool] = mapped_column(Boolean, default=False)
    changed_by: Mapped[str] = mapped_column(String(64), default="")
    reason: Mapped[str] = mapped_column(Text, default="")
    changed_at: Mapped[dt.datetime] = mapped_column(AwareDateTime, default=utcnow)
    # the policy the month's scores were computed under, kept at the close (None: open,
    # or closed before migration 0005)
    policy: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    # the last close's confirmation of what was still open ({"confirmed_by", "confirmed_at",
    # "open_items"}); None: nothing was open, the month is open, or closed before 0007
    confirmation: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)


class PeriodAudit(Base):
    """Every close and reopen of a month (who, when, why)."""

    __tablename__ = "period_audit"
    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    tenant_id: Mapped[str] = mapped_column(String(64), index=True)
    period: Mapped[str] = mapped_column(String(7))
    action: Mapped[str] = mapped_column(String(16))
    actor: Mapped[str] = mapped_column(String(64), default="")
    reason: Mapped[str] = mapped_column(Text, default="")
    at: Mapped[dt.datetime] = mapped_column(AwareDateTime, default=utcnow)
    # a close: the open items its closer confirmed (empty: nothing was open)
    open_items: Mapped[list[Any] | None] = mapped_column(JSON, nullable=True)


class LateFact(Base):
    """A fact that arrived for a closed month: stored, shown, not applied to the frozen
    score (a reopening applies it)."""

    __tablename__ = "late_facts"
    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    tenant_id: Mapped[str] = mapped_column(String(64))
    period: Mapped[str] = mapped_column(String(7))
    nip: Mapped[str] = mapped_column(String(32))
    event_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    event_type: Mapped[str] = mapped_column(String(64))
    # what the fact changes: the day it is about and a line for staff (status, code, minutes)
    work_date: Mapped[dt.date | None] = mapped_column(Date, nullable=True)
    change: Mapped[str] = mapped_column(Text, default="")
    received_at: Mapped[dt.datetime] = mapped_column(AwareDateTime, default=utcnow)
    applied_at: Mapped[dt.datetime | None] = mapped_column(AwareDateTime, nullable=True)

    __table_args__ = (Index("ix_late_facts_period", "tenant_id", "period"),)


class MonthDaysRow(Base):
    """What a closed month's pay slips rest on besides the score, kept at its close: the
    leave/duty days by absence code, the effective working days, the sum of the days'
    deductions (``service_layer.month_days``)."""

    __tablename__ = "month_days"
    tenant_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    period: Mapped[str] = mapped_column(String(7), primary_key=True)
    nip: Mapped[str] = mapped_column(String(32), primary_key=True)
    leave_days: Mapped[dict[str, int]] = mapped_column(JSON, default=dict)
    effective_days: Mapped[Decimal] = mapped_column(Numeric(8, 2))
    deduction_sum: Mapped[Decimal] = mapped_column(Numeric(12, 3))
    kept_at: Mapped[dt.datetime] = mapped_column(AwareDateTime, default=utcnow)


class ScoreRow(Base):
    """The running score of one employee-month."""

    __tablename__ = "scores"
    tenant_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    nip: Mapped[str] = mapped_column(String(32), primary_key=True)
    period: Mapped[str] = mapped_column(String(7), primary_key=True)
    version: Mapped[int] = mapped_column(Integer, default=0)
    unit_id: Mapped[str] = mapped_column(String(64), default="")
    policy_name: Mapped[str] = mapped_column(String(64), default="")
    components: Mapped[list[dict[str, str]]] = mapped_column(JSON, default=list)
    sources: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)
    # what the month's figures rest on that HR should know (codes of domain/flags.py)
    flags: Mapped[list[str]] = mapped_column(JSON, default=list)
    # the employment type and the percent of the computed TPP paid for it (CPNS 80)
    employment_type: Mapped[str] = mapped_column(String(8), default="")
    tpp_adjustment_pct: Mapped[Decimal] = mapped_column(Pct, default=100)
    approved_minutes: Mapped[int] = mapped_column(Integer, default=0)
    performance_pct: Mapped[Decimal] = mapped_column(Pct, default=0)
    effective_minutes: Mapped[Decimal] = mapped_column(Numeric(10, 2), default=0)
    final_pct: Mapped[Decimal] = mapped_column(Pct, default=0)
    tpp_base: Mapped[Decimal] = mapped_column(Money, default=0)
    tpp_amount: Mapped[Decimal] = mapped_column(Money, default=0)
    cause_event_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, nullable=True)
    cause_type: Mapped[str | None] = mapped_column(String(64), nullable=True)
    updated_at: Mapped[dt.datetime] = mapped_column(AwareDateTime, default=utcnow)
    # a month paid in parts: its pay segments (``PaySegment.to_dict``); None: one, whole
    segments: Mapped[list[dict[str, Any]] | None] = mapped_column(JSON, nullable=True)
    # the OPDs the employee belonged to in the month, [[unit_id, calendar days], ...];
    # None: ``unit_id`` the whole month
    memberships: Mapped[list[list[Any]] | None] = mapped_column(JSON, nullable=True)

    __table_args__ = (Index("ix_scores_period_unit", "tenant_id", "period", "unit_id"),)


class UnitAverage(Base):
    """Average performance % of a unit's employees in a month (the ``unit_performance``
    collective source), refreshed from the members' running scores."""

    __tablename__ = "unit_averages"
    tenant_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    unit_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    period: Mapped[str] = mapped_column(String(7), primary_key=True)
    avg_pct: Mapped[Decimal] = mapped_column(Pct)
    members: Mapped[int] = mapped_column(Integer)
    updated_at: Mapped[dt.datetime] = mapped_column(AwareDateTime, default=utcnow)


class UnitStanding(Base):
    """Read model of the OPD rankings: per unit-month the scored employees and the sums of
    their final %, performance % and TPP, kept up to date by every score change (the
    deltas of a transaction applied at its commit, ``adapters.standings``)."""

    __tablename__ = "unit_standings"
    tenant_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    period: Mapped[str] = mapped_column(String(7), primary_key=True)
    unit_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    members: Mapped[int] = mapped_column(Integer, default=0)
    final_sum: Mapped[Decimal] = mapped_column(Numeric(16, 3), default=0)
    performance_sum: Mapped[Decimal] = mapped_column(Numeric(16, 3), default=0)
    tpp_total: Mapped[Decimal] = mapped_column(Numeric(18, 2), default=0)
    # weighted by days: the members' calendar days in the unit, and the sums of days x
    # final % and days x performance % (the ranking's averages, migration 0011)
    member_days: Mapped[int] = mapped_column(Integer, default=0)
    final_days: Mapped[Decimal] = mapped_column(Numeric(20, 3), default=0)
    performance_days: Mapped[Decimal] = mapped_column(Numeric(20, 3), default=0)


class DirtyUnit(Base):
    """A unit-month whose average may have changed: the refresher recomputes it and its
    members' collective component (coalesced, so one fact costs O(1))."""

    __tablename__ = "dirty_units"
    tenant_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    unit_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    period: Mapped[str] = mapped_column(String(7), primary_key=True)
    marked_at: Mapped[dt.datetime] = mapped_column(AwareDateTime, default=utcnow)


class PayslipInput(Base):
    """What the payroll unit enters for an employee's month: the salary the BPJS
    Kesehatan base adds the TPP to, and PPh 21 as a rate or an amount."""

    __tablename__ = "payslip_inputs"
    tenant_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    nip: Mapped[str] = mapped_column(String(32), primary_key=True)
    period: Mapped[str] = mapped_column(String(7), primary_key=True)
    salary: Mapped[Decimal] = mapped_column(Money, default=0)
    pph21_pct: Mapped[Decimal | None] = mapped_column(Pct, nullable=True)
    pph21_amount: Mapped[Decimal | None] = mapped_column(Money, nullable=True)
    note: Mapped[str] = mapped_column(Text, default="")
    entered_by: Mapped[str] = mapped_column(String(64), default="")
    entered_at: Mapped[dt.datetime] = mapped_column(AwareDateTime, default=utcnow)


class DisciplinaryPenalty(Base):
    """A disciplinary penalty (hukuman disiplin, PP 94/2021) cutting an employee's TPP by
    ``pct`` in each month from ``from_period`` to ``to_period``."""

    __tablename__ = "disciplinary_penalties"
    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    tenant_id: Mapped[str] = mapped_column(String(64))
    nip: Mapped[str] = mapped_column(String(32))
    from_period: Mapped[str] = mapped_column(String(7))
    to_period: Mapped[str] = mapped_column(String(7))
    pct: Mapped[Decimal] = mapped_column(Pct)
    decree: Mapped[str] = mapped_column(String(100), default="")
    reason: Mapped[str] = mapped_column(Text, default="")
    entered_by: Mapped[str] = mapped_column(String(64), default="")
    entered_at: Mapped[dt.datetime] = mapped_column(AwareDateTime, default=utcnow)

    __table_args__ = (Index("ix_disciplinary_penalties_employee", "tenant_id", "nip"),)

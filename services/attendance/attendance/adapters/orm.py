"""Attendance service tables (its own database)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    String,
    Text,
    Time,
    UniqueConstraint,
    text,
)
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


class Base(DeclarativeBase):
    pass


class Outbox(OutboxMixin, Base):
    pass


class ProcessedEvent(ProcessedEventMixin, Base):
    pass


UNKNOWN_PIN_SOURCE = "iclock:attlog:unknown_pin"


class ConsumerAttempt(ConsumerAttemptMixin, Base):
    pass


class Quarantine(QuarantineMixin, Base):
    # a directory event assigning a PIN re-reads the lines quarantined for that PIN
    __table_args__ = (
        Index("ix_quarantine_unknown_pin", "tenant_id", text("(context->>'pin')"),
              postgresql_where=text(f"source = '{UNKNOWN_PIN_SOURCE}'"),
              sqlite_where=text(f"source = '{UNKNOWN_PIN_SOURCE}'")),
    )


class ActingAssignment(ActingAssignmentCopyMixin, Base):
    """Copy of the acting assignments (Plt/Plh) published by the activity service: who
    sees a supervisor's team (``ekinerja_shared.supervision``)."""


class Tenant(Base):
    """Local copy of the directory's tenants."""

    __tablename__ = "tenants"
    tenant_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    timezone: Mapped[str] = mapped_column(String(64))
    policy_preset: Mapped[str] = mapped_column(String(64), default="")
    updated_at: Mapped[dt.datetime] = mapped_column(AwareDateTime, default=utcnow)


class Employee(Base):
    """Local copy of the directory's employees; ``device_pin`` maps device PINs to NIPs."""

    __tablename__ = "employees"
    tenant_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    nip: Mapped[str] = mapped_column(String(32), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    unit_id: Mapped[str] = mapped_column(String(64))
    device_pin: Mapped[str | None] = mapped_column(String(32), nullable=True)
    # the direct supervisor (who may read this employee's days and month)
    supervisor_nip: Mapped[str | None] = mapped_column(String(32), nullable=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    updated_at: Mapped[dt.datetime] = mapped_column(AwareDateTime, default=utcnow)
    # days before this (tenant-local) date are never closed as TK for this employee
    # (when the directory gave no start of duty)
    first_seen_on: Mapped[dt.date | None] = mapped_column(Date, nullable=True)
    # start (TMT) and last day of duty from the directory (domain.employment)
    start_date: Mapped[dt.date | None] = mapped_column(Date, nullable=True)
    end_date: Mapped[dt.date | None] = mapped_column(Date, nullable=True)

    __table_args__ = (Index("ix_employees_pin", "tenant_id", "device_pin"),
                      Index("ix_employees_supervisor", "tenant_id", "supervisor_nip"))


class Device(Base):
    """A fingerprint/face device registered to one tenant."""

    __tablename__ = "devices"
    serial_number: Mapped[str] = mapped_column(String(64), primary_key=True)
    tenant_id: Mapped[str] = mapped_column(String(64), index=True)
    location: Mapped[str] = mapped_column(String(200), default="")
    timezone: Mapped[str | None] = mapped_column(String(64), nullable=True)
    registered_at: Mapped[dt.datetime] = mapped_column(AwareDateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(AwareDateTime, default=utcnow)
    last_seen_at: Mapped[dt.datetime | None] = mapped_column(AwareDateTime, nullable=True)
    attlog_stamp: Mapped[int] = mapped_column(BigInteger, default=0)
    operlog_stamp: Mapped[int] = mapped_column(BigInteger, default=0)


class Punch(Base):
    """A raw punch as a device sent it: never altered or deleted."""

    __tablename__ = "punches"
    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    tenant_id: Mapped[str] = mapped_column(String(64))
    device_sn: Mapped[str] = mapped_column(String(64))
    pin: Mapped[str] = mapped_column(String(32))
    nip: Mapped[str] = mapped_column(String(32))
    local_time: Mapped[dt.datetime] = mapped_column(DateTime(timezone=False))
    punched_at: Mapped[dt.datetime] = mapped_column(AwareDateTime)
    status_code: Mapped[int] = mapped_column(Integer, default=0)
    verify_type: Mapped[int] = mapped_column(Integer, default=0)
    workcode: Mapped[str] = mapped_column(String(32), default="")
    raw: Mapped[str] = mapped_column(Text)
    received_at: Mapped[dt.datetime] = mapped_column(AwareDateTime, default=utcnow)

    __table_args__ = (
        UniqueConstraint("device_sn", "pin", "local_time", name="uq_punches_device_pin_time"),
        Index("ix_punches_employee_time", "tenant_id", "nip", "punched_at"),
    )


class EmployeeUnit(Base):
    """From ``effective_from`` on, the employee belongs to ``unit_id`` (a transfer between
    OPD holds from its date: the unit's schedule and the day's OPD in the summaries)."""

    __tablename__ = "employee_units"
    tenant_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    nip: Mapped[str] = mapped_column(String(32), primary_key=True)
    effective_from: Mapped[dt.date] = mapped_column(Date, primary_key=True)
    unit_id: Mapped[str] = mapped_column(String(64))
    updated_at: Mapped[dt.datetime] = mapped_column(AwareDateTime, default=utcnow)


class DayRecord(Base):
    """The current verdict on an employee's day; ``revision`` grows with each change."""

    __tablename__ = "day_records"
    tenant_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    nip: Mapped[str] = mapped_column(String(32), primary_key=True)
    work_date: Mapped[dt.date] = mapped_column(Date, primary_key=True)
    revision: Mapped[int] = mapped_column(Integer)
    is_working_day: Mapped[bool] = mapped_column(Boolean)
    status: Mapped[str] = mapped_column(String(16))
    arrival: Mapped[dt.datetime | None] = mapped_column(AwareDateTime, nullable=True)
    departure: Mapped[dt.datetime | None] = mapped_column(AwareDateTime, nullable=True)
    late_minutes: Mapped[int] = mapped_column(Integer, default=0)
    early_minutes: Mapped[int] = mapped_column(Integer, default=0)
    tl_code: Mapped[str | None] = mapped_column(String(16), nullable=True)
    psw_code: Mapped[str | None] = mapped_column(String(16), nullable=True)
    absence_code: Mapped[str | None] = mapped_column(String(16), nullable=True)
    apel_attended: Mapped[bool | None] = mapped_column(Boolean, nullable=True)
    deduction_pct: Mapped[Decimal] = mapped_column(Numeric(7, 3))
    evaluated_at: Mapped[dt.datetime] = mapped_column(AwareDateTime, default=utcnow)
    # the employee's OPD on that day (null: evaluated before migration 0010)
    unit_id: Mapped[str | None] = mapped_column(String(64), nullable=True)


class EffectiveDays(Base):
    """The last published effective working days of a month (nip '' = tenant default)."""

    __tablename__ = "effective_days"
    tenant_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    period: Mapped[str] = mapped_column(String(7), primary_key=True)
    nip: Mapped[str] = mapped_column(String(32), primary_key=True, default="")
    revision: Mapped[int] = mapped_column(Integer)
    effective_days: Mapped[Decimal] = mapped_column(Numeric(5, 2))
    working_dates: Mapped[list[Any]] = mapped_column(JSON, default=list)
    published_at: Mapped[dt.datetime] = mapped_column(AwareDateTime, default=utcnow)


class DeviceCommand(Base):
    """A command queued for a device; ``id`` is the ``C:<id>:`` the device reports back."""

    __tablename__ = "device_commands"
    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    device_sn: Mapped[str] = mapped_column(String(64))
    tenant_id: Mapped[str] = mapped_column(String(64))
    command: Mapped[str] = mapped_column(Text)
    # sent, done, failed, unanswered (sent 1 + max_resends times, never answered)
    status: Mapped[str] = mapped_column(String(16), default="pending")
    created_at: Mapped[dt.datetime] = mapped_column(AwareDateTime, default=utcnow)
    sent_at: Mapped[dt.datetime | None] = mapped_column(AwareDateTime, nullable=True)
    completed_at: Mapped[dt.datetime | None] = mapped_column(AwareDateTime, nullable=True)
    return_code: Mapped[int | None] = mapped_column(Integer, nullable=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)  # times sent to the device

    __table_args__ = (Index("ix_device_commands_device_status", "device_sn", "status", "id"),)


class PunchWindowRow(Base):
    """A tenant's own plausibility window for punch times (else the service default)."""

    __tablename__ = "punch_windows"
    tenant_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    max_future_hours: Mapped[int] = mapped_column(Integer)
    max_age_days: Mapped[int] = mapped_column(Integer)
    updated_by: Mapped[str] = mapped_column(String(64), default="")
    updated_at: Mapped[dt.datetime] = mapped_column(AwareDateTime, default=utcnow)


class DeviceUser(Base):
    """A user enrolled on a device, as its OPERLOG uploads report it."""

    __tablename__ = "device_users"
    device_sn: Mapped[str] = mapped_column(String(64), primary_key=True)
    pin: Mapped[str] = mapped_column(String(32), primary_key=True)
    tenant_id: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(200), default="")
    privilege: Mapped[int] = mapped_column(Integer, default=0)
    card: Mapped[str] = mapped_column(String(64), default="")
    updated_at: Mapped[dt.datetime] = mapped_column(AwareDateTime, default=utcnow)


class Schedule(Base):
    """A named week of working hours of a tenant (weekday -> "HH:MM-HH:MM" or null)."""

    __tablename__ = "schedules"
    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    tenant_id: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(100))
    days: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[dt.datetime] = mapped_column(AwareDateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(AwareDateTime, default=utcnow)

    __table_args__ = (UniqueConstraint("tenant_id", "name", name="uq_schedules_tenant_name"),)


class ScheduleAssignmentRow(Base):
    """A schedule in force for the whole tenant, a unit or one employee, for a date range."""

    __tablename__ = "schedule_assignments"
    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    tenant_id: Mapped[str] = mapped_column(String(64), index=True)
    schedule_id: Mapped[int] = mapped_column(ForeignKey("schedules.id"))
    scope: Mapped[str] = mapped_column(String(16))  # tenant / unit / employee
    scope_id: Mapped[str] = mapped_column(String(64), default="")
    valid_from: Mapped[dt.date | None] = mapped_column(Date, nullable=True)
    valid_to: Mapped[dt.date | None] = mapped_column(Date, nullable=True)
    priority: Mapped[int] = mapped_column(Integer, default=0)
    created_by: Mapped[str] = mapped_column(String(64), default="")
    created_at: Mapped[dt.datetime] = mapped_column(AwareDateTime, default=utcnow)


class Holiday(Base):
    """A national holiday, cuti bersama or local holiday: not a working day."""

    __tablename__ = "holidays"
    tenant_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    date: Mapped[dt.date] = mapped_column(Date, primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(16), default="national")  # cuti_bersama, local


class ShiftRoster(Base):
    """One employee's rostered shift on a date (24-hour units); hours null = rostered off."""

    __tablename__ = "shift_rosters"
    tenant_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    nip: Mapped[str] = mapped_column(String(32), primary_key=True)
    work_date: Mapped[dt.date] = mapped_column(Date, primary_key=True)
    hours: Mapped[str | None] = mapped_column(String(16), nullable=True)
    updated_at: Mapped[dt.datetime] = mapped_column(AwareDateTime, default=utcnow)


class TenantRules(Base):
    """A tenant's own discipline rules (brackets, percentages), replacing its preset."""

    __tablename__ = "tenant_rules"
    tenant_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    rules: Mapped[dict[str, Any]] = mapped_column(JSON)
    updated_by: Mapped[str] = mapped_column(String(64), default="")
    updated_at: Mapped[dt.datetime] = mapped_column(AwareDateTime, default=utcnow)


class Leave(Base):
    """Leave or a permit entered by HR for a date range; cancelling keeps the row."""

    __tablename__ = "leaves"
    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    tenant_id: Mapped[str] = mapped_column(String(64))
    nip: Mapped[str] = mapped_column(String(32))
    kind: Mapped[str] = mapped_column(String(8))
    start_date: Mapped[dt.date] = mapped_column(Date)
    end_date: Mapped[dt.date] = mapped_column(Date)
    note: Mapped[str] = mapped_column(Text, default="")
    entered_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[dt.datetime] = mapped_column(AwareDateTime, default=utcnow)
    cancelled_at: Mapped[dt.datetime | None] = mapped_column(AwareDateTime, nullable=True)
    cancelled_by: Mapped[str | None] = mapped_column(String(64), nullable=True)

    __table_args__ = (Index("ix_leaves_employee", "tenant_id", "nip", "start_date"),)


class Correction(Base):
    """HR's correction of a day (audit trail: who, when, why). The latest one applies;
    raw punches are never touched."""

    __tablename__ = "corrections"
    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    tenant_id: Mapped[str] = mapped_column(String(64))
    nip: Mapped[str] = mapped_column(String(32))
    work_date: Mapped[dt.date] = mapped_column(Date)
    arrival: Mapped[dt.datetime | None] = mapped_column(AwareDateTime, nullable=True)
    departure: Mapped[dt.datetime | None] = mapped_column(AwareDateTime, nullable=True)
    reason: Mapped[str] = mapped_column(Text)
    corrected_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[dt.datetime] = mapped_column(AwareDateTime, default=utcnow)

    __table_args__ = (Index("ix_corrections_day", "tenant_id", "nip", "work_date"),)


class DayClosure(Base):
    """Dates whose verdicts have been closed (TK for the scheduled who never came)."""

    __tablename__ = "day_closures"
    tenant_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    work_date: Mapped[dt.date] = mapped_column(Date, primary_key=True)
    closed_at: Mapped[dt.datetime] = mapped_column(AwareDateTime, default=utcnow)
    employees: Mapped[int] = mapped_column(Integer, default=0)


class ApelSettings(Base):
    """A tenant's apel/ceremony: time window, weekdays, designated devices."""

    __tablename__ = "apel_settings"
    tenant_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    window_start: Mapped[dt.time] = mapped_column(Time)
    window_end: Mapped[dt.time] = mapped_column(Time)
    weekdays: Mapped[list[Any]] = mapped_column(JSON)
    device_serials: Mapped[list[Any]] = mapped_column(JSON, default=list)
    updated_by: Mapped[str] = mapped_column(String(64), default="")
    updated_at: Mapped[dt.datetime] = mapped_column(AwareDateTime, default=utcnow)

"""Gateway tables (its own database): the directory it owns and the scores read model."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal
from typing import Any

from sqlalchemy import JSON, BigInteger, Date, Index, Integer, Numeric, String, Uuid
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from ekinerja_shared.db import (
    AwareDateTime,
    ConsumerAttemptMixin,
    OutboxMixin,
    ProcessedEventMixin,
    QuarantineMixin,
)
from ekinerja_shared.acting_copy import ActingAssignmentCopyMixin
from ekinerja_shared.timeutil import utcnow


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


class Tenant(Base):
    """A regency/city using the platform (the directory's source of truth)."""

    __tablename__ = "tenants"
    tenant_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    timezone: Mapped[str] = mapped_column(String(64))
    policy_preset: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[dt.datetime] = mapped_column(AwareDateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(AwareDateTime, default=utcnow)


class Employee(Base):
    """An employee of a tenant's roster (the directory's source of truth)."""

    __tablename__ = "employees"
    tenant_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    nip: Mapped[str] = mapped_column(String(32), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    unit_id: Mapped[str] = mapped_column(String(64))
    unit_name: Mapped[str] = mapped_column(String(200), default="")
    position: Mapped[str] = mapped_column(String(200), default="")
    supervisor_nip: Mapped[str | None] = mapped_column(String(32), nullable=True)
    tpp_base: Mapped[Decimal] = mapped_column(Numeric(16, 2))
    employment_type: Mapped[str] = mapped_column(String(8), default="PNS")
    device_pin: Mapped[str | None] = mapped_column(String(24), nullable=True)
    active: Mapped[bool] = mapped_column(default=True)
    start_date: Mapped[dt.date | None] = mapped_column(Date, nullable=True)  # TMT
    end_date: Mapped[dt.date | None] = mapped_column(Date, nullable=True)  # last day of duty
    end_reason: Mapped[str | None] = mapped_column(String(32), nullable=True)
    created_at: Mapped[dt.datetime] = mapped_column(AwareDateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(AwareDateTime, default=utcnow)

    __table_args__ = (
        Index("ix_employees_unit", "tenant_id", "unit_id"),
        Index("ix_employees_pin", "tenant_id", "device_pin"),
    )


class EmployeeHistory(Base):
    """Every recorded change of an employee: the state (the directory's fields) in force
    from ``effective_from``, and when and why it was recorded."""

    __tablename__ = "employee_history"
    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"),
                                    primary_key=True, autoincrement=True)
    tenant_id: Mapped[str] = mapped_column(String(64))
    nip: Mapped[str] = mapped_column(String(32))
    effective_from: Mapped[dt.date | None] = mapped_column(Date, nullable=True)
    change: Mapped[str] = mapped_column(String(16))  # created, updated, deactivated
    state: Mapped[dict[str, Any]] = mapped_column(JSON)
    recorded_at: Mapped[dt.datetime] = mapped_column(AwareDateTime, default=utcnow)

    __table_args__ = (Index("ix_employee_history_nip", "tenant_id", "nip", "id"),)


class Score(Base):
    """Read model of ScoreUpdated: the highest version per (tenant, nip, period)."""

    __tablename__ = "scores"
    tenant_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    nip: Mapped[str] = mapped_column(String(32), primary_key=True)
    period: Mapped[str] = mapped_column(String(7), primary_key=True)
    version: Mapped[int] = mapped_column(Integer)
    final_pct: Mapped[Decimal] = mapped_column(Numeric(9, 3))
    components: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    tpp_base: Mapped[Decimal] = mapped_column(Numeric(16, 2))
    tpp_amount: Mapped[Decimal] = mapped_column(Numeric(16, 2))
    event_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    cause_event_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, nullable=True)
    cause_type: Mapped[str | None] = mapped_column(String(64), nullable=True)
    updated_at: Mapped[dt.datetime] = mapped_column(AwareDateTime)
    received_at: Mapped[dt.datetime] = mapped_column(AwareDateTime, default=utcnow)

    __table_args__ = (Index("ix_scores_tenant_period", "tenant_id", "period"),)


class ActingAssignment(ActingAssignmentCopyMixin, Base):
    """Copy of the acting assignments (Plt/Plh) published by the activity service: who
    sees a team's scores and directory rows over the assignment's dates."""

"""Activity service tables (its own database)."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal

from sqlalchemy import Date, ForeignKey, Index, Integer, Numeric, String, Text, Time, Uuid
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from ekinerja_shared.db import (
    AwareDateTime,
    BigIntPK,
    OutboxMixin,
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


class Quarantine(QuarantineMixin, Base):
    pass


class Tenant(Base):
    """Local copy of the directory's tenants."""

    __tablename__ = "tenants"
    tenant_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    timezone: Mapped[str] = mapped_column(String(64))


class Employee(Base):
    """Local copy of the directory's employees (from directory events)."""

    __tablename__ = "employees"
    tenant_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    nip: Mapped[str] = mapped_column(String(32), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    unit_id: Mapped[str] = mapped_column(String(64))
    supervisor_nip: Mapped[str | None] = mapped_column(String(32), nullable=True)
    active: Mapped[bool] = mapped_column(default=True)
    updated_at: Mapped[dt.datetime] = mapped_column(AwareDateTime, default=utcnow)

    __table_args__ = (Index("ix_employees_supervisor", "tenant_id", "supervisor_nip"),)


class Entry(Base):
    __tablename__ = "entries"
    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    tenant_id: Mapped[str] = mapped_column(String(64))
    nip: Mapped[str] = mapped_column(String(32))
    work_date: Mapped[dt.date] = mapped_column(Date)
    start_time: Mapped[dt.time] = mapped_column(Time)
    end_time: Mapped[dt.time] = mapped_column(Time)
    minutes: Mapped[int] = mapped_column(Integer)
    description: Mapped[str] = mapped_column(Text)
    output_quantity: Mapped[Decimal | None] = mapped_column(Numeric(12, 2), nullable=True)
    output_unit: Mapped[str | None] = mapped_column(String(64), nullable=True)
    status: Mapped[str] = mapped_column(String(16))
    decided_by: Mapped[str | None] = mapped_column(String(32), nullable=True)
    decided_at: Mapped[dt.datetime | None] = mapped_column(AwareDateTime, nullable=True)
    reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[dt.datetime] = mapped_column(AwareDateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(AwareDateTime, default=utcnow)

    # optimistic locking: concurrent decisions on one entry resolve to one outcome
    __mapper_args__ = {"version_id_col": version}
    __table_args__ = (
        Index("ix_entries_employee_date", "tenant_id", "nip", "work_date"),
        Index("ix_entries_status", "tenant_id", "status"),
    )


class EntryTransition(Base):
    """Audit trail: every status change of an entry (who, when, why)."""

    __tablename__ = "entry_transitions"
    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    entry_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("entries.id"), index=True)
    from_status: Mapped[str | None] = mapped_column(String(16), nullable=True)
    to_status: Mapped[str] = mapped_column(String(16))
    actor_nip: Mapped[str | None] = mapped_column(String(32), nullable=True)
    reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    at: Mapped[dt.datetime] = mapped_column(AwareDateTime, default=utcnow)

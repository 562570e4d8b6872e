"""Activity service tables (its own database)."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal
from typing import Any, cast

from sqlalchemy import (
    JSON,
    Date,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    String,
    Table,
    Text,
    Time,
    Uuid,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

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


class ConsumerAttempt(ConsumerAttemptMixin, Base):
    pass


class Quarantine(QuarantineMixin, Base):
    pass


class Tenant(Base):
    """Local copy of the directory's tenants."""

    __tablename__ = "tenants"
    tenant_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    timezone: Mapped[str] = mapped_column(String(64))


class Unit(Base):
    """Local copy of the directory's units (OPD / bagian), from employee events."""

    __tablename__ = "units"
    tenant_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    unit_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    updated_at: Mapped[dt.datetime] = mapped_column(AwareDateTime, default=utcnow)


class Employee(Base):
    """Local copy of the directory's employees (from directory events)."""

    __tablename__ = "employees"
    tenant_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    nip: Mapped[str] = mapped_column(String(32), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    unit_id: Mapped[str] = mapped_column(String(64))
    supervisor_nip: Mapped[str | None] = mapped_column(String(32), nullable=True)
    active: Mapped[bool] = mapped_column(default=True)
    # the start (TMT) and the last day of duty of the latest state (migration 0006)
    start_date: Mapped[dt.date | None] = mapped_column(Date, nullable=True)
    end_date: Mapped[dt.date | None] = mapped_column(Date, nullable=True)
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
    plan_item_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, nullable=True)
    agenda_item_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, nullable=True)
    # the direct supervisor on the work date (kept up to date from the directory)
    supervisor_nip: Mapped[str | None] = mapped_column(String(32), nullable=True)
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
        Index("ix_entries_queue", "tenant_id", "supervisor_nip", "status"),
        Index("ix_entries_plan", "plan_item_id"),
        Index("ix_entries_agenda", "agenda_item_id"),
    )


# the entries table for Core statements (the guarded bulk UPDATEs of decisions and expiry)
ENTRIES = cast(Table, Entry.__table__)


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


class SupervisorLinkRow(Base):
    """Supervisor history of an employee: from ``effective_from`` on, ``supervisor_nip``."""

    __tablename__ = "supervisor_links"
    tenant_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    nip: Mapped[str] = mapped_column(String(32), primary_key=True)
    effective_from: Mapped[dt.date] = mapped_column(Date, primary_key=True)
    supervisor_nip: Mapped[str | None] = mapped_column(String(32), nullable=True)
    updated_at: Mapped[dt.datetime] = mapped_column(AwareDateTime, default=utcnow)


class ActingAssignmentRow(Base):
    """A Plt/Plh: ``acting_nip`` exercises ``principal_nip``'s role between two dates."""

    __tablename__ = "acting_assignments"
    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    tenant_id: Mapped[str] = mapped_column(String(64))
    principal_nip: Mapped[str] = mapped_column(String(32))
    acting_nip: Mapped[str] = mapped_column(String(32))
    kind: Mapped[str] = mapped_column(String(8))
    start_date: Mapped[dt.date] = mapped_column(Date)
    end_date: Mapped[dt.date] = mapped_column(Date)
    created_at: Mapped[dt.datetime] = mapped_column(AwareDateTime, default=utcnow)

    __table_args__ = (Index("ix_acting_acting", "tenant_id", "acting_nip"),
                      Index("ix_acting_principal", "tenant_id", "principal_nip"))


class Verifier(Base):
    """Staff of the regency's verifier team (BKPSDM), who may revoke approved entries."""

    __tablename__ = "verifiers"
    tenant_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    nip: Mapped[str] = mapped_column(String(32), primary_key=True)
    created_at: Mapped[dt.datetime] = mapped_column(AwareDateTime, default=utcnow)


class TenantRuleRow(Base):
    """A tenant's overrides of the default activity rules (only the keys it sets)."""

    __tablename__ = "tenant_rules"
    tenant_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    overrides: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    updated_at: Mapped[dt.datetime] = mapped_column(AwareDateTime, default=utcnow)


class PeriodState(Base):
    """Month close state from scoring's PeriodClosed/PeriodReopened events."""

    __tablename__ = "period_states"
    tenant_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    period: Mapped[str] = mapped_column(String(7), primary_key=True)
    closed: Mapped[bool] = mapped_column(default=False)
    updated_at: Mapped[dt.datetime] = mapped_column(AwareDateTime, default=utcnow)


class PlanItem(Base):
    """A monthly plan item (SKP target or RPOK item) with a target quantity."""

    __tablename__ = "plan_items"
    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    tenant_id: Mapped[str] = mapped_column(String(64))
    nip: Mapped[str] = mapped_column(String(32))
    period: Mapped[str] = mapped_column(String(7))
    kind: Mapped[str] = mapped_column(String(8))
    title: Mapped[str] = mapped_column(Text)
    target_quantity: Mapped[Decimal] = mapped_column(Numeric(12, 2))
    unit: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[dt.datetime] = mapped_column(AwareDateTime, default=utcnow)

    __table_args__ = (Index("ix_plan_items_employee", "tenant_id", "nip", "period"),)


class AgendaItem(Base):
    """A planned daily agenda item (morning or afternoon)."""

    __tablename__ = "agenda_items"
    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    tenant_id: Mapped[str] = mapped_column(String(64))
    nip: Mapped[str] = mapped_column(String(32))
    agenda_date: Mapped[dt.date] = mapped_column(Date)
    slot: Mapped[str] = mapped_column(String(16))
    description: Mapped[str] = mapped_column(Text)
    plan_item_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, nullable=True)
    created_at: Mapped[dt.datetime] = mapped_column(AwareDateTime, default=utcnow)

    __table_args__ = (Index("ix_agenda_employee", "tenant_id", "nip", "agenda_date"),)

"""A minimal service schema for exercising the shared plumbing (outbox, inbox, quarantine)
in tests and benchmarks: the three shared tables and one table of applied facts."""

from __future__ import annotations

from sqlalchemy import String
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from ekinerja_shared.db import OutboxMixin, ProcessedEventMixin, QuarantineMixin


class Base(DeclarativeBase):
    pass


class Outbox(OutboxMixin, Base):
    pass


class Inbox(ProcessedEventMixin, Base):
    pass


class Quarantine(QuarantineMixin, Base):
    pass


class ClosedPeriod(Base):
    """One row per applied PeriodClosed: applying the same event twice violates the key."""

    __tablename__ = "closed_periods"
    tenant_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    period: Mapped[str] = mapped_column(String(7), primary_key=True)
    times_applied: Mapped[int] = mapped_column(default=0)

"""Request and response shapes of the activity API."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from ekinerja_shared.timeutil import PERIOD_PATTERN

from ..adapters.orm import ActingAssignmentRow, AgendaItem, Entry, EntryTransition
from ..domain.model import ActingKind
from ..domain.plans import AgendaSlot, PlanKind
from ..domain.rules import TenantRules
from ..service_layer.entries import NewEntry
from ..service_layer.plans import PlanRealisation

NIP = Annotated[str, Field(min_length=1, max_length=32)]


class OwnIn(BaseModel):
    """A request about the caller's own things or made in the caller's name: the person
    comes from the token. Unknown fields are refused, so that a client still sending
    ``nip``, ``approver_nip`` or ``verifier_nip`` learns it instead of acting as someone
    else than it meant."""

    model_config = ConfigDict(extra="forbid")


class EntryIn(OwnIn):
    work_date: dt.date
    start: dt.time
    end: dt.time
    description: str = Field(min_length=3, max_length=2000)
    output_quantity: Decimal | None = Field(default=None, ge=0, max_digits=12, decimal_places=2)
    output_unit: str | None = Field(default=None, max_length=64)
    plan_item_id: uuid.UUID | None = None
    agenda_item_id: uuid.UUID | None = None
    submit: bool = True

    def data(self) -> NewEntry:
        return NewEntry(self.work_date, self.start.replace(second=0, microsecond=0),
                                 self.end.replace(second=0, microsecond=0), self.description,
                                 self.output_quantity, self.output_unit, self.plan_item_id,
                                 self.agenda_item_id)


class EntryEditIn(EntryIn):
    submit: bool = False
    version: int | None = Field(default=None, ge=1, description="Version the edit is based on")


class EntryOut(BaseModel):
    id: uuid.UUID
    nip: str
    work_date: dt.date
    start: dt.time
    end: dt.time
    minutes: int
    description: str
    output_quantity: Decimal | None
    output_unit: str | None
    plan_item_id: uuid.UUID | None
    agenda_item_id: uuid.UUID | None
    supervisor_nip: str | None
    status: str
    decided_by: str | None
    reason: str | None
    version: int

    @classmethod
    def of(cls, e: Entry) -> "EntryOut":
        return cls(id=e.id, nip=e.nip, work_date=e.work_date, start=e.start_time, end=e.end_time,
                   minutes=e.minutes, description=e.description,
                   output_quantity=e.output_quantity, output_unit=e.output_unit,
                   plan_item_id=e.plan_item_id, agenda_item_id=e.agenda_item_id,
                   supervisor_nip=e.supervisor_nip, status=e.status, decided_by=e.decided_by,
                   reason=e.reason, version=e.version)


class TransitionOut(BaseModel):
    from_status: str | None
    to_status: str
    actor_nip: str | None
    reason: str | None
    at: dt.datetime

    @classmethod
    def of(cls, t: EntryTransition) -> "TransitionOut":
        return cls(from_status=t.from_status, to_status=t.to_status, actor_nip=t.actor_nip,
                   reason=t.reason, at=t.at)


class DecisionIn(OwnIn):
    reason: str | None = Field(default=None, max_length=2000)


class RevokeIn(OwnIn):
    reason: str = Field(min_length=3, max_length=2000)


class BulkItemIn(BaseModel):
    entry_id: uuid.UUID
    approve: bool
    reason: str | None = Field(default=None, max_length=2000)


class BulkIn(OwnIn):
    decisions: list[BulkItemIn] = Field(min_length=1)


class BulkItemOut(BaseModel):
    entry_id: uuid.UUID
    ok: bool
    status: str | None = None
    version: int | None = None
    code: str | None = None
    detail: str | None = None


class BulkOut(BaseModel):
    decided: int
    refused: int
    results: list[BulkItemOut]


class PendingOut(BaseModel):
    supervisor_nip: str | None
    pending: int
    oldest_work_date: dt.date
    nearest_deadline: dt.date


class UndecidedOut(BaseModel):
    supervisor_nip: str | None = Field(description="None: the employee has no supervisor "
                                                   "in the directory")
    entries: int
    oldest_work_date: dt.date


class MonthOpenOut(BaseModel):
    """What the activity service still has open in a month (before it is closed)."""

    tenant_id: str
    period: str
    undecided_entries: int = Field(description="Entries submitted, not yet decided")
    oldest_work_date: dt.date | None
    by_supervisor: list[UndecidedOut]


class RulesIn(BaseModel):
    edit_window_days: int | None = Field(default=None, ge=0, le=62)
    daily_cap_minutes: int | None = Field(default=None, ge=1, le=1440)
    approval_deadline_day: int | None = Field(default=None, ge=1, le=28)


class RulesOut(BaseModel):
    edit_window_days: int
    daily_cap_minutes: int
    approval_deadline_day: int

    @classmethod
    def of(cls, r: TenantRules) -> "RulesOut":
        return cls(edit_window_days=r.edit_window_days, daily_cap_minutes=r.daily_cap_minutes,
                   approval_deadline_day=r.approval_deadline_day)


class ActingIn(BaseModel):
    principal_nip: NIP
    acting_nip: NIP
    kind: ActingKind
    start_date: dt.date
    end_date: dt.date


class ActingOut(ActingIn):
    id: uuid.UUID

    @classmethod
    def of(cls, r: ActingAssignmentRow) -> "ActingOut":
        return cls(id=r.id, principal_nip=r.principal_nip, acting_nip=r.acting_nip,
                   kind=ActingKind(r.kind), start_date=r.start_date, end_date=r.end_date)


class PlanChangeIn(OwnIn):
    """A plan item's changeable fields (its month stays)."""

    kind: PlanKind = PlanKind.SKP
    title: str = Field(min_length=3, max_length=2000)
    target_quantity: Decimal = Field(gt=0, max_digits=12, decimal_places=2)
    unit: str = Field(min_length=1, max_length=64)


class PlanIn(PlanChangeIn):
    period: str = Field(pattern=PERIOD_PATTERN)


class PlanOut(BaseModel):
    id: uuid.UUID
    nip: str
    period: str
    kind: str
    title: str
    target_quantity: Decimal
    unit: str
    approved_quantity: Decimal
    realisation_pct: Decimal
    approved_entries: int

    @classmethod
    def of(cls, r: PlanRealisation) -> "PlanOut":
        i = r.item
        return cls(id=i.id, nip=i.nip, period=i.period, kind=i.kind, title=i.title,
                   target_quantity=i.target_quantity, unit=i.unit,
                   approved_quantity=r.approved_quantity, realisation_pct=r.realisation_pct,
                   approved_entries=r.approved_entries)


class AgendaIn(OwnIn):
    agenda_date: dt.date
    slot: AgendaSlot
    description: str = Field(min_length=3, max_length=2000)
    plan_item_id: uuid.UUID | None = None


class AgendaItemOut(BaseModel):
    id: uuid.UUID
    nip: str
    agenda_date: dt.date
    slot: str
    description: str
    plan_item_id: uuid.UUID | None
    state: str

    @classmethod
    def of(cls, i: AgendaItem, state: str) -> "AgendaItemOut":
        return cls(id=i.id, nip=i.nip, agenda_date=i.agenda_date, slot=i.slot,
                   description=i.description, plan_item_id=i.plan_item_id, state=state)


class AgendaDayOut(BaseModel):
    agenda_date: dt.date
    planned: int
    done: int
    items: list[AgendaItemOut]


class LinkOut(BaseModel):
    effective_from: dt.date
    supervisor_nip: str | None


class EmployeeOut(BaseModel):
    nip: str
    name: str
    unit_id: str
    unit_name: str | None
    supervisor_nip: str | None
    active: bool
    supervisor_history: list[LinkOut]

"""Request and response shapes of the gateway's own HTTP API."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal
from collections.abc import Iterable
from typing import Any

from pydantic import BaseModel, Field

from ..adapters.orm import Employee, EmployeeHistory, Score, Tenant
from ..service_layer.services import EmployeeFields


class TenantIn(BaseModel):
    name: str = Field(min_length=1, max_length=200)
    timezone: str = Field(min_length=1, max_length=64, description="WIB, WITA, WIT or IANA")
    policy_preset: str = Field(min_length=1, max_length=64)


class TenantOut(BaseModel):
    tenant_id: str
    name: str
    timezone: str
    policy_preset: str
    created_at: dt.datetime
    updated_at: dt.datetime

    @classmethod
    def of(cls, t: Tenant) -> "TenantOut":
        return cls(tenant_id=t.tenant_id, name=t.name, timezone=t.timezone,
                   policy_preset=t.policy_preset, created_at=t.created_at,
                   updated_at=t.updated_at)


class EmployeeOut(BaseModel):
    tenant_id: str
    nip: str
    name: str
    unit_id: str
    unit_name: str
    position: str
    supervisor_nip: str | None
    tpp_base: Decimal
    employment_type: str
    device_pin: str | None = Field(description="fingerprint PIN; shown to HR and the "
                                               "operator only (null for anyone else)")
    active: bool
    start_date: dt.date | None = Field(default=None, description="start of duty (TMT); "
                                       "null: on duty since before the platform knew")
    end_date: dt.date | None = Field(default=None, description="last day of duty")
    end_reason: str | None = Field(default=None,
                                   description="pensiun, pemberhentian or pindah_keluar")
    updated_at: dt.datetime

    @classmethod
    def of(cls, e: Employee, *, with_pin: bool) -> "EmployeeOut":
        return cls(tenant_id=e.tenant_id, nip=e.nip, name=e.name, unit_id=e.unit_id,
                   unit_name=e.unit_name, position=e.position, supervisor_nip=e.supervisor_nip,
                   tpp_base=e.tpp_base, employment_type=e.employment_type,
                   device_pin=e.device_pin if with_pin else None, active=e.active,
                   start_date=e.start_date, end_date=e.end_date, end_reason=e.end_reason,
                   updated_at=e.updated_at)

    @staticmethod
    def listing(rows: Iterable[EmployeeFields], *, with_pin: bool) -> list[dict[str, Any]]:
        """A listing's rows as the response model's fields: the route's response model
        checks and serialises the whole list at once (a model built per employee was most
        of the time of listing a regency of thousands)."""
        listed = list(rows)
        fields = listed[0]._fields if listed else ()
        out = [dict(zip(fields, row)) for row in listed]
        if not with_pin:
            for e in out:
                e["device_pin"] = None
        return out


class HistoryEntryOut(BaseModel):
    """One recorded change: the employee's state in force from ``effective_from``."""

    effective_from: dt.date | None = Field(description="the date the state holds from "
                                                       "(for change=start_date: the new TMT)")
    change: str = Field(description="created, updated, start_date (only the TMT moved) or "
                                    "deactivated")
    state: dict[str, Any] = Field(description="unit, supervisor, position, employment type, "
                                              "TPP base, device PIN, dates and active flag")
    recorded_at: dt.datetime

    @classmethod
    def of(cls, h: EmployeeHistory) -> "HistoryEntryOut":
        return cls(effective_from=h.effective_from, change=h.change, state=dict(h.state),
                   recorded_at=h.recorded_at)


class RosterOut(BaseModel):
    created: int
    updated: int
    unchanged: int


class ScoreOut(BaseModel):
    tenant_id: str
    nip: str
    name: str | None
    period: str
    final_pct: Decimal
    components: list[dict[str, Any]]
    tpp_base: Decimal
    tpp_amount: Decimal
    version: int
    cause_type: str | None = Field(description="event type of the fact that changed the score")
    cause_event_id: uuid.UUID | None
    updated_at: dt.datetime

    @classmethod
    def of(cls, score: Score, emp: Employee | None) -> "ScoreOut":
        return cls(tenant_id=score.tenant_id, nip=score.nip, name=emp.name if emp else None,
                   period=score.period, final_pct=score.final_pct, components=score.components,
                   tpp_base=score.tpp_base, tpp_amount=score.tpp_amount, version=score.version,
                   cause_type=score.cause_type, cause_event_id=score.cause_event_id,
                   updated_at=score.updated_at)


ROSTER_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "text/csv": {"schema": {
                "type": "string",
                "description": "Header line, then one employee per line (comma or semicolon). "
                "Columns: nip, name, unit_id, tpp_base (required); unit_name, position, "
                "supervisor_nip, employment_type, device_pin; tmt (start of duty), "
                "effective_from (the row's values hold from this date; for a new employee "
                "also the TMT), end_date with end_reason (pensiun, pemberhentian, pindah "
                "keluar). Dates as YYYY-MM-DD or DD-MM-YYYY, not in the future. An unknown "
                "column refuses the whole file (422 invalid_roster)."}},
            "multipart/form-data": {
                "schema": {"type": "object", "required": ["file"],
                           "properties": {"file": {"type": "string", "format": "binary"}}}
            },
        },
    }
}

"""Versioned event contracts shared by every service.

Every event carries ``event_id`` (the idempotency key of consumers), ``tenant_id``,
``occurred_at`` (timezone-aware), ``event_type`` and ``schema_version``. Events are
serialised as JSON; the Kafka key of every event is ``<tenant>:<nip>`` (see ``event_key``)
so that all facts of one employee land in one partition, in order; ``PunchesRecorded`` and
``AttendanceDaysEvaluated``, which carry the punches and the days of many employees, are
keyed by their lane (``lane_key``), the partition those employees' keys fall in.

Compatibility rule: a new field is added with a default (consumers ignore unknown
fields); a breaking change gets a new ``schema_version`` and a new topic version.
"""

from __future__ import annotations

import datetime as dt
import functools
import itertools
import json
import uuid
from collections.abc import Iterable, Iterator
from decimal import Decimal
from typing import Annotated, Any, ClassVar, Literal, Protocol, TypeVar, Union

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, TypeAdapter, field_validator

from .partitioning import partition_of
from .supervision import ActingKind
from .timeutil import PERIOD_PATTERN

NIP = Annotated[str, Field(min_length=1, max_length=32, description="Employee NIP")]
Percent = Annotated[Decimal, Field(ge=0, le=100, max_digits=7, decimal_places=3)]


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class Event(BaseModel):
    """Base of every event on the bus."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    topic_group: ClassVar[str]

    event_id: uuid.UUID = Field(default_factory=uuid.uuid4)
    event_type: str
    schema_version: int = 1
    tenant_id: Annotated[str, Field(min_length=1, max_length=64)]
    occurred_at: AwareDatetime = Field(default_factory=utcnow)

    def key(self) -> str:
        return event_key(self.tenant_id, getattr(self, "nip", None))


def event_key(tenant_id: str, nip: str | None) -> str:
    """The Kafka key: ``<tenant>:<nip>``; tenant-wide events use ``<tenant>:*``."""
    return f"{tenant_id}:{nip if nip else '*'}"


# --- directory (owned by the gateway) ---------------------------------------------------


class TenantUpserted(Event):
    """A regency/city (kabupaten/kota) registered or changed."""

    topic_group: ClassVar[str] = "directory"
    event_type: Literal["directory.tenant.upserted"] = "directory.tenant.upserted"
    name: str
    timezone: str = Field(description="IANA zone, e.g. Asia/Jakarta (WIB), Asia/Makassar (WITA)")
    policy_preset: str = Field(description="Scoring policy preset name, e.g. cilegon, kinerja60_disiplin40")


class EmployeeUpserted(Event):
    """An employee of the roster created or changed (full state, not a diff)."""

    topic_group: ClassVar[str] = "directory"
    event_type: Literal["directory.employee.upserted"] = "directory.employee.upserted"
    nip: NIP
    name: str
    unit_id: str
    unit_name: str = ""
    position: str = ""
    supervisor_nip: str | None = None
    tpp_base: Decimal = Field(ge=0, description="Monthly TPP base of the position, rupiah")
    employment_type: Literal["PNS", "CPNS", "PPPK"] = "PNS"
    device_pin: str | None = Field(default=None, description="PIN enrolled on fingerprint devices")
    active: bool = True
    effective_from: dt.date | None = Field(
        default=None, description="Date from which this state (e.g. a new supervisor) applies"
    )
    start_date: dt.date | None = Field(
        default=None, description="Start of duty (TMT): the employee counts from this day on; "
        "absent from older producers (then consumers count from when they first saw them, "
        "or from effective_from if earlier)")
    end_date: dt.date | None = Field(
        default=None, description="Last day of duty (inclusive); the employee counts until "
        "this day even when active=false")
    end_reason: Literal["pensiun", "pemberhentian", "pindah_keluar"] | None = Field(
        default=None, description="Why duty ended: retirement, dismissal, transfer out")


# --- attendance ---------------------------------------------------------------------------


LANES = 6  # the partitions of the v2 punches and days topics (topics.ATTENDANCE_*_BATCHES)
PUNCHES_PER_EVENT = 1_000  # some 230 KB of JSON: well below a record's 1 MiB
DAYS_PER_EVENT = 1_000  # some 300 KB of JSON


class PunchLine(BaseModel):
    """One punch accepted from a device: an item of a ``PunchesRecorded`` (and the body of
    v1's ``PunchRecorded``)."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    nip: NIP
    device_sn: str
    pin: str
    punched_at: AwareDatetime
    local_time: dt.datetime = Field(description="Device wall-clock time as sent (no zone)")
    status_code: int = 0
    verify_type: int = 0


class PunchRecorded(PunchLine, Event):
    """One fingerprint/face punch accepted from a device (recorded once). v1, no longer
    written: ``PunchesRecorded`` (v2) carries the punches; attendance still reads what an
    earlier version left on the v1 topic."""

    topic_group: ClassVar[str] = "attendance.punches"
    event_type: Literal["attendance.punch.recorded"] = "attendance.punch.recorded"


_LANES = range(LANES)


def lane_of(tenant_id: str, nip: str) -> int:
    """An employee's lane: the partition, of ``LANES``, that Kafka's default partitioner
    gives the employee's own key (``<tenant>:<nip>``). An employee's punches and days are
    always in this lane, so on one partition, in order."""
    return partition_of(event_key(tenant_id, nip).encode(), _LANES)


@functools.lru_cache(maxsize=4_096)
def lane_key(tenant_id: str, lane: int) -> str:
    """The Kafka key of a lane's events, ``<tenant>:*<lane>.<n>``: the first ``n`` whose
    key the default partitioner sends to partition ``lane`` of ``LANES``. One lane (so one
    employee) always has one key, whatever the topic's partition count; with the
    registry's count, each lane has a partition of its own."""
    for n in itertools.count():
        key = f"{tenant_id}:*{lane}.{n}"
        if partition_of(key.encode(), _LANES) == lane:
            return key
    raise AssertionError("unreachable")  # pragma: no cover


class _OfEmployee(Protocol):
    @property
    def nip(self) -> str: ...


_L = TypeVar("_L", bound=_OfEmployee)


def by_lane(tenant_id: str, items: Iterable[_L],
            per_event: int) -> Iterator[tuple[int, list[_L]]]:
    """``items`` (one tenant's, each of an employee) grouped by the employee's lane, in lane
    order, each group keeping the items' order and split every ``per_event`` items."""
    lanes: dict[int, list[_L]] = {}
    for item in items:
        lanes.setdefault(lane_of(tenant_id, item.nip), []).append(item)
    for lane, chunk in sorted(lanes.items()):
        for i in range(0, len(chunk), per_event):
            yield lane, chunk[i:i + per_event]


class _OfLane(Event):
    """A v2 event about the employees of one lane (``lane_of`` of each item's NIP), keyed
    by the lane."""

    schema_version: int = 2
    lane: int = Field(ge=0, lt=LANES, description="lane_of() of every item's NIP")

    def key(self) -> str:
        return lane_key(self.tenant_id, self.lane)

    def facts(self) -> int:
        """How many punches or days it carries."""
        raise NotImplementedError


def facts_in(event: Event) -> int:
    """The facts an event carries: its punches or days for a v2 event, else one. What a
    consumer weighs its transactions by (``EventConsumer``)."""
    return event.facts() if isinstance(event, _OfLane) else 1


class PunchesRecorded(_OfLane):
    """Punches accepted from devices in one transaction (an upload, or the lines of an
    unknown PIN recorded once the employee arrives), of the employees of one lane
    (``lane_of``): an upload of 200 lines is some six events, not 200. Replaces v1's
    ``PunchRecorded`` per punch (topic ``ekinerja.attendance.punches.v2``). One employee's
    punches keep their order: they are always in the same lane, so on one partition."""

    topic_group: ClassVar[str] = "attendance.punches.v2"
    event_type: Literal["attendance.punches.recorded"] = "attendance.punches.recorded"
    punches: list[PunchLine] = Field(min_length=1, max_length=PUNCHES_PER_EVENT)

    def facts(self) -> int:
        return len(self.punches)


def punch_batches(tenant_id: str, lines: Iterable[PunchLine], *,
                  occurred_at: dt.datetime) -> list[PunchesRecorded]:
    """The ``PunchesRecorded`` of ``lines`` (one tenant's): one per lane, in lane order,
    each keeping the lines' order, split every ``PUNCHES_PER_EVENT`` lines."""
    return [PunchesRecorded(tenant_id=tenant_id, lane=lane, occurred_at=occurred_at,
                            punches=chunk)
            for lane, chunk in by_lane(tenant_id, lines, PUNCHES_PER_EVENT)]


class EvaluatedDay(BaseModel):
    """The verdict on one employee's working day: an item of an ``AttendanceDaysEvaluated``
    (and the body of v1's ``AttendanceDayEvaluated``). A later revision replaces an
    earlier one (consumers keep the highest ``revision`` per ``(tenant_id, nip,
    work_date)``)."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    nip: NIP
    work_date: dt.date
    revision: int = Field(ge=1)
    is_working_day: bool = True
    status: Literal["present", "absent", "leave", "holiday", "off", "incomplete"] = "present"
    arrival: AwareDatetime | None = None
    departure: AwareDatetime | None = None
    late_minutes: int = Field(default=0, ge=0)
    early_minutes: int = Field(default=0, ge=0)
    tl_code: str | None = None
    psw_code: str | None = None
    absence_code: str | None = Field(default=None, description="TK, or a leave code")
    apel_attended: bool | None = None
    deduction_pct: Decimal = Field(default=Decimal("0"), ge=0, le=100)


class AttendanceDayEvaluated(EvaluatedDay, Event):
    """One employee-day's verdict as an event of its own. v1, no longer written:
    ``AttendanceDaysEvaluated`` (v2) carries the verdicts, and a consumer reads each of its
    days as one of these (``AttendanceDaysEvaluated.each_day``); scoring still reads what
    an earlier version left on the v1 topic, and its rebuild replays both."""

    topic_group: ClassVar[str] = "attendance.days"
    event_type: Literal["attendance.day.evaluated"] = "attendance.day.evaluated"


_DAY_FIELDS = frozenset(AttendanceDayEvaluated.model_fields)


def _valid_day(values: dict[str, Any]) -> AttendanceDayEvaluated:
    """An ``AttendanceDayEvaluated`` of ``values``, every field of it and each already
    valid: what ``model_construct`` builds, without its loop over the fields' aliases and
    defaults (a quarter of the cost; it runs for every day scoring reads or replays)."""
    day = AttendanceDayEvaluated.__new__(AttendanceDayEvaluated)
    object.__setattr__(day, "__dict__", values)
    object.__setattr__(day, "__pydantic_fields_set__", _DAY_FIELDS)
    object.__setattr__(day, "__pydantic_extra__", None)
    object.__setattr__(day, "__pydantic_private__", None)
    return day


class AttendanceDaysEvaluated(_OfLane):
    """The changed verdicts of one transaction (an evaluation of a batch of punches, an HR
    correction, a leave, a job) for the employees of one lane (``lane_of``): a batch of
    punches that changes 2,000 days is some six events, not 2,000. Replaces v1's
    ``AttendanceDayEvaluated`` per day (topic ``ekinerja.attendance.days.v2``); one
    employee's days keep their order (one lane, so one partition)."""

    topic_group: ClassVar[str] = "attendance.days.v2"
    event_type: Literal["attendance.days.evaluated"] = "attendance.days.evaluated"
    days: list[EvaluatedDay] = Field(min_length=1, max_length=DAYS_PER_EVENT)

    def facts(self) -> int:
        return len(self.days)

    def each_day(self) -> list[AttendanceDayEvaluated]:
        """The days as v1 events, for consumers whose rules take one day at a time: the
        batch's tenant and time, and the ``event_id`` of the batch with its low bits
        XORed by the day's place in it (1, 2, ...): distinct, and the same on every read
        of the batch (a replay gives the same ids). Not validated again: the batch was
        validated as it was read."""
        base = self.event_id.int
        envelope = {"event_type": "attendance.day.evaluated", "schema_version": 1,
                    "tenant_id": self.tenant_id, "occurred_at": self.occurred_at}
        return [_valid_day({"event_id": uuid.UUID(int=base ^ i), **envelope, **d.__dict__})
                for i, d in enumerate(self.days, 1)]


def day_batches(tenant_id: str, verdicts: Iterable[EvaluatedDay], *,
                occurred_at: dt.datetime) -> list[AttendanceDaysEvaluated]:
    """The ``AttendanceDaysEvaluated`` of ``verdicts`` (one tenant's): one per lane, in
    lane order, each keeping the verdicts' order, split every ``DAYS_PER_EVENT``."""
    return [AttendanceDaysEvaluated(tenant_id=tenant_id, lane=lane, occurred_at=occurred_at,
                                    days=chunk)
            for lane, chunk in by_lane(tenant_id, verdicts, DAYS_PER_EVENT)]


def each_fact(events: Iterable[Event]) -> Iterator[Event]:
    """``events`` with every ``AttendanceDaysEvaluated`` replaced by its days
    (``each_day``), in order: what a consumer of single facts applies."""
    for event in events:
        if type(event) is AttendanceDaysEvaluated:
            yield from event.each_day()
        else:
            yield event


class EffectiveDaysPublished(Event):
    """Effective working days of a month (hari kerja efektif) under the attendance
    calendar: the tenant default when ``nip`` is None, else one employee's own schedule
    (shift workers, 6-day units). Scoring turns it into effective minutes. A higher
    ``revision`` replaces a lower one for the same (tenant, period, nip)."""

    topic_group: ClassVar[str] = "attendance.calendar"
    event_type: Literal["attendance.effective_days.published"] = (
        "attendance.effective_days.published"
    )
    period: Annotated[str, Field(pattern=PERIOD_PATTERN)]
    nip: str | None = None
    unit_id: str | None = None
    effective_days: Decimal = Field(ge=0, le=31)
    working_dates: list[dt.date] = Field(default_factory=list)
    revision: int = Field(ge=1)


# --- activity -------------------------------------------------------------------------------


class _EntryEvent(Event):
    topic_group: ClassVar[str] = "activity.entries"
    entry_id: uuid.UUID
    nip: NIP
    work_date: dt.date
    minutes: int = Field(ge=0, le=24 * 60)
    version: int = Field(ge=1, description="Entry version; higher replaces lower")
    actor_nip: str | None = None


class ActivityEntryApproved(_EntryEvent):
    event_type: Literal["activity.entry.approved"] = "activity.entry.approved"
    description: str = ""


class ActivityEntryRejected(_EntryEvent):
    event_type: Literal["activity.entry.rejected"] = "activity.entry.rejected"
    reason: str = ""


class ActivityEntryRevoked(_EntryEvent):
    """An approved entry taken back (e.g. by the regency's verifier): its minutes no
    longer count."""

    event_type: Literal["activity.entry.revoked"] = "activity.entry.revoked"
    reason: str = ""


class ActivityEntrySubmitted(_EntryEvent):
    """An entry submitted (or resubmitted after rejection) for its supervisor's approval."""

    event_type: Literal["activity.entry.submitted"] = "activity.entry.submitted"
    supervisor_nip: str | None = None


class ActivityEntryExpired(_EntryEvent):
    """A submitted entry not decided by the tenant's approval deadline: it never counts."""

    event_type: Literal["activity.entry.expired"] = "activity.entry.expired"
    reason: str = ""


class ActingAssignmentUpserted(Event):
    """An acting assignment (Plt: a vacant post; Plh: the official is away) recorded by the
    regency's HR in the activity service, or withdrawn (``removed``). Full state, not a
    diff: consumers keep the latest state per ``assignment_id`` (a later ``occurred_at``
    replaces an earlier one; a removal stays removed). ``acting_nip`` stands for
    ``principal_nip`` as supervisor from ``start_date`` to ``end_date`` (inclusive); the
    rule is ``ekinerja_shared.supervision``."""

    topic_group: ClassVar[str] = "activity.acting"
    event_type: Literal["activity.acting.upserted"] = "activity.acting.upserted"
    assignment_id: uuid.UUID
    principal_nip: NIP
    acting_nip: NIP
    kind: ActingKind = Field(description="plt: a vacant post; plh: the official is away")
    start_date: dt.date
    end_date: dt.date
    removed: bool = False

    def key(self) -> str:
        return event_key(self.tenant_id, self.acting_nip)


# --- scoring --------------------------------------------------------------------------------


class ScoreComponent(BaseModel):
    model_config = ConfigDict(frozen=True)
    name: str
    weight: Decimal
    value_pct: Decimal


class ScoreUpdated(Event):
    """The running monthly score of one employee after a fact changed it."""

    topic_group: ClassVar[str] = "scoring.scores"
    event_type: Literal["scoring.score.updated"] = "scoring.score.updated"
    nip: NIP
    period: Annotated[str, Field(pattern=PERIOD_PATTERN)]
    components: list[ScoreComponent]
    final_pct: Decimal
    tpp_base: Decimal = Decimal("0")
    tpp_amount: Decimal = Decimal("0")
    version: int = Field(ge=1)
    cause_event_id: uuid.UUID | None = None
    cause_type: str | None = None


class OpenItemConfirmed(BaseModel):
    """One item still open when a month was closed, that the closer confirmed."""

    model_config = ConfigDict(frozen=True, extra="ignore")
    source: str = Field(description="The service that reported it: activity, attendance, "
                                    "scoring")
    code: str
    detail: str = Field(description="For staff, in Bahasa Indonesia")
    count: int = 0


class PeriodClosed(Event):
    """A tenant's month is closed: scores are frozen and TPP figures final. A close with
    items still open carries them, confirmed by ``closed_by``."""

    topic_group: ClassVar[str] = "scoring.periods"
    event_type: Literal["scoring.period.closed"] = "scoring.period.closed"
    period: Annotated[str, Field(pattern=PERIOD_PATTERN)]
    closed_by: str = ""
    open_items_confirmed: list[OpenItemConfirmed] = Field(default_factory=list)


class PeriodReopened(Event):
    """A closed month explicitly reopened (recorded with who and why)."""

    topic_group: ClassVar[str] = "scoring.periods"
    event_type: Literal["scoring.period.reopened"] = "scoring.period.reopened"
    period: Annotated[str, Field(pattern=PERIOD_PATTERN)]
    reopened_by: str = ""
    reason: str = ""


# --- audit (every service; kept by the gateway) ---------------------------------------------


AUDIT_DETAIL_MAX_BYTES = 4096


class AuditRecorded(Event):
    """Someone acted on a regency's data: a decision, an HR change, an export, the platform
    operator's access. Staged in the same transaction as the change it records (a read in
    its own); the gateway keeps it append-only. ``actor`` is the token's subject (never a
    request body field), ``actor_nip`` the person's NIP (None for machine clients and the
    operator). ``source_ip`` is the peer the service saw; ``forwarded_for`` the
    ``X-Forwarded-For`` chain as sent (the gateway adds the browser's address)."""

    topic_group: ClassVar[str] = "audit"
    event_type: Literal["audit.recorded"] = "audit.recorded"
    service: Annotated[str, Field(min_length=1, max_length=32)]
    action: Annotated[str, Field(min_length=1, max_length=40,
                                 description="<service>.<thing>.<verb>, e.g. "
                                             "activity.entry.approve")]
    actor: Annotated[str, Field(min_length=1, max_length=200)]
    actor_nip: str | None = Field(default=None, max_length=32)
    actor_kind: Literal["user", "client", "anonymous"] = "user"
    actor_roles: list[str] = Field(default_factory=list, max_length=10)
    target: str | None = Field(default=None, max_length=200)
    detail: dict[str, Any] = Field(default_factory=dict)
    source_ip: str | None = Field(default=None, max_length=64)
    forwarded_for: str | None = Field(default=None, max_length=200)
    user_agent: str | None = Field(default=None, max_length=300)

    @field_validator("detail")
    @classmethod
    def _small(cls, value: dict[str, Any]) -> dict[str, Any]:
        if len(json.dumps(value, default=str)) > AUDIT_DETAIL_MAX_BYTES:
            raise ValueError(f"audit detail larger than {AUDIT_DETAIL_MAX_BYTES} bytes")
        return value


_ALL = (
    TenantUpserted,
    EmployeeUpserted,
    PunchRecorded,
    PunchesRecorded,
    AttendanceDayEvaluated,
    AttendanceDaysEvaluated,
    EffectiveDaysPublished,
    ActivityEntryApproved,
    ActivityEntryRejected,
    ActivityEntryRevoked,
    ScoreUpdated,
    PeriodClosed,
    PeriodReopened,
    ActivityEntrySubmitted,
    ActivityEntryExpired,
    AuditRecorded,
    ActingAssignmentUpserted,
)

AnyEvent = Annotated[
    Union[
        TenantUpserted,
        EmployeeUpserted,
        PunchRecorded,
        PunchesRecorded,
        AttendanceDayEvaluated,
        AttendanceDaysEvaluated,
        EffectiveDaysPublished,
        ActivityEntryApproved,
        ActivityEntryRejected,
        ActivityEntryRevoked,
        ScoreUpdated,
        PeriodClosed,
        PeriodReopened,
        ActivityEntrySubmitted,
        ActivityEntryExpired,
        AuditRecorded,
        ActingAssignmentUpserted,
    ],
    Field(discriminator="event_type"),
]

_any_event: TypeAdapter[Any] = TypeAdapter(AnyEvent)

EVENT_TYPES: dict[str, type[Event]] = {cls.model_fields["event_type"].default: cls for cls in _ALL}


def employee_runs(events: Iterable[Event]
                  ) -> Iterator[tuple[list[EmployeeUpserted], Event | None]]:
    """A directory batch, in order, as runs of employee events, each with the event that
    ended it (None after the last run): a consumer applies each run as a set and the other
    events one by one, which gives what applying every event in turn gives."""
    run: list[EmployeeUpserted] = []
    for event in events:
        if isinstance(event, EmployeeUpserted):
            run.append(event)
        else:
            yield run, event
            run = []
    yield run, None


def parse_event(raw: bytes | str) -> Event:
    """Decode any event from its JSON form; raises ``pydantic.ValidationError``."""
    event: Event = _any_event.validate_json(raw)
    return event


def dump_event(event: Event) -> bytes:
    return event.model_dump_json().encode()

"""View models of the pages: plain functions from the services' answers (JSON) to what a
template shows, already in Indonesian formats. No I/O; tested on their own."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from . import formats as f

Json = Mapping[str, Any]


@dataclass(frozen=True)
class NavItem:
    href: str
    label: str
    current: bool = False


# (path, label, roles that see it); "employee" is every signed-in member of a regency
NAV = (
    ("/app/hari-ini", "Hari ini", {"employee"}),
    ("/app/aktivitas", "Aktivitas", {"employee"}),
    ("/app/rencana", "Rencana kerja", {"employee"}),
    ("/app/nilai", "Nilai saya", {"employee"}),
    ("/app/slip", "Slip TPP", {"employee"}),
    ("/app/persetujuan", "Persetujuan", {"supervisor"}),
    ("/app/tim", "Nilai tim", {"supervisor"}),
    ("/app/sdm", "Administrasi SDM", {"hr"}),
    ("/app/sdm/roster", "Roster", {"hr"}),
    ("/app/sdm/bulan", "Tutup bulan & TPP", {"hr"}),
    ("/app/sdm/perangkat", "Perangkat", {"hr"}),
    ("/app/pimpinan", "Dasbor", {"leader", "hr"}),
)


def nav_for(roles: Iterable[str], current: str) -> list[NavItem]:
    """The menu of the roles held; the current page's entry marked (a page without its own
    entry, e.g. HR's holidays, marks the entry it lies under: /app/sdm)."""
    held = set(roles) | {"employee"}
    items = [(href, label) for href, label, who in NAV if who & held]
    exact = any(href == current for href, _ in items)
    return [NavItem(href, label, href == current or (not exact and current.startswith(href + "/")))
            for href, label in items]


def home_for(roles: Iterable[str]) -> str:
    """Where a person lands after signing in: the page of their main task."""
    held = set(roles)
    if "hr" in held:
        return "/app/sdm/roster"
    if "leader" in held:
        return "/app/pimpinan"
    if "supervisor" in held:
        return "/app/persetujuan"
    return "/app/hari-ini"


# --- scores -------------------------------------------------------------------------------


@dataclass(frozen=True)
class ComponentView:
    label: str
    weight: str
    value: str
    value_pct: Decimal


@dataclass(frozen=True)
class ScoreView:
    nip: str
    name: str
    final: str
    final_pct: Decimal
    tpp: str
    tpp_base: str
    version: int
    components: list[ComponentView]
    approved: str = "-"
    effective: str = "-"
    closed: bool = False


def score_view(score: Json, name: str = "") -> ScoreView:
    """One employee's running score (the scoring service's or the read model's answer)."""
    comps = [ComponentView(f.component(c["name"]), f.number(c.get("weight"), 1)
                           .removesuffix(",0"), f.percent(c.get("value_pct")),
                           Decimal(str(c.get("value_pct", 0))))
             for c in score.get("components", [])]
    approved = score.get("approved_minutes")
    effective = score.get("effective_minutes")
    return ScoreView(
        nip=score["nip"], name=name or score.get("name") or "", final=f.percent(score["final_pct"]),
        final_pct=Decimal(str(score["final_pct"])), tpp=f.rupiah(score.get("tpp_amount")),
        tpp_base=f.rupiah(score.get("tpp_base")), version=int(score.get("version", 0)),
        components=comps,
        approved=f.duration(approved) if approved is not None else "-",
        effective=f.duration(int(Decimal(str(effective)))) if effective is not None else "-",
        closed=bool(score.get("closed", False)))


def team_view(scores: Sequence[Json], names: Mapping[str, str], me: str) -> list[ScoreView]:
    """The team's scores (the caller's own row excluded), highest first."""
    rows = [score_view(s, names.get(s["nip"], "")) for s in scores if s["nip"] != me]
    return sorted(rows, key=lambda r: (-r.final_pct, r.name, r.nip))


# --- entries ------------------------------------------------------------------------------


@dataclass(frozen=True)
class EntryView:
    id: str
    nip: str
    name: str
    work_date: str
    day: str
    start: str
    end: str
    time: str
    duration: str
    minutes: int
    description: str
    output: str
    status: str
    status_label: str
    reason: str
    version: int

    @property
    def editable(self) -> bool:
        return self.status in ("draft", "rejected")


def entry_view(e: Json, names: Mapping[str, str] | None = None) -> EntryView:
    qty = e.get("output_quantity")
    output = " ".join(p for p in (f.quantity(qty) if qty is not None else "",
                                  e.get("output_unit") or "") if p)
    start, end = f.clock(e["start"]), f.clock(e["end"])
    return EntryView(
        id=str(e["id"]), nip=e["nip"], name=(names or {}).get(e["nip"], ""),
        work_date=str(e["work_date"]), day=f.date_with_weekday(e["work_date"]),
        start=start, end=end, time=f"{start}-{end}", duration=f.duration(e.get("minutes")),
        minutes=int(e.get("minutes") or 0), description=e.get("description", ""),
        output=output, status=e["status"], status_label=f.entry_status(e["status"]),
        reason=e.get("reason") or "", version=int(e.get("version", 0)))


@dataclass
class MonthEntries:
    days: list[tuple[str, list[EntryView]]] = field(default_factory=list)
    totals: dict[str, str] = field(default_factory=dict)
    count: int = 0


def month_entries(entries: Sequence[Json]) -> MonthEntries:
    """A month's entries by day (latest day first, each day by start time) with the
    minutes per status."""
    views = [entry_view(e) for e in entries]
    by_day: dict[str, list[EntryView]] = {}
    for v in sorted(views, key=lambda v: (v.work_date, v.start)):
        by_day.setdefault(v.work_date, []).append(v)
    minutes: Counter[str] = Counter()
    for v in views:
        minutes[v.status] += v.minutes
    totals = {f.entry_status(s): f.duration(m) for s, m in sorted(minutes.items())}
    days = [(f.date_with_weekday(d), by_day[d]) for d in sorted(by_day, reverse=True)]
    return MonthEntries(days=days, totals=totals, count=len(views))


def day_entries(entries: Sequence[Json], day: dt.date) -> list[EntryView]:
    return sorted((entry_view(e) for e in entries if str(e["work_date"]) == day.isoformat()),
                  key=lambda v: v.start)


@dataclass
class QueueView:
    entries: list[EntryView]
    people: list[tuple[str, str, int]]  # nip, name, pending
    total: int


def queue_view(entries: Sequence[Json], names: Mapping[str, str], nip: str | None = None,
               day: str | None = None) -> QueueView:
    """The approval queue, filtered by person and date, oldest work first; the people in
    it with their pending counts (for the filter)."""
    views = [entry_view(e, names) for e in entries]
    pending = Counter(v.nip for v in views)
    people = sorted(((n, names.get(n, n), c) for n, c in pending.items()),
                    key=lambda p: (p[1], p[0]))
    shown = [v for v in views if (not nip or v.nip == nip) and (not day or v.work_date == day)]
    shown.sort(key=lambda v: (v.work_date, v.name, v.start))
    return QueueView(entries=shown, people=people, total=len(views))


# --- attendance ---------------------------------------------------------------------------

DAY_STATUS = {"present": "Hadir", "absent": "Tidak hadir", "leave": "Cuti/izin",
              "holiday": "Libur", "off": "Bukan hari kerja", "incomplete": "Tidak lengkap"}


@dataclass(frozen=True)
class DayView:
    day: str
    status: str
    arrival: str
    departure: str
    codes: str
    deduction: str


def attendance_days(month: Json | None, tz: dt.tzinfo) -> list[DayView]:
    """The month's evaluated days (latest first): arrival, departure, TL/PSW/TK, deduction."""
    if not month:
        return []
    rows = sorted(month.get("days", []), key=lambda d: str(d["work_date"]), reverse=True)
    return [DayView(f.date_with_weekday(d["work_date"]),
                    DAY_STATUS.get(d["status"], d["status"]),
                    f.clock(d.get("arrival"), tz), f.clock(d.get("departure"), tz),
                    " ".join(c for c in (d.get("tl_code"), d.get("psw_code"),
                                         d.get("absence_code")) if c),
                    f.percent(d.get("deduction_pct"))) for d in rows]


# --- the regency's dashboard --------------------------------------------------------------

BUCKETS = ((90, "90-100"), (80, "80-89"), (70, "70-79"), (60, "60-69"), (0, "< 60"))


@dataclass(frozen=True)
class Bar:
    label: str
    count: int
    width: int  # % of the largest bar


@dataclass(frozen=True)
class UnitRow:
    rank: int
    unit: str
    members: int
    average: str
    tpp: str
    width: int


@dataclass
class Dashboard:
    employees: int
    average: str
    tpp_total: str
    distribution: list[Bar]
    units: list[UnitRow]
    discipline: list[tuple[str, str]]
    top: list[ScoreView]
    version_sum: int


def _bars(counts: Sequence[tuple[str, int]]) -> list[Bar]:
    peak = max((c for _, c in counts), default=0) or 1
    return [Bar(label, c, round(100 * c / peak)) for label, c in counts]


def distribution(finals: Iterable[tuple[Decimal, int]]) -> list[Bar]:
    """Employees per band of final score (90-100, 80-89, ..., < 60) from (final score,
    how many employees have it) pairs."""
    counts: Counter[str] = Counter()
    for value, n in finals:
        counts[next(label for floor, label in BUCKETS if value >= floor)] += n
    return _bars([(label, counts[label]) for _, label in BUCKETS])


# --- HR -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class RowError:
    row: str
    nip: str
    column: str
    message: str


def roster_errors(body: Any) -> list[RowError]:
    """The roster's row errors from the directory's 422 answer, in file order."""
    errors = body.get("errors", []) if isinstance(body, dict) else []
    out = [RowError(str(e.get("baris", "")), e.get("nip") or "", e.get("kolom") or "",
                    e.get("pesan") or "") for e in errors]
    return sorted(out, key=lambda e: (int(e.row) if e.row.isdigit() else 0, e.column))


@dataclass(frozen=True)
class DeviceView:
    serial: str
    location: str
    online: bool
    state: str
    last_seen: str


def devices_view(devices: Sequence[Json], tz: dt.tzinfo) -> list[DeviceView]:
    rows = [DeviceView(d["serial_number"], d.get("location", ""), bool(d.get("online")),
                       "Daring" if d.get("online") else "Luring",
                       f.datetime_long(d.get("last_seen_at"), tz)
                       if d.get("last_seen_at") else "Belum pernah")
            for d in devices]
    return sorted(rows, key=lambda d: (d.online, d.location, d.serial))

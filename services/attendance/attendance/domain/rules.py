"""Discipline rules: lateness (TL) and early-departure (PSW) brackets, absence without
notice (TK), and the verdict on one employee's day. Pure functions, no I/O.

Minutes are whole minutes, rounded down: arriving at 07:30:59 for a 07:30 start is not
late; 07:31:00 is one minute late. A rule set with ``grace_seconds`` counts otherwise:
within the grace the employee is on time; past it, every started minute counts (grace 59:
07:30:59 on time, 07:31:00 one minute, 07:31:01 two minutes, 08:00:00 thirty minutes).

The day's cut is a percentage, or points (``unit = "points"``) that the scoring policy
converts and caps per month (scoring's ``discipline`` section).
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Literal

from ekinerja_shared.errors import DomainError

from .schedule import DayKind, WorkWindow


@dataclass(frozen=True)
class Bracket:
    code: str  # TL1..TL4 / PSW1..PSW4
    min_minutes: int  # inclusive
    max_minutes: int | None  # inclusive; None = no upper bound
    pct: Decimal

    def contains(self, minutes: int) -> bool:
        return minutes >= self.min_minutes and (self.max_minutes is None
                                                 or minutes <= self.max_minutes)


@dataclass(frozen=True)
class RuleSet:
    """One regency's discipline rules (defaults: Kemenkeu-style brackets)."""

    name: str
    tl: tuple[Bracket, ...]
    psw: tuple[Bracket, ...]
    tk_pct: Decimal = Decimal("5")
    # a missing arrival / departure punch counts as this bracket (e.g. TL4 / PSW4) ...
    missing_arrival_code: str = "TL4"
    missing_departure_code: str = "PSW4"
    # ... with this percentage (None = the bracket's own percentage)
    missing_punch_pct: Decimal | None = None
    # excused leave codes that still cut the day (e.g. {"CS": 25} for long sick leave)
    leave_pct: Mapping[str, Decimal] = field(default_factory=dict)
    late_tolerance_minutes: int = 0  # minutes of grace before TL counts
    missed_apel_pct: Decimal = Decimal("0")  # cut for a missed apel/ceremony (TTU: 4%)
    description: str = ""
    # None: whole minutes rounded down; else on time within the grace, then every started
    # minute counts
    grace_seconds: int | None = None
    unit: Literal["pct", "points"] = "pct"  # what the day's cut is counted in

    def minutes(self, delta: dt.timedelta) -> int:
        """Minutes of lateness (or early departure) these rules count for ``delta``."""
        if self.grace_seconds is None:
            return whole_minutes(delta)
        seconds = delta.total_seconds()
        return 0 if seconds <= self.grace_seconds else math.ceil(seconds / 60)

    def pct_of(self, code: str) -> Decimal:
        for b in (*self.tl, *self.psw):
            if b.code == code:
                return b.pct
        raise KeyError(code)

    def missing_pct(self, code: str) -> Decimal:
        return self.missing_punch_pct if self.missing_punch_pct is not None else self.pct_of(code)

    def to_dict(self) -> dict[str, Any]:
        def br(bs: tuple[Bracket, ...]) -> list[dict[str, Any]]:
            return [{"code": b.code, "min_minutes": b.min_minutes, "max_minutes": b.max_minutes,
                     "pct": str(b.pct)} for b in bs]

        return {"name": self.name, "description": self.description, "tl": br(self.tl),
                "psw": br(self.psw), "tk_pct": str(self.tk_pct),
                "missing_arrival_code": self.missing_arrival_code,
                "missing_departure_code": self.missing_departure_code,
                "missing_punch_pct": (None if self.missing_punch_pct is None
                                      else str(self.missing_punch_pct)),
                "leave_pct": {k: str(v) for k, v in self.leave_pct.items()},
                "late_tolerance_minutes": self.late_tolerance_minutes,
                "missed_apel_pct": str(self.missed_apel_pct),
                "grace_seconds": self.grace_seconds, "unit": self.unit}

    def with_changes(self, changes: Mapping[str, Any], name: str) -> "RuleSet":
        """These rules with the fields ``changes`` gives replaced (a list of brackets is
        replaced whole), the others kept (PATCH semantics), validated."""
        return RuleSet.from_dict({**self.to_dict(), **changes, "name": name})

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> "RuleSet":
        def br(items: Sequence[Mapping[str, Any]]) -> tuple[Bracket, ...]:
            return tuple(Bracket(str(i["code"]), int(i["min_minutes"]),
                                 None if i.get("max_minutes") is None else int(i["max_minutes"]),
                                 Decimal(str(i["pct"]))) for i in items)

        mp = data.get("missing_punch_pct")
        rules = cls(
            name=str(data["name"]), description=str(data.get("description", "")),
            tl=br(data["tl"]), psw=br(data["psw"]), tk_pct=Decimal(str(data["tk_pct"])),
            missing_arrival_code=str(data.get("missing_arrival_code", "TL4")),
            missing_departure_code=str(data.get("missing_departure_code", "PSW4")),
            missing_punch_pct=None if mp is None else Decimal(str(mp)),
            leave_pct={k: Decimal(str(v)) for k, v in (data.get("leave_pct") or {}).items()},
            late_tolerance_minutes=int(data.get("late_tolerance_minutes", 0)),
            missed_apel_pct=Decimal(str(data.get("missed_apel_pct", "0"))),
            grace_seconds=(None if data.get("grace_seconds") is None
                           else int(data["grace_seconds"])),
            unit="points" if data.get("unit") == "points" else "pct",
        )
        validate_rules(rules)
        return rules


def validate_rules(rules: RuleSet) -> None:
    """Brackets must start at 1 minute, be contiguous and end open; percentages 0..100."""
    for kind, brackets, missing in (("TL", rules.tl, rules.missing_arrival_code),
                                    ("PSW", rules.psw, rules.missing_departure_code)):
        if not brackets:
            raise DomainError(f"Aturan {kind} harus memiliki minimal satu rentang.",
                              code="bad_rules")
        expected = 1
        for i, b in enumerate(brackets):
            if b.min_minutes != expected:
                raise DomainError(
                    f"Rentang {b.code} harus dimulai dari menit ke-{expected}.", code="bad_rules")
            last = i == len(brackets) - 1
            if (b.max_minutes is None) != last:
                raise DomainError(f"Hanya rentang {kind} terakhir yang tanpa batas atas.",
                                  code="bad_rules")
            if b.max_minutes is not None:
                if b.max_minutes < b.min_minutes:
                    raise DomainError(f"Rentang {b.code} tidak valid.", code="bad_rules")
                expected = b.max_minutes + 1
            if not Decimal(0) <= b.pct <= Decimal(100):
                raise DomainError(f"Persentase {b.code} harus 0-100.", code="bad_rules")
        if missing not in {b.code for b in brackets}:
            raise DomainError(f"Kode {missing} untuk absen tidak tercatat tidak ada di aturan "
                              f"{kind}.", code="bad_rules")
    if rules.grace_seconds is not None and not 0 <= rules.grace_seconds <= 3600:
        raise DomainError("Toleransi detik harus 0-3600.", code="bad_rules")
    if rules.unit not in ("pct", "points"):
        raise DomainError("Satuan potongan harus pct atau points.", code="bad_rules")
    for label, pct in (("TK", rules.tk_pct), ("apel", rules.missed_apel_pct),
                       *((f"cuti {k}", v) for k, v in rules.leave_pct.items())):
        if not Decimal(0) <= pct <= Decimal(100):
            raise DomainError(f"Persentase {label} harus 0-100.", code="bad_rules")


def _brackets(prefix: str, spec: Sequence[tuple[int, int | None, str]]) -> tuple[Bracket, ...]:
    return tuple(Bracket(f"{prefix}{i}", lo, hi, Decimal(p))
                 for i, (lo, hi, p) in enumerate(spec, start=1))


_KEMENKEU = [(1, 30, "0.5"), (31, 60, "1"), (61, 90, "1.25"), (91, None, "2.5")]

KEMENKEU = RuleSet(
    "kemenkeu", _brackets("TL", _KEMENKEU), _brackets("PSW", _KEMENKEU), Decimal("5"),
    description="Kemenkeu style: TL/PSW 1-30 min 0.5%, 31-60 1%, 61-90 1.25%, "
                ">90 or no record 2.5%; TK 5%/day",
)
_TEBO = [(1, 30, "0.5"), (31, 60, "0.75"), (61, 90, "1"), (91, None, "1.5")]
TEBO = RuleSet(
    "tebo", _brackets("TL", _TEBO), _brackets("PSW", _TEBO), Decimal("5"),
    description="Kab. Tebo (Perbup 1/2022): TL1-TL4 0.5% to 1.5%",
)
_TTU = [(1, 15, "1"), (16, 30, "2"), (31, None, "2.5")]
TTU = RuleSet(
    "ttu", _brackets("TL", _TTU), _brackets("PSW", _TTU), Decimal("12"),
    missing_arrival_code="TL3", missing_departure_code="PSW3", missing_punch_pct=Decimal("4"),
    missed_apel_pct=Decimal("4"),
    description="Timor Tengah Utara: late 1-15 min 1%, 16-30 2%, 31+ 2.5%, missing punch 4%, "
                "TK 12%/day, missed apel/ceremony 4% each",
)



def _blocks(prefix: str, block: int, pct: str, count: int) -> tuple[Bracket, ...]:
    """Every started ``block`` of minutes cuts ``pct`` more, up to ``count`` blocks (the
    last bracket is open)."""
    return tuple(Bracket(f"{prefix}{i}", (i - 1) * block + 1, None if i == count else i * block,
                         Decimal(pct) * i) for i in range(1, count + 1))


BLOK30 = RuleSet(
    "blok30", _blocks("TL", 30, "1.25", 4), _blocks("PSW", 30, "1.25", 4), Decimal("10"),
    grace_seconds=59,
    description="Blok 30 menit: setiap blok 30 menit terlambat/pulang cepat yang dimulai "
                "1,25 % (paling banyak 4 blok: 5 %), toleransi 59 detik, TK 10 %/hari",
)
_POINTS = [(1, 30, "1"), (31, 60, "2"), (61, 90, "3"), (91, None, "5")]
POIN100 = RuleSet(
    "poin100", _brackets("TL", _POINTS), _brackets("PSW", _POINTS), Decimal("10"),
    missed_apel_pct=Decimal("1"), unit="points",
    description="Model poin: TL/PSW 1-30 menit 1 poin, 31-60 2, 61-90 3, >90 atau tidak "
                "tercatat 5, TK 10 poin/hari, tidak apel 1 poin; kebijakan penilaian "
                "membatasi 100 poin per bulan (1 poin = 1 % bagian disiplin)",
)

RULE_PRESETS: dict[str, RuleSet] = {r.name: r for r in (KEMENKEU, TEBO, TTU, BLOK30, POIN100)}

# Seed regencies: each can be given its own rule set; until their Perbup/Perwali numbers
# are entered they follow a published one.
SEED_TENANT_RULES: dict[str, str] = {
    "cilegon": "kemenkeu", "kukar": "kemenkeu", "kediri": "tebo", "kendari": "ttu",
    "badung": "kemenkeu",
}
DEFAULT_RULES = KEMENKEU


def rules_for_preset(name: str | None) -> RuleSet:
    return RULE_PRESETS.get(name or "", DEFAULT_RULES)


def bracket_for(brackets: Sequence[Bracket], minutes: int) -> Bracket | None:
    if minutes <= 0:
        return None
    return next((b for b in brackets if b.contains(minutes)), None)


# --- the day's verdict ----------------------------------------------------------------------

Status = Literal["present", "absent", "leave", "holiday", "off", "incomplete"]


@dataclass(frozen=True)
class DayVerdict:
    is_working_day: bool
    status: Status
    arrival: dt.datetime | None = None
    departure: dt.datetime | None = None
    late_minutes: int = 0
    early_minutes: int = 0
    tl_code: str | None = None
    psw_code: str | None = None
    absence_code: str | None = None
    apel_attended: bool | None = None
    deduction_pct: Decimal = Decimal("0")


def whole_minutes(delta: dt.timedelta) -> int:
    return max(0, int(delta.total_seconds() // 60))


def evaluate_day(
    *,
    kind: DayKind,
    window: WorkWindow | None,
    punches: Sequence[dt.datetime],
    rules: RuleSet,
    closed: bool,
    leave_code: str | None = None,
    apel_attended: bool | None = None,
    arrival_override: dt.datetime | None = None,
    departure_override: dt.datetime | None = None,
) -> DayVerdict:
    """The verdict on one day.

    - off days and holidays carry no deduction (punches are still reported);
    - leave excuses the day (a per-tenant percentage may still apply to some leave codes);
    - arrival = first punch, departure = last punch when there are two or more (a lone
      punch after the scheduled end is a departure with the arrival missing);
    - no punch: TK once the day is closed, else "incomplete";
    - no departure: "incomplete" while the day is open, the missing-departure bracket after;
    - an HR correction's arrival/departure replaces what the punches say;
    - a missed apel (``apel_attended`` False) adds the rules' apel percentage to a day the
      employee came to work (TK already covers an absent day).
    """
    ordered = sorted(punches)
    arrival = arrival_override or (ordered[0] if ordered else None)
    departure = departure_override
    if departure is None and arrival is not None:
        later = [p for p in ordered if p > arrival]
        if later and (len(ordered) >= 2 or arrival_override is not None):
            departure = later[-1]
    if arrival is not None and departure is not None and arrival >= departure:
        arrival = None  # the corrected departure precedes every punch
    if (kind == "work" and window is not None and departure is None and arrival is not None
            and arrival_override is None and arrival >= window.end):
        departure, arrival = arrival, None  # a lone punch after the end is a departure
    if kind != "work" or window is None:
        status: Status = "holiday" if kind == "holiday" else "off"
        return DayVerdict(False, status, arrival, departure, apel_attended=apel_attended)
    if leave_code:
        pct = rules.leave_pct.get(leave_code, Decimal("0"))
        return DayVerdict(True, "leave", arrival, departure, absence_code=leave_code,
                          deduction_pct=pct, apel_attended=apel_attended)
    if arrival is None and departure is None:
        if closed:
            return DayVerdict(True, "absent", absence_code="TK", deduction_pct=rules.tk_pct,
                              apel_attended=apel_attended)
        return DayVerdict(True, "incomplete", apel_attended=apel_attended)
    if arrival is None:
        tl_code = rules.missing_arrival_code
        pct = rules.missing_pct(tl_code)
        early = rules.minutes(window.end - departure) if departure else 0
        psw = bracket_for(rules.psw, early)
        if psw:
            pct += psw.pct
        if apel_attended is False:
            pct += rules.missed_apel_pct
        return DayVerdict(True, "present", None, departure, 0, early, tl_code,
                          psw.code if psw else None, None, apel_attended,
                          min(pct, Decimal("100")))
    late = rules.minutes(arrival - window.start)
    counted_late = late if late > rules.late_tolerance_minutes else 0
    tl = bracket_for(rules.tl, counted_late)
    pct = tl.pct if tl else Decimal("0")
    early = 0
    psw_code: str | None = None
    status = "present"
    if departure is not None:
        early = rules.minutes(window.end - departure)
        psw = bracket_for(rules.psw, early)
        if psw:
            psw_code = psw.code
            pct += psw.pct
    elif closed:
        psw_code = rules.missing_departure_code
        pct += rules.missing_pct(psw_code)
    else:
        status = "incomplete"
    if apel_attended is False:
        pct += rules.missed_apel_pct
    return DayVerdict(True, status, arrival, departure, late, early,
                      tl.code if tl else None, psw_code, None, apel_attended,
                      min(pct, Decimal("100")))

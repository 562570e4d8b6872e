"""Scoring policy as data: which components a tenant's score has, their weights, how each
is computed, the minutes of a working day and the TPP adjustments by employment type.

A component is a weighted blend of *sources* (its parts' weights sum to 100); a source is
one measured percentage of the employee's month:

- ``performance``: min(100, approved activity minutes / effective minutes x 100)
- ``attendance``: max(0, 100 - the month's attendance deductions)
- ``apel``: apel/krida participation rate (days attended / days with apel recorded)
- ``compliance``: the compliance % entered by HR (LHKPN/LHKASN filing and other duties)
- ``unit_performance``: the average performance % of the employee's unit (OPD/bidang) in
  the month, a collective work measure

Policies are plain, JSON-serialisable data (``to_dict``/``policy_from_dict``) so a tenant's
policy can be stored, versioned by the month it takes effect, and changed without code.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from .pay_rules import (
    DisciplineRules,
    InvalidPolicy,
    PayRules,
    ProrationRules,
    discipline_from_dict,
    pay_from_dict,
    proration_from_dict,
)
from .pay_rules import dec as _dec

SOURCES: dict[str, str] = {
    "performance": "kinerja (menit aktivitas disetujui / menit efektif)",
    "attendance": "kehadiran (100 - potongan)",
    "apel": "partisipasi apel/krida",
    "compliance": "kepatuhan (diisi BKPSDM)",
    "unit_performance": "rata-rata kinerja unit kerja",
}

HUNDRED = Decimal("100")
# percent of the computed TPP paid by employment type unless a policy says otherwise
DEFAULT_TPP_ADJUSTMENTS: dict[str, Decimal] = {"CPNS": Decimal("80")}


@dataclass(frozen=True)
class Part:
    source: str
    weight: Decimal  # share of the component, percent


@dataclass(frozen=True)
class ComponentSpec:
    name: str
    weight: Decimal  # share of the final score, percent
    parts: tuple[Part, ...]


@dataclass(frozen=True)
class Policy:
    name: str
    components: tuple[ComponentSpec, ...]
    minutes_per_day: int = 300
    # percent of the computed TPP paid, by employment type (missing type -> 100)
    tpp_adjustments: dict[str, Decimal] = field(
        default_factory=lambda: dict(DEFAULT_TPP_ADJUSTMENTS))
    # how the month's attendance deductions become a cut (cap, points, scope)
    discipline: DisciplineRules = field(default_factory=DisciplineRules)
    # leave/duty pay rules, BPJS Kesehatan, the penalty rule text: the pay slip
    pay: PayRules = field(default_factory=PayRules)
    # a month with changes of TPP base/employment type: latest values, or by days
    proration: ProrationRules = field(default_factory=ProrationRules)
    description: str = ""  # what it measures and the choices it makes (shown with presets)

    def adjustment_pct(self, employment_type: str) -> Decimal:
        return self.tpp_adjustments.get(employment_type, HUNDRED)

    def sources(self) -> set[str]:
        return {p.source for c in self.components for p in c.parts}

    def with_changes(self, changes: dict[str, Any]) -> "Policy":
        """This policy with the top-level fields ``changes`` gives replaced (components as
        a whole list), the others kept: PATCH semantics. New components without a new name
        are named ``custom``."""
        name = changes.get("name") or ("custom" if "components" in changes else self.name)
        description = changes.get("description", "" if name != self.name else self.description)
        return policy_from_dict({**self.to_dict(), **changes, "name": name,
                                 "description": description})

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "description": self.description,
            "minutes_per_day": self.minutes_per_day,
            "tpp_adjustments": {k: str(v) for k, v in sorted(self.tpp_adjustments.items())},
            "components": [
                {
                    "name": c.name,
                    "weight": str(c.weight),
                    "parts": [{"source": p.source, "weight": str(p.weight)} for p in c.parts],
                }
                for c in self.components
            ],
            "discipline": self.discipline.to_dict(),
            "pay": self.pay.to_dict(),
            "proration": self.proration.to_dict(),
        }


def validate(policy: Policy) -> Policy:
    if not policy.components:
        raise InvalidPolicy("Kebijakan harus memiliki minimal satu komponen.")
    names = [c.name for c in policy.components]
    if len(set(names)) != len(names):
        raise InvalidPolicy("Nama komponen kebijakan tidak boleh ganda.")
    total = sum((c.weight for c in policy.components), Decimal(0))
    if total != HUNDRED:
        raise InvalidPolicy(f"Jumlah bobot komponen harus 100, bukan {total}.")
    for c in policy.components:
        if not c.parts:
            raise InvalidPolicy(f"Komponen {c.name} tidak memiliki sumber nilai.")
        for p in c.parts:
            if p.source not in SOURCES:
                raise InvalidPolicy(
                    f"Sumber nilai {p.source!r} pada komponen {c.name} tidak dikenal "
                    f"(pilihan: {', '.join(SOURCES)})."
                )
        part_total = sum((p.weight for p in c.parts), Decimal(0))
        if part_total != HUNDRED:
            raise InvalidPolicy(f"Jumlah bobot bagian komponen {c.name} harus 100.")
    if not 1 <= policy.minutes_per_day <= 24 * 60:
        raise InvalidPolicy("Menit kerja per hari harus antara 1 dan 1440.")
    for kind, pct in policy.tpp_adjustments.items():
        if pct > HUNDRED:
            raise InvalidPolicy(f"Penyesuaian TPP untuk {kind} tidak boleh lebih dari 100%.")
    if policy.discipline.scope == "whole_tpp" and "attendance" in policy.sources():
        raise InvalidPolicy("Potongan disiplin atas seluruh TPP: tidak boleh ada komponen "
                            "bersumber kehadiran (potongan akan dihitung dua kali).")
    return policy


def policy_from_dict(data: dict[str, Any]) -> Policy:
    """Build and validate a policy from its stored/JSON form."""
    try:
        components = tuple(
            ComponentSpec(
                name=str(c["name"]),
                weight=_dec(c["weight"], f"bobot {c['name']}"),
                parts=tuple(
                    Part(str(p["source"]), _dec(p.get("weight", 100), "bobot bagian"))
                    for p in c.get("parts") or [{"source": c.get("source", ""), "weight": 100}]
                ),
            )
            for c in data["components"]
        )
        # not stated: the defaults (CPNS 80 %); an explicit {} means no adjustment at all
        stated = data.get("tpp_adjustments")
        adjustments = dict(DEFAULT_TPP_ADJUSTMENTS) if stated is None else {
            str(k): _dec(v, f"penyesuaian {k}") for k, v in stated.items()
        }
        policy = Policy(
            name=str(data.get("name") or "custom"),
            description=str(data.get("description") or ""),
            components=components,
            minutes_per_day=int(data.get("minutes_per_day", 300)),
            tpp_adjustments=adjustments,
            discipline=discipline_from_dict(data.get("discipline")),
            pay=pay_from_dict(data.get("pay")),
            proration=proration_from_dict(data.get("proration")),
        )
    except (AttributeError, KeyError, TypeError, ValueError) as exc:
        raise InvalidPolicy(f"Format kebijakan tidak valid: {exc}.") from exc
    return validate(policy)


def _one(name: str, weight: str, source: str) -> ComponentSpec:
    return ComponentSpec(name, Decimal(weight), (Part(source, HUNDRED),))


CILEGON_NOTE = (
    "Kinerja individu 52,5 / kehadiran 30 / kerja kolektif 17,5. Ukuran kerja kolektif "
    "adalah pilihan kebijakan: preset ini memakai partisipasi apel/krida (sumber apel); "
    "daerah dapat memakai rata-rata kinerja unit kerja (sumber unit_performance) dengan "
    "mengganti sumber komponen collective_work.")

PRESETS: dict[str, Policy] = {
    p.name: validate(p)
    for p in (
        # Cilegon (KHAS): individual performance 52.5 / attendance 30 / collective work 17.5;
        # collective work is measured by apel/krida participation: a policy choice
        Policy(
            "cilegon",
            (
                _one("individual_performance", "52.5", "performance"),
                _one("attendance", "30", "attendance"),
                _one("collective_work", "17.5", "apel"),
            ),
            description=CILEGON_NOTE,
        ),
        Policy(
            "performance60_discipline40",
            (_one("performance", "60", "performance"), _one("discipline", "40", "attendance")),
        ),
        Policy(
            "performance60_attendance30_compliance10",
            (
                _one("performance", "60", "performance"),
                ComponentSpec(
                    "attendance", Decimal("30"),
                    (Part("attendance", Decimal("60")), Part("apel", Decimal("40"))),
                ),
                _one("compliance", "10", "compliance"),
            ),
        ),
    )
}

DEFAULT_PRESET = "performance60_discipline40"


def preset(name: str) -> Policy:
    try:
        return PRESETS[name]
    except KeyError:
        raise InvalidPolicy(
            f"Preset kebijakan {name!r} tidak dikenal (pilihan: {', '.join(PRESETS)}).",
            code="unknown_preset",
        ) from None

"""The parts of a regency's policy that decide cuts and the pay slip, as data:

- ``DisciplineRules``: how the month's attendance deductions (the sum of the days'
  ``deduction_pct`` the attendance service published, in percent or in points) become a
  cut: a cap on the month's total, a conversion of points to percent, and whether the cut
  lowers the discipline part of the score only (``component``: the ``attendance`` source
  is 100 - cut) or the whole TPP (``whole_tpp``: a line of the pay slip; the score then has
  no ``attendance`` source, so nothing is cut twice).
- ``PayRules``: the pay rule of each leave kind and duty status (paid, a percent of the TPP
  per day, or the share of the month's working days), the BPJS Kesehatan contribution on
  TPP (percentages and the national ceiling of salary + TPP), and the rule text shown with
  a disciplinary penalty.

Plain, JSON-serialisable data (``to_dict``/``*_from_dict``), validated; the defaults are
what a policy without these sections means."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any, Literal

from ekinerja_shared.errors import DomainError

HUNDRED = Decimal("100")

Scope = Literal["component", "whole_tpp"]
Unit = Literal["pct", "points"]
Basis = Literal["paid", "per_day", "prorata"]
ProrationBasis = Literal["latest", "calendar_days", "working_days"]
PRORATION_BASES: tuple[ProrationBasis, ...] = ("latest", "calendar_days", "working_days")
SCOPES: tuple[Scope, ...] = ("component", "whole_tpp")
UNITS: tuple[Unit, ...] = ("pct", "points")
BASES: tuple[Basis, ...] = ("paid", "per_day", "prorata")


class InvalidPolicy(DomainError):
    code = "invalid_policy"


def dec(value: Any, what: str) -> Decimal:
    """A non-negative finite Decimal, else ``InvalidPolicy`` naming ``what``."""
    try:
        result = Decimal(str(value))
    except (InvalidOperation, ValueError) as exc:
        raise InvalidPolicy(f"Nilai {what} bukan angka: {value!r}.") from exc
    if not result.is_finite() or result < 0:
        raise InvalidPolicy(f"Nilai {what} harus angka tidak negatif.")
    return result


@dataclass(frozen=True)
class DisciplineRules:
    unit: Unit = "pct"
    monthly_cap: Decimal = HUNDRED  # the month's total counted at most (percent or points)
    pct_per_point: Decimal = Decimal("1")  # points -> percent (1 for unit "pct")
    scope: Scope = "component"
    rule: str = ""  # the regency's rule text, shown with the cut

    def cut_pct(self, deduction_sum: Decimal) -> Decimal:
        """The month's cut in percent: min(cap, total) x pct_per_point, at most 100."""
        counted = min(self.monthly_cap, max(Decimal(0), deduction_sum))
        return min(HUNDRED, counted * self.pct_per_point)

    def to_dict(self) -> dict[str, Any]:
        return {"unit": self.unit, "monthly_cap": str(self.monthly_cap),
                "pct_per_point": str(self.pct_per_point), "scope": self.scope,
                "rule": self.rule}


@dataclass(frozen=True)
class LeaveRule:
    code: str  # the attendance service's absence code (CT, CS, CB, CM, CAP, CLTN, TB, DL)
    label: str
    basis: Basis = "paid"
    pct: Decimal = Decimal(0)  # per_day: % of the TPP per day; prorata: % of the days' share
    rule: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {"code": self.code, "label": self.label, "basis": self.basis,
                "pct": str(self.pct), "rule": self.rule}


def _leave(code: str, label: str, basis: Basis = "paid", pct: str = "0",
           rule: str = "") -> LeaveRule:
    return LeaveRule(code, label, basis, Decimal(pct), rule)


# A starting point only: every regency sets its own pay rule per kind (its Perbup/Perwali).
DEFAULT_LEAVE: tuple[LeaveRule, ...] = (
    _leave("CT", "Cuti tahunan", rule="Cuti tahunan: TPP dibayar penuh."),
    _leave("CS", "Cuti sakit", rule="Cuti sakit dengan surat keterangan dokter: TPP "
                                    "dibayar penuh."),
    _leave("CB", "Cuti besar", "prorata", "100",
           "Cuti besar: TPP tidak dibayar untuk hari kerja selama cuti."),
    _leave("CM", "Cuti melahirkan", rule="Cuti melahirkan: TPP dibayar penuh."),
    _leave("CAP", "Cuti karena alasan penting",
           rule="Cuti karena alasan penting: TPP dibayar penuh."),
    _leave("CLTN", "Cuti di luar tanggungan negara", "prorata", "100",
           "CLTN: PNS tidak menerima penghasilan dari negara selama cuti (PP 11/2017 "
           "tentang Manajemen PNS); TPP tidak dibayar untuk hari kerja selama cuti."),
    _leave("TB", "Tugas belajar", "prorata", "100",
           "Tugas belajar: TPP tidak dibayar untuk hari kerja selama tugas belajar."),
    _leave("DL", "Dinas luar", rule="Dinas luar dengan surat tugas: TPP dibayar penuh."),
)

@dataclass(frozen=True)
class ProrationRules:
    """How a month with changes of TPP base or employment type (or a start or end of duty
    inside it) is paid: ``latest``, the values in force on the month's last day for the
    whole month (no proration; the presets' default), or by the days under each value:
    ``calendar_days`` (every day of the month) or ``working_days`` (Monday-Friday, except
    the days attendance evaluated as holiday/off for the employee, plus the days it
    evaluated as working on a weekend)."""

    basis: ProrationBasis = "latest"
    rule: str = ""  # the regency's rule text, shown with the segments

    def to_dict(self) -> dict[str, Any]:
        return {"basis": self.basis, "rule": self.rule}


def proration_from_dict(data: Mapping[str, Any] | None) -> ProrationRules:
    if data is None:
        return ProrationRules()
    return ProrationRules(basis=_choice(data.get("basis", "latest"), PRORATION_BASES,
                                        "dasar proporsi TPP"),
                          rule=str(data.get("rule", "")))


PENALTY_RULE = ("PP 94/2021 tentang Disiplin PNS, Pasal 8 ayat (3): hukuman disiplin sedang "
                "berupa pemotongan tunjangan kinerja sebesar 25 % selama 6, 9 atau 12 bulan.")


@dataclass(frozen=True)
class PayRules:
    leave: tuple[LeaveRule, ...] = DEFAULT_LEAVE
    # BPJS Kesehatan (Perpres 64/2020): 5 % of salary + allowances up to the ceiling,
    # 1 % from the employee, 4 % from the employer
    bpjs_ceiling: Decimal = Decimal("12000000")
    bpjs_employee_pct: Decimal = Decimal("1")
    bpjs_employer_pct: Decimal = Decimal("4")
    penalty_rule: str = PENALTY_RULE

    def leave_rule(self, code: str) -> LeaveRule | None:
        return next((r for r in self.leave if r.code == code), None)

    def to_dict(self) -> dict[str, Any]:
        return {"leave": [r.to_dict() for r in self.leave],
                "bpjs_ceiling": str(self.bpjs_ceiling),
                "bpjs_employee_pct": str(self.bpjs_employee_pct),
                "bpjs_employer_pct": str(self.bpjs_employer_pct),
                "penalty_rule": self.penalty_rule}


def _choice(value: Any, options: tuple[str, ...], what: str) -> Any:
    if value not in options:
        raise InvalidPolicy(f"Nilai {what} {value!r} tidak dikenal (pilihan: "
                            f"{', '.join(options)}).")
    return value


def _at_most_100(value: Decimal, what: str) -> Decimal:
    if value > HUNDRED:
        raise InvalidPolicy(f"Nilai {what} tidak boleh lebih dari 100.")
    return value


def discipline_from_dict(data: Mapping[str, Any] | None) -> DisciplineRules:
    if data is None:
        return DisciplineRules()
    unit = _choice(data.get("unit", "pct"), UNITS, "satuan disiplin")
    per_point = dec(data.get("pct_per_point", 1), "persen per poin")
    if unit == "pct" and per_point != 1:
        raise InvalidPolicy("Satuan persen tidak memakai konversi poin (persen per poin 1).")
    return DisciplineRules(
        unit=unit, monthly_cap=dec(data.get("monthly_cap", 100), "batas potongan bulanan"),
        pct_per_point=_at_most_100(per_point, "persen per poin"),
        scope=_choice(data.get("scope", "component"), SCOPES, "cakupan potongan disiplin"),
        rule=str(data.get("rule", "")))


def pay_from_dict(data: Mapping[str, Any] | None) -> PayRules:
    if data is None:
        return PayRules()
    defaults = PayRules()
    leave = defaults.leave
    if data.get("leave") is not None:
        leave = tuple(
            LeaveRule(code=str(r["code"]), label=str(r.get("label") or r["code"]),
                      basis=_choice(r.get("basis", "paid"), BASES, f"dasar cuti {r['code']}"),
                      pct=_at_most_100(dec(r.get("pct", 0), f"persen cuti {r['code']}"),
                                       f"persen cuti {r['code']}"),
                      rule=str(r.get("rule", "")))
            for r in data["leave"])
        codes = [r.code for r in leave]
        if len(set(codes)) != len(codes):
            raise InvalidPolicy("Kode cuti/status tugas tidak boleh ganda.")
    return PayRules(
        leave=leave,
        bpjs_ceiling=dec(data.get("bpjs_ceiling", defaults.bpjs_ceiling), "batas BPJS"),
        bpjs_employee_pct=_at_most_100(dec(data.get("bpjs_employee_pct",
                                                    defaults.bpjs_employee_pct),
                                           "iuran BPJS pegawai"), "iuran BPJS pegawai"),
        bpjs_employer_pct=_at_most_100(dec(data.get("bpjs_employer_pct",
                                                    defaults.bpjs_employer_pct),
                                           "iuran BPJS pemberi kerja"),
                                       "iuran BPJS pemberi kerja"),
        penalty_rule=str(data.get("penalty_rule", defaults.penalty_rule)))

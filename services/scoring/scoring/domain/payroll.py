"""The month's payroll table (daftar pembayaran TPP): one line per employee of the roster,
grouped by OPD with a subtotal after each, and a grand total. Pure: the rows come from the
frozen scores, the files are written by ``adapters.export``.

Every factor is shown: each component's value with its weight, the final %, the TPP base,
the TPP the final % gives (base x final %), the adjustment for the employment type (CPNS
80 %) and the TPP paid (base x final % x adjustment %, rounded once, as the score), and
the reasons a figure rests on a default (``domain.flags``)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from .flags import describe
from .policy import HUNDRED
from .proration import PaySegment
from .score import pct, rupiah

COMPONENT_LABELS: dict[str, str] = {
    "individual_performance": "Kinerja individu",
    "performance": "Kinerja",
    "attendance": "Kehadiran",
    "discipline": "Disiplin",
    "collective_work": "Kerja kolektif",
    "compliance": "Kepatuhan",
}

MONTHS = ("Januari", "Februari", "Maret", "April", "Mei", "Juni", "Juli", "Agustus",
          "September", "Oktober", "November", "Desember")



def month_name(period: str) -> str:
    """``2026-10`` -> ``Oktober 2026``."""
    year, month = period.split("-")
    return f"{MONTHS[int(month) - 1]} {year}"


def _label(name: str, weight: Decimal | None) -> str:
    label = COMPONENT_LABELS.get(name, name)
    return f"{label} (%; bobot {weight} %)" if weight is not None else f"{label} (%)"


@dataclass(frozen=True)
class PayrollLine:
    kind: str  # employee | subtotal | total
    no: int | None
    nip: str
    name: str
    employment_type: str
    unit: str
    components: tuple[Decimal | None, ...]
    final_pct: Decimal | None
    tpp_base: Decimal
    tpp_by_score: Decimal
    adjustment_pct: Decimal | None
    tpp_paid: Decimal
    note: str
    # the pay slip's columns (``extra_header``), when the table is built with them
    extra: tuple[Decimal, ...] = ()

    def cells(self) -> list[Any]:
        """The line in the column order of ``PayrollTable.header`` (None: empty cell)."""
        return [self.no, self.nip, self.name, self.employment_type, self.unit,
                *self.components, self.final_pct, self.tpp_base, self.tpp_by_score,
                self.adjustment_pct, self.tpp_paid, *self.extra, self.note,
                *([""] if self.extra else [])]


@dataclass(frozen=True)
class PayrollTable:
    components: tuple[tuple[str, Decimal | None], ...]
    lines: tuple[PayrollLine, ...]
    employees: int
    header: list[str] = field(default_factory=list)

    @property
    def total(self) -> PayrollLine:
        return self.lines[-1]


FIXED_BEFORE = ["No", "NIP", "Nama", "Status kepegawaian", "Unit kerja (OPD)"]
FIXED_AFTER = ["Nilai akhir (%)", "TPP dasar (Rp)", "TPP sesuai nilai (Rp)",
               "Faktor TPP (%)", "TPP dibayar (Rp)", "Keterangan"]


def _dec(value: Any) -> Decimal:
    return Decimal(str(value)) if value not in (None, "") else Decimal(0)


def _sum_line(kind: str, label: str, lines: Sequence[PayrollLine], width: int,
              extras: int = 0) -> PayrollLine:
    return PayrollLine(
        extra=tuple(sum((x.extra[i] for x in lines), Decimal(0)) for i in range(extras)),
        kind=kind, no=None, nip="", name=f"{label} ({len(lines)} pegawai)",
        employment_type="", unit="", components=(None,) * width, final_pct=None,
        tpp_base=sum((x.tpp_base for x in lines), Decimal(0)),
        tpp_by_score=sum((x.tpp_by_score for x in lines), Decimal(0)),
        adjustment_pct=None, tpp_paid=sum((x.tpp_paid for x in lines), Decimal(0)), note="")


SIGNATURE = "Tanda tangan"


def _bruto(row: Mapping[str, Any], base: Decimal, final: Decimal) -> Decimal:
    """``TPP sesuai nilai``: base x final %, or, for a month paid in parts, the sum of its
    segments' bruto (as the pay slip's lines)."""
    segments = [PaySegment.of(s) for s in row.get("segments") or ()]
    if segments:
        return sum((s.bruto(final) for s in segments), Decimal(0))
    return rupiah(base * final / HUNDRED)


def build(rows: Sequence[Mapping[str, Any]], extra_header: Sequence[str] = (),
          extra: Mapping[str, tuple[Decimal, ...]] | None = None) -> PayrollTable:
    """Rows (nip, name, unit, employment_type, components [{name, weight, value_pct}],
    final_pct, tpp_base, tpp_adjustment_pct, tpp_amount, flags) -> the table: employees by
    OPD (name) then NIP, each OPD followed by its subtotal, the grand total last.

    With ``extra_header``, each employee's ``extra[nip]`` values (the pay slip's amounts)
    follow ``TPP dibayar``, summed in the subtotals and the total, and a last column is
    left empty for each employee's signature of receipt."""
    extra = extra or {}
    specs: dict[str, Decimal | None] = {}
    for r in rows:
        for c in r["components"]:
            specs.setdefault(c["name"], _dec(c["weight"]) if c.get("weight") else None)
    names = list(specs)
    ordered = sorted(rows, key=lambda r: (str(r["unit"]), str(r["nip"])))
    lines: list[PayrollLine] = []
    employees: list[PayrollLine] = []
    group: list[PayrollLine] = []
    for i, r in enumerate(ordered, start=1):
        values = {c["name"]: pct(_dec(c["value_pct"])) for c in r["components"]}
        final = pct(_dec(r["final_pct"]))
        base = rupiah(_dec(r["tpp_base"]))
        line = PayrollLine(
            kind="employee", no=i, nip=str(r["nip"]), name=str(r["name"]),
            employment_type=str(r.get("employment_type") or ""), unit=str(r["unit"]),
            components=tuple(values.get(n) for n in names), final_pct=final, tpp_base=base,
            tpp_by_score=_bruto(r, base, final),
            adjustment_pct=pct(_dec(r.get("tpp_adjustment_pct", HUNDRED))),
            tpp_paid=rupiah(_dec(r["tpp_amount"])),
            note=describe(list(r.get("flags") or [])),
            extra=tuple(extra[str(r["nip"])]) if extra_header else ())
        lines.append(line)
        group.append(line)
        employees.append(line)
        following = ordered[i] if i < len(ordered) else None
        if following is None or str(following["unit"]) != line.unit:
            lines.append(_sum_line("subtotal", f"Subtotal {line.unit}", group, len(names),
                                   len(extra_header)))
            group = []
    lines.append(_sum_line("total", "Jumlah seluruhnya", employees, len(names),
                            len(extra_header)))
    header = [*FIXED_BEFORE, *[_label(n, specs[n]) for n in names], *FIXED_AFTER[:-1],
              *extra_header, FIXED_AFTER[-1], *([SIGNATURE] if extra_header else [])]
    return PayrollTable(components=tuple(specs.items()), lines=tuple(lines),
                        employees=len(employees), header=header)

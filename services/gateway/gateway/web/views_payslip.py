"""View model of the TPP pay slip page ("Slip TPP"), from the scoring service's
``/payslips/{nip}`` answer: every amount in rupiah in Indonesian format, every cut with
its reason and rule. No I/O."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from . import formats as f

Json = Mapping[str, Any]

STATUS = {"final": "Final", "sementara": "Sementara"}
STATUS_NOTE = {
    "final": "Bulan sudah ditutup: slip ini final.",
    "sementara": "Bulan belum ditutup: angka masih dapat berubah sampai bulan ditutup.",
}


@dataclass(frozen=True)
class SlipLine:
    label: str
    amount: str
    reason: str
    rule: str


@dataclass(frozen=True)
class SlipView:
    nip: str
    name: str
    unit: str
    period: str
    status: str  # final | sementara
    status_label: str
    status_note: str
    employment_type: str
    tpp_base: str
    final_pct: str
    earnings: list[SlipLine]
    bruto: str
    cuts: list[SlipLine]
    cuts_total: str
    tpp_after_cuts: str
    deductions: list[SlipLine]
    employer: list[SlipLine]
    netto: str
    notes: list[str]
    inputs_note: str


def _lines(rows: Sequence[Json]) -> list[SlipLine]:
    return [SlipLine(r.get("label", ""), f.rupiah(r.get("amount")), r.get("reason") or "",
                     r.get("rule") or "") for r in rows]


def _total(rows: Sequence[Json]) -> Decimal:
    return sum((Decimal(str(r.get("amount") or 0)) for r in rows), Decimal(0))


def payslip_view(slip: Json) -> SlipView:
    status = str(slip.get("status") or "sementara")
    inputs = slip.get("inputs")
    inputs_note = ("Gaji dan PPh 21 belum dimasukkan unit penggajian: BPJS dihitung dari TPP "
                   "saja, PPh 21 nol." if not inputs else "")
    return SlipView(
        nip=slip["nip"], name=slip.get("name", ""), unit=slip.get("unit", ""),
        period=f.period_label(slip["period"]), status=status,
        status_label=STATUS.get(status, status), status_note=STATUS_NOTE.get(status, ""),
        employment_type=slip.get("employment_type") or "-",
        tpp_base=f.rupiah(slip.get("tpp_base")), final_pct=f.percent(slip.get("final_pct")),
        earnings=_lines(slip.get("earnings", [])), bruto=f.rupiah(slip.get("bruto")),
        cuts=_lines(slip.get("cuts", [])), cuts_total=f.rupiah(_total(slip.get("cuts", []))),
        tpp_after_cuts=f.rupiah(slip.get("tpp_after_cuts")),
        deductions=_lines(slip.get("deductions", [])),
        employer=_lines(slip.get("employer", [])), netto=f.rupiah(slip.get("netto")),
        notes=list(slip.get("notes") or []), inputs_note=inputs_note)

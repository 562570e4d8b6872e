"""View models of the work plan pages (SKP targets and RPOK items of a month, from the
activity service's ``/plans``): the plans grouped by kind with their realisation, the
plan form's values and checks, and the choices of the quick activity form. No I/O."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from . import formats as f

Json = Mapping[str, Any]

KINDS = {"skp": "SKP", "rpok": "RPOK"}
KIND_TITLES = {"skp": "Sasaran Kinerja Pegawai (SKP)",
               "rpok": "Rencana Pelaksanaan Operasional Kegiatan (RPOK)"}
PLAN_FORM = {"kind": "skp", "title": "", "target_quantity": "", "unit": ""}


@dataclass(frozen=True)
class PlanView:
    id: str
    kind: str
    kind_label: str
    title: str
    unit: str
    target: str  # '4 laporan'
    target_input: str  # '4' or '6,5': the edit form's value
    approved: str  # '2 laporan'
    realisation: str  # '50,00 %'
    bar: int  # the realisation's bar, 0-100
    approved_entries: int


@dataclass(frozen=True)
class PlanGroup:
    kind: str
    title: str
    plans: list[PlanView]


def _amount(value: Any, unit: str) -> str:
    return f"{f.quantity(value)} {unit}".strip()


def plan_view(p: Json) -> PlanView:
    pct = Decimal(str(p.get("realisation_pct") or 0))
    unit = p.get("unit") or ""
    return PlanView(
        id=str(p["id"]), kind=p["kind"], kind_label=KINDS.get(p["kind"], p["kind"].upper()),
        title=p["title"], unit=unit, target=_amount(p["target_quantity"], unit),
        target_input=f.quantity(p["target_quantity"]).replace(".", ""),
        approved=_amount(p.get("approved_quantity") or 0, unit), realisation=f.percent(pct),
        bar=max(0, min(100, int(pct))), approved_entries=int(p.get("approved_entries") or 0))


def plans_view(plans: Sequence[Json]) -> list[PlanGroup]:
    """The month's plans by kind (SKP, then RPOK), each in the order they were made; a
    kind without plans is left out."""
    views = [plan_view(p) for p in plans]
    return [PlanGroup(kind, KIND_TITLES[kind], [v for v in views if v.kind == kind])
            for kind in KINDS if any(v.kind == kind for v in views)]


def plan_choices(months: Sequence[tuple[str, Sequence[Json]]]) -> list[tuple[str, str]]:
    """The quick activity form's plan items of the months it accepts dates of, (period,
    plans) each: (id, 'SKP · title (target)'), the month first when there are two (an
    entry links to a plan of its own month)."""
    named = len(months) > 1
    return [(v.id, (f"{f.period_label(period)} · " if named else "")
             + f"{v.kind_label} · {v.title} (target {v.target})")
            for period, plans in months for v in (plan_view(p) for p in plans)]


def _decimal(text: str) -> Decimal | None:
    """'6,5' or '6.5' -> 6.5; '1.250,75' -> 1250.75 (a comma marks the decimals)."""
    cleaned = text.replace(" ", "")
    if "," in cleaned:
        cleaned = cleaned.replace(".", "").replace(",", ".")
    try:
        number = Decimal(cleaned)
    except InvalidOperation:
        return None
    return number if number.is_finite() else None


def plan_form_error(form: Mapping[str, str]) -> str | None:
    """What is wrong with the plan form, in Bahasa Indonesia (None: send it; the activity
    service decides again)."""
    if form.get("kind") not in KINDS:
        return "Pilih jenis rencana: SKP atau RPOK."
    if len(form.get("title", "")) < 3:
        return "Uraian rencana minimal 3 huruf."
    target = _decimal(form.get("target_quantity", ""))
    if target is None:
        return "Target kuantitas harus berupa angka, misalnya 4 atau 2,5."
    if target <= 0:
        return "Target kuantitas harus lebih dari nol."
    if target != target.quantize(Decimal("0.01")) or target >= Decimal("1e10"):
        return "Target kuantitas paling banyak dua angka di belakang koma."
    if not form.get("unit"):
        return "Isi satuan target, misalnya dokumen atau kegiatan."
    return None


def plan_body(form: Mapping[str, str], period: str | None = None) -> dict[str, Any]:
    """The activity service's plan item from a checked form (``period`` when creating);
    the person is the signed-in one, never the form's."""
    target = _decimal(form.get("target_quantity", ""))
    body: dict[str, Any] = {"kind": form.get("kind", ""), "title": form.get("title", ""),
                            "target_quantity": str(target) if target is not None else "",
                            "unit": form.get("unit", "")}
    if period is not None:
        body["period"] = period
    return body

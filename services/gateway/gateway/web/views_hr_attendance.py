"""View models of HR's attendance settings pages (the apel and the punch window of the
devices, the shift rosters) and of the compliance entry, and the changes their forms ask
for. Plain functions of the services' answers and of the submitted forms, no I/O; tested
on their own."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from . import formats as f
from .views_hr import WEEKDAYS, FormError, decimal_input

Json = Mapping[str, Any]

# the apel's weekdays as the attendance service numbers them (0 = Monday)
APEL_DAYS = tuple((str(i), label) for i, (_, label) in enumerate(WEEKDAYS))
# the punch window's fields: (name, label, hint, lowest, highest)
WINDOW_FIELDS = (
    ("max_future_hours", "Paling jauh di depan jam server (jam)",
     "Jam absen yang lebih jauh di depan jam server disisihkan (jam mesin salah).", 0, 168),
    ("max_age_days", "Paling lama ke belakang (hari)",
     "Jam absen yang lebih lama dari ini disisihkan untuk diperiksa.", 1, 3660),
)
WINDOW_SOURCES = {"tenant": "Diatur instansi", "default": "Bawaan layanan presensi"}


def clock_text(value: Any) -> str:
    """'07:30:00' -> '07:30' (an <input type=time> value)."""
    return str(value or "")[:5]


def apel_form(apel: Json | None) -> dict[str, Any]:
    """The apel form's values: the apel in force, or Monday with no window when none is."""
    if not apel:
        return {"window_start": "", "window_end": "", "weekdays": ["0"], "devices": []}
    return {"window_start": clock_text(apel.get("window_start")),
            "window_end": clock_text(apel.get("window_end")),
            "weekdays": [str(d) for d in apel.get("weekdays") or []],
            "devices": list(apel.get("device_serials") or [])}


def apel_summary(apel: Json | None) -> str:
    """'Senin, Jumat 07:30-08:00 di mesin mana pun' (or that there is none)."""
    if not apel:
        return "Apel belum diatur: ketidakikutan apel tidak dihitung."
    days = ", ".join(label for key, label in APEL_DAYS
                     if int(key) in (apel.get("weekdays") or []))
    where = ", ".join(apel.get("device_serials") or []) or "mesin mana pun"
    return (f"{days} {clock_text(apel.get('window_start'))}-"
            f"{clock_text(apel.get('window_end'))}, di {where}.")


def device_choices(devices: Sequence[Json], chosen: Iterable[str]) -> list[dict[str, Any]]:
    """The regency's devices to tick (a designated serial no longer registered kept)."""
    picked = set(chosen)
    known = {d["serial_number"]: d.get("location") or "" for d in devices}
    for serial in picked - known.keys():
        known[serial] = "tidak terdaftar"
    return [{"serial": s, "location": loc, "checked": s in picked}
            for s, loc in sorted(known.items())]


def apel_body(form: Mapping[str, str], weekdays: Sequence[str],
              devices: Sequence[str]) -> dict[str, Any]:
    """The attendance service's apel from the form; FormError when a field is missing."""
    missing = [label for key, label in (("window_start", "jam mulai"),
                                        ("window_end", "jam selesai")) if not form.get(key)]
    if not weekdays:
        missing.append("hari apel")
    if missing:
        raise FormError("Isi " + ", ".join(missing) + ".")
    if any(d not in dict(APEL_DAYS) for d in weekdays):
        raise FormError("Hari apel tidak valid.")
    return {"window_start": form["window_start"], "window_end": form["window_end"],
            "weekdays": sorted({int(d) for d in weekdays}),
            "device_serials": sorted({d for d in devices if d})}


def window_body(form: Mapping[str, str]) -> dict[str, int]:
    """The punch window from the form; FormError naming the fields out of range."""
    body: dict[str, int] = {}
    wrong = []
    for name, label, _, low, high in WINDOW_FIELDS:
        text = form.get(name, "").strip()
        if not text.isdigit() or not low <= int(text) <= high:
            wrong.append(f"{label} ({low}-{high})")
        else:
            body[name] = int(text)
    if wrong:
        raise FormError("Isi dengan bilangan bulat: " + "; ".join(wrong) + ".")
    return body


# --- compliance ---------------------------------------------------------------------------


def uses_compliance(policy: Json) -> bool:
    """Whether a month's policy has a compliance part (else an entry is refused)."""
    return any(p.get("source") == "compliance"
               for c in policy.get("components", []) for p in c.get("parts", []))


def compliance_body(form: Mapping[str, str]) -> dict[str, str]:
    """The compliance entry from the form ('87,5' accepted); FormError when not 0-100."""
    value = decimal_input(form.get("value_pct", ""))
    if value is None or not 0 <= value <= 100 or value != round(value, 2):
        raise FormError("Nilai kepatuhan: isi angka 0-100 (paling banyak dua desimal).")
    return {"value_pct": str(value), "note": form.get("note", "")}


def compliance_missing(check: Json, names: Mapping[str, str]) -> list[dict[str, str]]:
    """The employees whose compliance is not entered yet, from the month check."""
    nips: list[str] = []
    for item in check.get("open_items", []):
        if item.get("code") == "compliance_not_entered":
            nips = list(item.get("nips") or [])
    return sorted(({"nip": n, "name": names.get(n, "")} for n in nips),
                  key=lambda e: (e["name"].lower(), e["nip"]))


def compliance_result(score: Json, names: Mapping[str, str]) -> dict[str, str]:
    """An employee's month after an entry: the compliance entered and the final score."""
    return {"nip": score.get("nip", ""), "name": names.get(score.get("nip", ""), ""),
            "compliance": f.percent(score.get("sources", {}).get("compliance")),
            "final": f.percent(score.get("final_pct"))}


# --- shift rosters ------------------------------------------------------------------------

MAX_SHIFT_DAYS = 62  # the most days one roster sends (the attendance service's limit)


def shifts_body(form: Mapping[str, str]) -> dict[str, Any]:
    """One employee's shifts from the form: every date from ``start_date`` to ``end_date``
    at ``hours`` ('22:00-06:00' crosses midnight; empty = off); FormError when the span is
    missing, reversed or longer than the service takes."""
    try:
        start = dt.date.fromisoformat(form.get("start_date", ""))
        end = dt.date.fromisoformat(form.get("end_date", "") or form.get("start_date", ""))
    except ValueError:
        raise FormError("Isi tanggal mulai (dan tanggal selesai) shift.") from None
    days = (end - start).days + 1
    if days < 1:
        raise FormError("Tanggal selesai shift harus sama atau setelah tanggal mulai.")
    if days > MAX_SHIFT_DAYS:
        raise FormError(f"Paling banyak {MAX_SHIFT_DAYS} hari sekali simpan.")
    hours = form.get("hours", "").replace(" ", "") or None
    return {"nip": form.get("nip", ""),
            "shifts": {(start + dt.timedelta(days=i)).isoformat(): hours for i in range(days)}}


def shifts_view(rows: Sequence[Json], names: Mapping[str, str]) -> list[dict[str, Any]]:
    """The month's roster per employee (by name), each with their dated shifts."""
    by_nip: dict[str, list[dict[str, str]]] = {}
    for r in sorted(rows, key=lambda r: str(r["work_date"])):
        by_nip.setdefault(r["nip"], []).append(
            {"day": f.date_with_weekday(str(r["work_date"])), "hours": r.get("hours") or "Libur"})
    return sorted(({"nip": nip, "name": names.get(nip, ""), "shifts": shifts}
                   for nip, shifts in by_nip.items()),
                  key=lambda e: (e["name"].lower(), e["nip"]))

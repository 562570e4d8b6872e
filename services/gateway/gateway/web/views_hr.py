"""View models of the regency HR's administration pages (schedules, holidays, leave,
corrections, attendance rules, scoring policy, quarantine, late facts) and the changes
their forms ask for. Plain functions of the services' answers and of the submitted forms,
no I/O; tested on their own."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from . import formats as f

Json = Mapping[str, Any]

WEEKDAYS = (("mon", "Senin"), ("tue", "Selasa"), ("wed", "Rabu"), ("thu", "Kamis"),
            ("fri", "Jumat"), ("sat", "Sabtu"), ("sun", "Minggu"))
HOLIDAY_KINDS = {"national": "Libur nasional", "cuti_bersama": "Cuti bersama",
                 "local": "Libur daerah"}
LEAVE_KINDS = {"CT": "Cuti tahunan", "CS": "Cuti sakit", "CB": "Cuti besar",
               "CM": "Cuti melahirkan", "CAP": "Cuti karena alasan penting",
               "CLTN": "Cuti di luar tanggungan negara", "DL": "Dinas luar", "I": "Izin",
               "TB": "Tugas belajar"}
SCOPES = {"tenant": "Seluruh instansi", "unit": "Satu OPD", "employee": "Satu pegawai"}
QUARANTINE_STATUS = {"open": "Terbuka", "replayed": "Diproses ulang", "discarded": "Dibuang"}
# the services whose quarantine HR sees, in the order of the page
SERVICES = {"attendance": "Presensi", "activity": "Aktivitas", "scoring": "Penilaian",
            "gateway": "Direktori"}
# the scalar attendance rules the page edits (name, label, kind)
RULE_FIELDS = (("tk_pct", "Potongan TK (tanpa keterangan)", "pct"),
               ("missing_punch_pct", "Potongan tidak presensi datang/pulang", "pct"),
               ("missed_apel_pct", "Potongan tidak ikut apel", "pct"),
               ("late_tolerance_minutes", "Toleransi terlambat (menit)", "int"))


def schedule_hours(days: Mapping[str, Any]) -> list[tuple[str, str]]:
    """A named week as (weekday, hours or 'Libur'), Monday first."""
    return [(label, str(days.get(key) or "Libur")) for key, label in WEEKDAYS]


def schedules_view(rows: Sequence[Json]) -> list[dict[str, Any]]:
    return sorted(({"name": r["name"], "hours": schedule_hours(r.get("days") or {})}
                   for r in rows), key=lambda s: s["name"].lower())


def assignments_view(rows: Sequence[Json], names: Mapping[str, str]) -> list[dict[str, str]]:
    out = []
    for a in rows:
        scope_id = a.get("scope_id") or ""
        who = str(SCOPES.get(a["scope"], a["scope"]))
        if scope_id:
            who += f": {names.get(scope_id, scope_id)}"
        span = (f"{f.date_long(a.get('valid_from')) if a.get('valid_from') else 'awal'} s.d. "
                f"{f.date_long(a.get('valid_to')) if a.get('valid_to') else 'seterusnya'}")
        out.append({"schedule": a["schedule"], "scope": who, "span": span,
                    "priority": str(a.get("priority", 0))})
    return out


def schedule_body(form: Mapping[str, str]) -> dict[str, Any]:
    """The attendance service's named week from the form (an empty weekday is off)."""
    return {"name": form.get("name", ""),
            "days": {key: form.get(key) or None for key, _ in WEEKDAYS}}


def holidays_view(rows: Sequence[Json]) -> list[dict[str, str]]:
    return [{"date": str(h["date"]), "day": f.date_with_weekday(str(h["date"])),
             "name": h["name"], "kind": HOLIDAY_KINDS.get(h.get("kind", ""), str(h.get("kind")))}
            for h in sorted(rows, key=lambda h: str(h["date"]))]


def leaves_view(rows: Sequence[Json], names: Mapping[str, str]) -> list[dict[str, Any]]:
    """Leave and permits, latest start first; cancelled ones marked."""
    out = []
    for x in sorted(rows, key=lambda x: (str(x["start_date"]), x["id"]), reverse=True):
        start, end = str(x["start_date"]), str(x["end_date"])
        out.append({"id": x["id"], "nip": x["nip"], "name": names.get(x["nip"], ""),
                    "kind": LEAVE_KINDS.get(x["kind"], x.get("kind_name") or x["kind"]),
                    "span": f.date_long(start) if start == end
                    else f"{f.date_long(start)} s.d. {f.date_long(end)}",
                    "note": x.get("note") or "", "cancelled": bool(x.get("cancelled_at"))})
    return out


def correction_body(form: Mapping[str, str]) -> dict[str, Any]:
    """The correction from the form: local times on the corrected date (naive = the
    regency's zone), only those given."""
    day = form.get("work_date", "")
    body: dict[str, Any] = {"reason": form.get("reason", "")}
    for name in ("arrival", "departure"):
        if form.get(name):
            body[name] = f"{day}T{form[name]}"
    return body


def corrections_view(rows: Sequence[Json], tz: dt.tzinfo) -> list[dict[str, str]]:
    return [{"day": f.date_with_weekday(str(c["work_date"])),
             "arrival": f.clock(c.get("arrival"), tz), "departure": f.clock(c.get("departure"), tz),
             "reason": c.get("reason", ""), "by": c.get("corrected_by", ""),
             "at": f.datetime_long(c.get("created_at"), tz)}
            for c in sorted(rows, key=lambda c: str(c.get("created_at", "")), reverse=True)]


# --- rules and policy: current values, and the changes of a submitted form ----------------


def decimal_input(text: str) -> Decimal | None:
    """'4,5' or '4.5' -> Decimal('4.5'); None when it is not a number."""
    try:
        value = Decimal(text.strip().replace(",", "."))
    except InvalidOperation:
        return None
    return value if value.is_finite() else None


def input_value(value: Any) -> str:
    """A number as the form shows it to be edited: '4,5' ('' when missing)."""
    d = None if value is None else decimal_input(str(value))
    if d is None:
        return ""
    return f"{d.normalize():f}".replace(".", ",")


def rules_view(rules: Json) -> dict[str, Any]:
    scalars = [{"name": name, "label": label, "value": input_value(rules.get(name)),
                "shown": f.percent(rules.get(name)) if kind == "pct"
                else str(rules.get(name, "-"))} for name, label, kind in RULE_FIELDS]

    def brackets(key: str) -> list[dict[str, str]]:
        return [{"code": b["code"], "range": f"{b['min_minutes']}-{b['max_minutes']} menit"
                 if b.get("max_minutes") is not None else f">= {b['min_minutes']} menit",
                 "value": input_value(b["pct"]), "shown": f.percent(b["pct"])}
                for b in rules.get(key, [])]

    return {"name": rules.get("name", ""), "description": rules.get("description", ""),
            "scalars": scalars, "tl": brackets("tl"), "psw": brackets("psw")}


class FormError(ValueError):
    """A form value the page refuses before asking a service (message in Indonesian)."""


def _number(form: Mapping[str, str], key: str, label: str) -> Decimal:
    value = decimal_input(form.get(key, ""))
    if value is None or value < 0:
        raise FormError(f"{label}: isi dengan angka tidak negatif.")
    return value


def rules_changes(rules: Json, form: Mapping[str, str]) -> dict[str, Any]:
    """Only the rules the form changes (PATCH semantics: a bracket list goes whole)."""
    changes: dict[str, Any] = {}
    for name, label, kind in RULE_FIELDS:
        if name not in form:
            continue
        current = rules.get(name)
        if form[name] == "" and current is None:
            continue
        value = _number(form, name, label)
        if kind == "int" and value != value.to_integral_value():
            raise FormError(f"{label}: isi dengan bilangan bulat.")
        if current is None or value != Decimal(str(current)):
            changes[name] = int(value) if kind == "int" else str(value)
    for key in ("tl", "psw"):
        old = list(rules.get(key, []))
        new = []
        for i, b in enumerate(old):
            field = f"{key}-{i}"
            pct = _number(form, field, b["code"]) if field in form else Decimal(str(b["pct"]))
            new.append({**b, "pct": str(pct)})
        if any(Decimal(n["pct"]) != Decimal(str(o["pct"])) for n, o in zip(new, old)):
            changes[key] = new
    return changes


def policy_view(policy: Json) -> dict[str, Any]:
    comps = [{"name": c["name"], "label": f.component(c["name"]),
              "value": input_value(c["weight"]), "shown": f.percent(c["weight"], 1),
              "parts": ", ".join(f"{f.component(p['source'])} {f.percent(p['weight'], 1)}"
                                 for p in c.get("parts", []))}
             for c in policy.get("components", [])]
    adjust = [(k, f.percent(v, 0)) for k, v in sorted((policy.get("tpp_adjustments") or {})
                                                       .items())]
    return {"name": policy.get("name", ""), "components": comps,
            "minutes_per_day": str(policy.get("minutes_per_day", "")), "adjustments": adjust}


def policy_changes(policy: Json, form: Mapping[str, str]) -> dict[str, Any]:
    """Only what the form changes: the components as a whole list when a weight changed,
    the minutes per day when changed."""
    changes: dict[str, Any] = {}
    comps = list(policy.get("components", []))
    weights = [_number(form, f"w-{c['name']}", f.component(c["name"]))
               if f"w-{c['name']}" in form else Decimal(str(c["weight"])) for c in comps]
    if any(w != Decimal(str(c["weight"])) for w, c in zip(weights, comps)):
        changes["components"] = [{**c, "weight": str(w)} for c, w in zip(comps, weights)]
    if form.get("minutes_per_day"):
        text = form["minutes_per_day"]
        if not text.isdigit() or not 1 <= int(text) <= 1440:
            raise FormError("Menit kerja per hari: isi dengan bilangan bulat 1-1440.")
        if int(text) != int(policy.get("minutes_per_day", 0)):
            changes["minutes_per_day"] = int(text)
    return changes


# --- quarantine and late facts -----------------------------------------------------------


def quarantine_view(by_service: Mapping[str, Sequence[Json]],
                    tz: dt.tzinfo) -> list[dict[str, Any]]:
    """Every service's quarantined inputs, newest first."""
    rows = []
    for service, entries in by_service.items():
        for q in entries:
            rows.append({"service": service, "service_label": SERVICES.get(service, service),
                         "id": q["id"], "key": f"{service}-{q['id']}", "source": q["source"],
                         "reason": q["reason"], "received": q["received_at"],
                         "at": f.datetime_long(q["received_at"], tz), "status": q["status"],
                         "status_label": QUARANTINE_STATUS.get(q["status"], q["status"]),
                         "open": q["status"] == "open", "replayable": bool(q.get("replayable")),
                         "resolution": q.get("resolution") or "",
                         "resolved_by": q.get("resolved_by") or ""})
    return sorted(rows, key=lambda r: str(r["received"]), reverse=True)


def late_facts_view(facts: Sequence[Json], names: Mapping[str, str],
                    tz: dt.tzinfo) -> list[dict[str, str]]:
    """The facts that came after the month was closed: whose, which day, what they change,
    and whether a reopening applied them."""
    return [{"nip": x.get("nip") or "", "name": names.get(x.get("nip") or "", ""),
             "day": f.date_long(x.get("work_date")) if x.get("work_date") else "-",
             "change": x.get("change") or x.get("event_type") or "",
             "received": f.datetime_long(x.get("received_at"), tz),
             "applied": f.datetime_long(x["applied_at"], tz) if x.get("applied_at")
             else "Belum diterapkan"} for x in facts]

"""The month check before a close: the open items the activity, attendance and scoring
services each report of a month, composed into one list with descriptions for HR (Bahasa
Indonesia). Pure functions of the three answers (each service decides for its own data;
none reads another's tables)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any

SHOWN = 5  # names, dates or devices spelled out in a description; the rest counted
# the services asked, in the order HR works through their items, with their names for staff
SOURCES = {"activity": "aktivitas", "attendance": "presensi", "scoring": "penilaian"}


def _day(value: str | None) -> str:
    return dt.date.fromisoformat(value).strftime("%d-%m-%Y") if value else "-"


def _listed(values: Sequence[str]) -> str:
    more = len(values) - SHOWN
    return ", ".join(values[:SHOWN]) + (f" dan {more} lainnya" if more > 0 else "")


def item(source: str, code: str, detail: str, count: int, **extra: Any) -> dict[str, Any]:
    return {"source": source, "code": code, "detail": detail, "count": count, **extra}


def activity_items(answer: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Entries still undecided, per supervisor, with the oldest date."""
    count = int(answer.get("undecided_entries") or 0)
    if not count:
        return []
    by = answer.get("by_supervisor") or []
    per = [f"{s.get('supervisor_nip') or 'tanpa atasan'} ({s['entries']})" for s in by]
    return [item("activity", "undecided_entries",
                 f"{count} aktivitas belum diputuskan atasan (tertua "
                 f"{_day(answer.get('oldest_work_date'))}); per atasan: {_listed(per)}",
                 count, by_supervisor=by)]


def attendance_items(answer: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Working days not closed (no TK yet), and devices that uploaded nothing."""
    items = []
    days = list(answer.get("unclosed_days") or [])
    if days:
        items.append(item(
            "attendance", "unclosed_days",
            f"{len(days)} hari kerja belum ditutup (ketidakhadiran/TK belum ditetapkan): "
            f"{_listed([_day(d) for d in days])}", len(days), dates=days))
    silent = list(answer.get("silent_devices") or [])
    if silent:
        names = [f"{d['serial_number']}" + (f" ({d['location']})" if d.get("location") else "")
                 for d in silent]
        items.append(item(
            "attendance", "silent_devices",
            f"{len(silent)} dari {answer.get('devices', len(silent))} mesin presensi tidak "
            f"mengirim data presensi pada periode ini: {_listed(names)}", len(silent),
            devices=silent))
    return items


def scoring_items(answer: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Scoring's own items (compliance not entered, defaults, late facts), as it words them."""
    return [item("scoring", i["code"], i["detail"], int(i.get("count") or len(i.get("nips") or [])),
                 nips=i.get("nips") or []) for i in answer.get("open_items") or []]


def compose(activity: Mapping[str, Any], attendance: Mapping[str, Any],
            scoring: Mapping[str, Any]) -> list[dict[str, Any]]:
    """One list, in the order HR works through it: decisions, days, devices, scores."""
    return [*activity_items(activity), *attendance_items(attendance), *scoring_items(scoring)]


def unavailable(source: str, reason: str) -> str:
    """Why one service's part of the check is missing (its own reason, already in Bahasa
    Indonesia): the rest of the list is still shown."""
    return f"Pemeriksaan {SOURCES.get(source, source)} tidak tersedia: {reason}"


def reported(items: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """The activity and attendance items as scoring's close takes them (it adds its own)."""
    return [{"source": i["source"], "code": i["code"], "detail": i["detail"],
             "count": i["count"]} for i in items if i["source"] != "scoring"]

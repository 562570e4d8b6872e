"""Indonesian formats of the web pages (gateway.web.formats)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from gateway.web import formats as f


@pytest.mark.parametrize(("value", "text"), [
    (4000000, "Rp 4.000.000"), (Decimal("4500000.50"), "Rp 4.500.001"),
    ("999", "Rp 999"), (0, "Rp 0"), (Decimal("-1500"), "-Rp 1.500"),
    (Decimal("1234567.49"), "Rp 1.234.567"), (None, "-"), ("x", "-"), ("NaN", "-"),
])
def test_rupiah(value, text):
    # shown as written here, never broken across lines: a no-break space after "Rp", a
    # word joiner after the minus
    shown = f.rupiah(value)
    assert shown.replace("\u00a0", " ").replace("\u2060", "") == text
    assert " " not in shown and shown.count("\u2060") == text.startswith("-Rp")


@pytest.mark.parametrize(("value", "text"), [
    (Decimal("33.27"), "33,27 %"), ("100", "100,00 %"), (Decimal("0.005"), "0,01 %"),
    (Decimal("1234.5"), "1.234,50 %"), (None, "-"), (Decimal("-2.5"), "-2,50 %"),
])
def test_percent(value, text):
    assert f.percent(value) == text


def test_number_places():
    assert f.number(Decimal("1234567.891"), 2) == "1.234.567,89"
    assert f.number(12) == "12" and f.number(1000) == "1.000" and f.number(100) == "100"


@pytest.mark.parametrize(("day", "text"), [
    (dt.date(2026, 11, 23), "23 November 2026"), ("2026-01-01", "1 Januari 2026"),
    ("2026-08-17T00:00:00", "17 Agustus 2026"), (None, "-"),
])
def test_dates(day, text):
    assert f.date_long(day) == text


def test_weekday_and_period():
    assert f.date_with_weekday(dt.date(2026, 11, 23)) == "Senin, 23 November 2026"
    assert f.date_with_weekday("2026-11-29") == "Minggu, 29 November 2026"
    assert f.period_label("2026-05") == "Mei 2026"
    assert f.shift_period("2026-01", -1) == "2025-12"
    assert f.shift_period("2026-12", 1) == "2027-01"
    assert f.shift_period("2026-06", 0) == "2026-06"


def test_clock_in_the_regency_zone():
    wita = ZoneInfo("Asia/Makassar")
    assert f.clock("2026-11-23T00:41:12+00:00", wita) == "08:41"
    assert f.clock("07:05:00") == "07:05" and f.clock(None) == "-"
    assert f.datetime_long("2026-11-22T23:30:00+00:00", wita) == "23 November 2026 07:30"


@pytest.mark.parametrize(("minutes", "text"), [
    (210, "3 jam 30 menit"), (60, "1 jam"), (45, "45 menit"), (0, "0 menit"), (None, "-"),
])
def test_duration(minutes, text):
    assert f.duration(minutes) == text


def test_labels():
    assert f.entry_status("rejected") == "Ditolak"
    assert f.entry_status("unknown") == "unknown"
    assert f.component("individual_performance") == "Kinerja individu"
    assert f.component("new_part") == "New part"

"""What is still open in a month before it is closed: working days not closed before
today, and registered devices that uploaded nothing."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from attendance.domain.month_open import DeviceUploads, silent_devices, unclosed_days

WIB = ZoneInfo("Asia/Jakarta")


def d(day: int) -> dt.date:
    return dt.date(2026, 11, day)


def test_unclosed_days_are_the_past_working_days_not_closed_in_date_order() -> None:
    working = [d(5), d(3), d(2), d(4), d(6)]
    # today (the 5th) and later are not over yet; the 3rd was closed
    assert unclosed_days(working, closed={d(3)}, today=d(5)) == [d(2), d(4)]


def test_no_unclosed_day_when_every_past_day_was_closed_or_the_month_just_began() -> None:
    assert unclosed_days([d(2), d(3)], closed={d(2), d(3)}, today=d(10)) == []
    assert unclosed_days([d(2), d(3)], closed=set(), today=d(2)) == []
    assert unclosed_days([d(2), d(3)], closed=set(), today=d(3)) == [d(2)]


def device(serial: str, registered: dt.datetime, uploads: int) -> DeviceUploads:
    return DeviceUploads(serial, "Lobi", registered, None, None, uploads)


def test_silent_devices_were_registered_before_the_end_and_uploaded_nothing() -> None:
    until = dt.datetime(2026, 12, 1, tzinfo=WIB)
    devices = [
        device("SN-C", dt.datetime(2026, 10, 1, tzinfo=WIB), 0),
        device("SN-A", dt.datetime(2026, 11, 30, 23, 59, tzinfo=WIB), 0),
        device("SN-B", dt.datetime(2026, 10, 1, tzinfo=WIB), 1),   # uploaded one punch
        device("SN-D", until, 0),                                  # registered at the end
        device("SN-E", dt.datetime(2026, 12, 2, tzinfo=WIB), 0),   # registered after it
    ]
    assert [x.serial_number for x in silent_devices(devices, until)] == ["SN-A", "SN-C"]
    assert silent_devices([], until) == []

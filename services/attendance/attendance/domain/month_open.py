"""What the attendance service still has open in a month, before the month is closed:
working days whose verdicts were not closed (no TK yet for those who never came) and
registered devices that uploaded nothing. Pure functions."""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass


def unclosed_days(working: Iterable[dt.date], closed: Collection[dt.date],
                  today: dt.date) -> list[dt.date]:
    """The working dates before ``today`` (the regency's date) that were not closed; today
    and later are not over yet, so not counted."""
    return sorted(d for d in working if d < today and d not in closed)


@dataclass(frozen=True)
class DeviceUploads:
    serial_number: str
    location: str
    registered_at: dt.datetime
    last_seen_at: dt.datetime | None
    last_upload_at: dt.datetime | None  # the last punch received from it, ever
    uploads: int  # punches of the window looked at


def silent_devices(devices: Sequence[DeviceUploads],
                   until: dt.datetime) -> list[DeviceUploads]:
    """The devices registered before ``until`` that uploaded nothing in the window."""
    return sorted((d for d in devices if d.registered_at < until and d.uploads == 0),
                  key=lambda d: d.serial_number)

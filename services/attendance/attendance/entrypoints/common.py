"""Small pieces the HTTP routers share."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import Path, Query

from ekinerja_shared.service import Runtime

from ..domain.attlog import PunchWindow

Tenant = Annotated[str, Path(min_length=1, max_length=64)]
Nip = Annotated[str, Path(min_length=1, max_length=32)]
Period = Annotated[str, Query(pattern=r"^\d{4}-(0[1-9]|1[0-2])$", description="YYYY-MM")]


def default_tz(rt: Runtime) -> str:
    return rt.settings.default_timezone  # type: ignore[attr-defined,no-any-return]


def close_after(rt: Runtime) -> dt.timedelta:
    return dt.timedelta(seconds=rt.settings.day_close_after_s)  # type: ignore[attr-defined]


def punch_window(rt: Runtime) -> PunchWindow:
    """The plausibility window of punch times for tenants without their own."""
    st = rt.settings
    return PunchWindow.of(st.punch_max_future_hours, st.punch_max_age_days)  # type: ignore[attr-defined]

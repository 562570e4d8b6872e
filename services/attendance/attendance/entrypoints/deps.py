"""Typed dependencies of the attendance routes."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from ekinerja_shared.http import runtime_of

from ..runtime import AttendanceRuntime

RuntimeDep = Annotated[AttendanceRuntime, Depends(runtime_of)]


def _default_tz(rt: RuntimeDep) -> str:
    return rt.settings.default_timezone


DefaultTzDep = Annotated[str, Depends(_default_tz)]
"""The zone of a tenant the directory has not named yet (``EK_DEFAULT_TIMEZONE``)."""

"""The attendance service's runtime: the shared one, with its settings typed and its own
metrics and configuration."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from ekinerja_shared.runtime import Runtime

from .metrics import AttendanceMetrics
from .settings import Settings


@dataclass(kw_only=True)
class AttendanceRuntime(Runtime[Settings]):
    attendance_metrics: AttendanceMetrics = field(init=False)
    # a day is closed this long after its midnight (covers night shifts)
    close_after: dt.timedelta = field(init=False)

    def __post_init__(self) -> None:
        super().__post_init__()
        self.attendance_metrics = AttendanceMetrics(self.metrics.registry)
        self.close_after = dt.timedelta(seconds=self.settings.day_close_after_s)

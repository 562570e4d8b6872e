"""The attendance service's runtime: the shared one, with its settings typed and its own
metrics and configuration."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from ekinerja_shared.runtime import Runtime

from .domain.attlog import PunchWindow, ResendPolicy
from .metrics import AttendanceMetrics
from .settings import Settings


@dataclass(kw_only=True)
class AttendanceRuntime(Runtime[Settings]):
    attendance_metrics: AttendanceMetrics = field(init=False)
    # a day is closed this long after its midnight (covers night shifts)
    close_after: dt.timedelta = field(init=False)
    # the plausibility window of punch times for tenants without their own
    punch_window: PunchWindow = field(init=False)
    # when a command the device never answered is sent again, and how often
    resend_policy: ResendPolicy = field(init=False)

    def __post_init__(self) -> None:
        super().__post_init__()
        st = self.settings
        self.attendance_metrics = AttendanceMetrics(self.metrics.registry)
        self.close_after = dt.timedelta(seconds=st.day_close_after_s)
        self.punch_window = PunchWindow.of(st.punch_max_future_hours, st.punch_max_age_days)
        self.resend_policy = ResendPolicy(dt.timedelta(seconds=st.command_result_timeout_s),
                                          st.command_max_resends)

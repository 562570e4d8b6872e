from __future__ import annotations

from pydantic import Field

from ekinerja_shared.settings import ServiceSettings

from .domain.attlog import MAX_AGE_DAYS, MAX_FUTURE_HOURS


class Settings(ServiceSettings):
    service_name: str = "attendance"
    database_url: str = "sqlite+aiosqlite:///.run/attendance.db"
    http_port: int = 8001
    # zone of a tenant not (yet) known from the directory
    default_timezone: str = "Asia/Jakarta"
    # a device silent for longer than this shows as offline
    device_offline_after_s: float = 300.0
    # a day is closed (TK for the absent) this long after its midnight (covers night shifts)
    day_close_after_s: float = 12 * 3600.0
    # how often background jobs (device status gauge, closing days) run
    housekeeping_interval_s: float = 60.0
    # device protocol (/iclock) bounds
    # a larger body is refused with 413 before it is read
    iclock_max_body_bytes: int = Field(default=8 * 1024 * 1024, ge=1024)
    # records processed per upload; the ones beyond are kept in quarantine as one entry
    iclock_max_lines: int = Field(default=5000, ge=1, le=100_000)
    # plausibility window of punch times (a tenant may set its own: PUT punch-window)
    punch_max_future_hours: int = Field(default=24, ge=0, le=MAX_FUTURE_HOURS)
    punch_max_age_days: int = Field(default=90, ge=1, le=MAX_AGE_DAYS)
    # a command the device never answered is sent again after this long, at most
    # command_max_resends times; then it is marked unanswered
    command_result_timeout_s: float = Field(default=300.0, gt=0)
    command_max_resends: int = Field(default=3, ge=0, le=100)

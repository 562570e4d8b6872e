from __future__ import annotations

from ekinerja_shared.settings import ServiceSettings


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
    # directory records applied per transaction
    consumer_batch_size: int = 200
    # how often background jobs (device status gauge, closing days) run
    housekeeping_interval_s: float = 60.0

from __future__ import annotations

from ekinerja_shared.settings import ServiceSettings


class Settings(ServiceSettings):
    service_name: str = "activity"
    database_url: str = "sqlite+aiosqlite:///.run/activity.db"
    http_port: int = 8002
    default_timezone: str = "Asia/Jakarta"

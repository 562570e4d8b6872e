from __future__ import annotations

from ekinerja_shared.settings import ServiceSettings


class Settings(ServiceSettings):
    service_name: str = "scoring"
    database_url: str = "sqlite+aiosqlite:///.run/scoring.db"
    http_port: int = 8003
    # policy of a tenant whose TenantUpserted has not arrived yet
    default_policy_preset: str = "performance60_discipline40"
    # how often the refresher recomputes dirty unit averages (collective component)
    unit_refresh_interval_s: float = 1.0

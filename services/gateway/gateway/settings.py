from __future__ import annotations

from ekinerja_shared.settings import ServiceSettings


class Settings(ServiceSettings):
    service_name: str = "gateway"
    database_url: str = "sqlite+aiosqlite:///.run/gateway.db"
    http_port: int = 8000
    # backends behind the reverse proxy (EK_ATTENDANCE_URL, EK_ACTIVITY_URL, EK_SCORING_URL)
    attendance_url: str = "http://127.0.0.1:8001"
    activity_url: str = "http://127.0.0.1:8002"
    scoring_url: str = "http://127.0.0.1:8003"
    proxy_timeout_s: float = 30.0
    # live score stream: events buffered per client before a slow client is dropped
    stream_queue_size: int = 256
    stream_heartbeat_s: float = 15.0
    # largest roster CSV accepted, bytes
    roster_max_bytes: int = 5_000_000

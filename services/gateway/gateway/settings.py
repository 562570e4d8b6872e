from __future__ import annotations

from ekinerja_shared.settings import ServiceSettings


class Settings(ServiceSettings):
    service_name: str = "gateway"
    database_url: str = "sqlite+aiosqlite:///.run/data/gateway.db"  # as in the Procfile
    http_port: int = 8000
    # backends behind the reverse proxy (EK_ATTENDANCE_URL, EK_ACTIVITY_URL, EK_SCORING_URL)
    attendance_url: str = "http://127.0.0.1:8001"
    activity_url: str = "http://127.0.0.1:8002"
    scoring_url: str = "http://127.0.0.1:8003"
    proxy_timeout_s: float = 30.0
    # live score stream: employees whose newest update may wait for one client (a newer
    # update of the same employee replaces the waiting one) before the client is dropped
    stream_queue_size: int = 10_000
    stream_heartbeat_s: float = 15.0
    # a live stream ends after this long (the browser reconnects at once): its caller's
    # rights and team are checked again, and a stream does not outlive the access token
    # that opened it (EK_AUTH_ACCESS_TTL_S, 600 s by default)
    stream_max_s: float = 600.0
    # largest roster CSV accepted, bytes
    roster_max_bytes: int = 5_000_000
    # the public edge: /metrics too answers 404 unless EK_HTTP_EXPOSE_METRICS (the
    # documentation pages: EK_HTTP_EXPOSE_DOCS, off everywhere by default)
    http_expose_metrics: bool = False

    # --- sign-in (EK_AUTH_*; services/gateway/README.md "Sign-in") ---
    # the gateway verifies its own tokens (its key ring); EK_AUTH_JWKS_URL is not used here.
    # EK_AUTH_JWKS (inline JSON), when set, adds keys whose tokens the gateway accepts too
    # (tests, tools); leave it unset in production
    # the `iss` of access tokens; services check it (same value there)
    auth_issuer: str = "ekinerja"
    # the gateway's address as browsers and identity providers reach it (OIDC redirect URI)
    auth_public_url: str = "http://127.0.0.1:8000"
    auth_access_ttl_s: int = 600
    auth_client_token_ttl_s: int = 600
    auth_refresh_ttl_s: int = 12 * 3600
    # a sign-in's refresh tokens end this long after the sign-in, rotation or not
    auth_session_max_s: int = 7 * 24 * 3600
    auth_leeway_s: int = 30
    # cookies: Secure off only for plain-http local runs
    auth_cookie_secure: bool = True
    auth_cookie_domain: str | None = None
    # signing keys: a new key every N days, published this long before it signs
    auth_key_rotation_days: int = 30
    auth_key_publish_ahead_s: int = 60
    # when set, private signing keys and OIDC client secrets are stored encrypted (JWE
    # dir/A256GCM with a key derived from this secret); unset: stored as plain JSON
    auth_key_encryption_secret: str | None = None
    # failed sign-ins: per account and per source address
    auth_throttle_account_max: int = 5
    auth_throttle_ip_max: int = 30
    auth_throttle_window_s: int = 900
    auth_throttle_lock_s: int = 900
    # argon2id cost (OWASP's minimum: 19 MiB, 2 passes, 1 lane)
    auth_argon2_memory_kib: int = 19456
    auth_argon2_time_cost: int = 2
    auth_argon2_parallelism: int = 1
    auth_oidc_timeout_s: float = 10.0
    auth_oidc_login_ttl_s: int = 600

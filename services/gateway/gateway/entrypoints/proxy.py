"""Reverse proxy to the backend services: the request (method, path, query, headers, body)
is streamed to the backend and the answer streamed back. A backend that cannot be reached
gives 502 with the reason in Bahasa Indonesia (504 when it does not answer in time).

The gateway decides nothing for the backends: the caller's credentials (``Authorization``
and the access cookie) reach them unchanged and each service verifies the token and
decides itself (``/iclock/*`` carries none: attendance knows a device by its registered
serial number). Only paths under ``/api/<service>/`` and ``/iclock/`` are forwarded, as
the client sent them; a path with a ``.`` or ``..`` segment (raw or percent-encoded) is a
404, so that the backends' other routes (``/metrics``, ``/docs``, ``/openapi.json``,
``/asyncapi``) cannot be reached through the gateway.

A backend route that the gateway serves itself, composed from several services, is not
forwarded (``SERVED_BY_GATEWAY``): closing a month goes through the gateway's month check
(``POST /api/tenants/{t}/periods/{p}/close``), which alone knows every service's open
items; scoring's own close answers 404 ``use_month_check`` here."""

from __future__ import annotations

import logging
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from urllib.parse import quote

import httpx
from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response, StreamingResponse
from prometheus_client import CollectorRegistry, Counter
from starlette.background import BackgroundTask

from ..settings import Settings

log = logging.getLogger(__name__)

# RFC 9110 7.6.1 connection-specific headers, never forwarded
HOP_BY_HOP = frozenset({
    "connection", "keep-alive", "proxy-authenticate", "proxy-authorization", "te", "trailer",
    "trailers", "transfer-encoding", "upgrade", "proxy-connection",
})
METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"]


def forwardable(
    headers: httpx.Headers | list[tuple[str, str]], *, drop: frozenset[str] = frozenset()
) -> list[tuple[str, str]]:
    """End-to-end headers only: hop-by-hop ones and those named by Connection are dropped."""
    items = headers.multi_items() if isinstance(headers, httpx.Headers) else headers
    connection_named = {
        token.strip().lower()
        for name, value in items if name.lower() == "connection"
        for token in value.split(",")
    }
    return [(k, v) for k, v in items
            if k.lower() not in HOP_BY_HOP and k.lower() not in connection_named
            and k.lower() not in drop]


def upstream_path(path: str, raw_path: bytes | None) -> str | None:
    """The path to forward, percent-encoded as the client sent it; None when a segment of
    the decoded ``path`` is ``.`` or ``..`` (the backend would resolve it elsewhere)."""
    if any(segment in (".", "..") for segment in path.split("/")):
        return None
    return raw_path.decode("latin-1") if raw_path else quote(path)


# backend routes the gateway serves itself: (method, path pattern, where to go instead)
SERVED_BY_GATEWAY = (
    ("POST", re.compile(r"^/api/scoring/(?P<t>[^/]+)/periods/(?P<p>[^/]+)/close/?$"),
     "POST /api/tenants/{t}/periods/{p}/close"),
)


def served_by_gateway(method: str, path: str) -> str | None:
    """The gateway's route that replaces a backend's ``method path``, if any."""
    for verb, pattern, instead in SERVED_BY_GATEWAY:
        match = pattern.match(path)
        if match and method == verb:
            return instead.format(**match.groupdict())
    return None


@dataclass
class Proxy:
    """Forwards to the backends over one pooled client, opened when first used after a
    start (an app whose lifespan runs again, as in tests, gets a fresh pool) and closed at
    shutdown (``aclose``)."""

    new_client: Callable[[], httpx.AsyncClient]
    metrics: Counter
    _client: httpx.AsyncClient | None = None

    @property
    def client(self) -> httpx.AsyncClient:
        if self._client is None or self._client.is_closed:
            self._client = self.new_client()
        return self._client

    async def aclose(self) -> None:
        if self._client is not None:
            await self._client.aclose()
            self._client = None

    async def forward(self, request: Request, backend: str, base_url: str) -> Response:
        path = upstream_path(request.scope["path"], request.scope.get("raw_path"))
        if path is None:
            return JSONResponse({"detail": "Alamat tidak ditemukan.", "code": "not_found"},
                                status_code=404)
        instead = served_by_gateway(request.method, request.scope["path"])
        if instead:
            return JSONResponse({"detail": f"Gunakan {instead}: bulan ditutup setelah "
                                           "pemeriksaan semua layanan.",
                                 "code": "use_month_check"}, status_code=404)
        url = httpx.URL(base_url.rstrip("/") + path, query=request.url.query.encode())
        headers = forwardable(list(request.headers.items()), drop=frozenset({"host"}))
        client_host = request.client.host if request.client else ""
        prior = request.headers.get("x-forwarded-for")
        headers += [
            ("x-forwarded-for", f"{prior}, {client_host}" if prior else client_host),
            ("x-forwarded-proto", request.url.scheme),
            ("x-forwarded-host", request.headers.get("host", "")),
        ]
        has_body = request.method not in ("GET", "HEAD", "OPTIONS") or (
            "content-length" in request.headers or "transfer-encoding" in request.headers)
        upstream = self.client.build_request(
            request.method, url, headers=headers,
            content=request.stream() if has_body else None,
        )
        try:
            answer = await self.client.send(upstream, stream=True)
        except httpx.TimeoutException as exc:
            return self._failed(backend, 504, "backend_timeout",
                                f"Layanan {backend} tidak menjawab tepat waktu.", exc)
        except httpx.HTTPError as exc:
            return self._failed(backend, 502, "backend_unavailable",
                                f"Layanan {backend} tidak dapat dihubungi. Coba lagi "
                                "beberapa saat lagi.", exc)
        self.metrics.labels(backend, str(answer.status_code)).inc()
        response = StreamingResponse(answer.aiter_raw(), status_code=answer.status_code,
                                     background=BackgroundTask(answer.aclose))
        # raw list: repeated headers (Set-Cookie) stay separate, the body stays as encoded
        response.raw_headers = [(k.lower().encode("latin-1"), v.encode("latin-1"))
                                for k, v in forwardable(answer.headers)]
        return response

    def _failed(self, backend: str, status: int, code: str, message: str,
                exc: Exception) -> JSONResponse:
        log.warning("proxy to %s failed: %r", backend, exc)
        self.metrics.labels(backend, str(status)).inc()
        return JSONResponse({"detail": message, "code": code, "backend": backend},
                            status_code=status)


def make_proxy(settings: Settings, registry: CollectorRegistry) -> Proxy:
    def new_client() -> httpx.AsyncClient:
        return httpx.AsyncClient(
            timeout=httpx.Timeout(settings.proxy_timeout_s, connect=5.0),
            follow_redirects=False, trust_env=False,
            limits=httpx.Limits(max_connections=200, max_keepalive_connections=50),
        )

    counter = Counter("ekinerja_gateway_proxy_requests_total",
                      "Requests forwarded to backends, by backend and status",
                      ["backend", "status"], registry=registry)
    return Proxy(new_client, counter)


def build_router(settings: Settings, proxy: Proxy) -> APIRouter:
    router = APIRouter(tags=["proxy"])
    backends = {
        "attendance": settings.attendance_url,
        "activity": settings.activity_url,
        "scoring": settings.scoring_url,
    }

    for name, base in backends.items():
        router.add_api_route(
            f"/api/{name}/{{path:path}}", _endpoint(proxy, name, base), methods=METHODS,
            include_in_schema=False,
        )
    # fingerprint devices may be pointed at the gateway
    router.add_api_route("/iclock/{path:path}", _endpoint(proxy, "attendance",
                                                          backends["attendance"]),
                         methods=METHODS, include_in_schema=False)
    return router


def _endpoint(proxy: Proxy, backend: str,
              base_url: str) -> Callable[[Request], Awaitable[Response]]:
    async def endpoint(request: Request) -> Response:
        return await proxy.forward(request, backend, base_url)

    endpoint.__name__ = f"proxy_{backend}"
    return endpoint

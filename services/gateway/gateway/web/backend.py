"""Backend-for-frontend: the pages read and change data only through the services' HTTP
APIs, with the signed-in person's own access token, so every decision stays where it is
made (each service verifies the token and decides). The attendance, activity and scoring
services are called over the proxy's connection pool; the gateway's own API (month check,
roster, sign-in) in-process through its ASGI app, middleware included. The pages' reads of
the gateway's own directory go straight to its service layer (``service_layer.page_reads``),
with the same decisions as the directory API."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx
from fastapi import FastAPI, Request

from ekinerja_shared.errors import DomainError
from ekinerja_shared.tokens import token_from

from ..runtime import GatewayRuntime

GATEWAY = "gateway"


class BackendRefused(DomainError):
    """A service refused the page's request: its status, ``code`` and ``detail`` (already
    in Bahasa Indonesia) and the whole answer (roster row errors)."""

    def __init__(self, status: int, body: Any) -> None:
        detail = body.get("detail") if isinstance(body, dict) else None
        code = body.get("code") if isinstance(body, dict) else None
        if not isinstance(detail, str):  # FastAPI's own validation errors: a list
            detail = "Isian tidak valid. Periksa kembali formulir."
        super().__init__(detail, code=code or "rejected", status_code=status)
        self.body = body


@dataclass
class Backend:
    """The services as the signed-in person sees them (one per request)."""

    client: httpx.AsyncClient
    local: httpx.AsyncClient
    urls: dict[str, str]
    token: str | None

    def _target(self, service: str, path: str) -> tuple[httpx.AsyncClient, str]:
        if service == GATEWAY:
            return self.local, path
        return self.client, self.urls[service].rstrip("/") + path

    async def call(self, service: str, method: str, path: str, *,
                   params: dict[str, Any] | None = None, json: Any = None,
                   content: bytes | None = None,
                   headers: dict[str, str] | None = None) -> httpx.Response:
        """The raw answer (the page decides what a refusal means)."""
        client, url = self._target(service, path)
        sent = dict(headers or {})
        if self.token:
            sent["Authorization"] = f"Bearer {self.token}"
        clean = {k: v for k, v in (params or {}).items() if v not in (None, "")}
        try:
            return await client.request(method, url, params=clean, json=json,
                                        content=content, headers=sent)
        except httpx.HTTPError as exc:
            raise DomainError(f"Layanan {service} tidak dapat dihubungi. Coba lagi beberapa "
                              "saat lagi.", code="backend_unavailable",
                              status_code=502) from exc

    async def json(self, service: str, method: str, path: str, **kw: Any) -> Any:
        """The answer's JSON; a 4xx/5xx raises ``BackendRefused``."""
        r = await self.call(service, method, path, **kw)
        try:
            body = r.json() if r.content else None
        except ValueError:
            body = {"detail": r.text[:200]}
        if r.status_code >= 400:
            raise BackendRefused(r.status_code, body)
        return body

    async def get(self, service: str, path: str, **params: Any) -> Any:
        return await self.json(service, "GET", path, params=params)

    async def get_or_none(self, service: str, path: str, **params: Any) -> Any:
        """None for a 404 of missing data (no score yet, ...)."""
        try:
            return await self.get(service, path, **params)
        except BackendRefused as exc:
            if exc.status_code == 404 and exc.code != "tenant_not_found":
                return None
            raise


def local_client(app: FastAPI) -> httpx.AsyncClient:
    """One in-process client of the gateway's own API per app (no sockets)."""
    client: httpx.AsyncClient | None = getattr(app.state, "web_local_client", None)
    if client is None:
        client = httpx.AsyncClient(transport=httpx.ASGITransport(app=app),
                                   base_url="http://gateway.internal", timeout=30)
        app.state.web_local_client = client
    return client


def backend_for(request: Request, rt: GatewayRuntime) -> Backend:
    s = rt.settings
    return Backend(
        client=rt.proxy.client, local=local_client(request.app),
        urls={"attendance": s.attendance_url, "activity": s.activity_url,
              "scoring": s.scoring_url},
        token=token_from(request.headers.get("authorization"), request.cookies),
    )

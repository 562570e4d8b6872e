"""Which address a service takes for the caller (the sign-in throttle per source address and
the audit trail use it): the connection's, or the last hop of ``X-Forwarded-For`` when, and
only when, the connection comes from a trusted proxy (``EK_HTTP_FORWARDED_ALLOW_IPS``). The
app is wrapped the way ``serve`` wraps it (``server_config``), and called from given peers."""

from __future__ import annotations

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse
from starlette.routing import Route

from ekinerja_shared.service import server_config
from ekinerja_shared.settings import ServiceSettings


async def whoami(request: Request) -> PlainTextResponse:
    return PlainTextResponse(request.client.host if request.client else "")


async def seen(allow: str | None, peer: str, forwarded: str | None) -> str:
    settings = ServiceSettings(**({"http_forwarded_allow_ips": allow} if allow else {}))
    config = server_config(Starlette(routes=[Route("/", whoami)]), settings)
    config.load()
    transport = httpx.ASGITransport(app=config.loaded_app, client=(peer, 40000))
    headers = {"x-forwarded-for": forwarded} if forwarded else {}
    async with httpx.AsyncClient(transport=transport, base_url="http://svc") as client:
        return (await client.get("/", headers=headers)).text


@pytest.mark.parametrize(("allow", "peer", "forwarded", "expected"), [
    # the default trusts the proxy on the same host (the gateway in front of a service)
    (None, "127.0.0.1", "203.0.113.7", "203.0.113.7"),
    # a client elsewhere cannot choose its address with the header
    (None, "198.51.100.9", "203.0.113.7", "198.51.100.9"),
    (None, "198.51.100.9", None, "198.51.100.9"),
    # a reverse proxy on another host, trusted by network: the hop it saw
    ("10.0.0.0/8", "10.1.2.3", "203.0.113.7", "203.0.113.7"),
    # a spoofed first entry before the proxy's own: the last untrusted hop counts
    ("10.0.0.0/8", "10.1.2.3", "192.0.2.1, 203.0.113.7", "203.0.113.7"),
    ("10.0.0.0/8", "127.0.0.1", "203.0.113.7", "127.0.0.1"),
])
async def test_the_client_address_comes_from_a_trusted_proxy_only(
        allow: str | None, peer: str, forwarded: str | None, expected: str) -> None:
    assert await seen(allow, peer, forwarded) == expected

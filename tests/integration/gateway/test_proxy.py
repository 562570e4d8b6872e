"""The reverse proxy: requests reach a real backend (uvicorn on a loopback port) unchanged,
and a backend that is down gives 502 with a reason."""

from __future__ import annotations

import asyncio
import hashlib
import json

import httpx
import pytest
from fastapi import FastAPI, Request, Response

from gateway.app import create_app
from tests.integration.gateway.conftest import serve_loopback
from tests.support.ports import free_port
from tests.support.apps import running_app

pytestmark = pytest.mark.integration


def echo_backend() -> FastAPI:
    app = FastAPI()

    @app.api_route("/{path:path}", methods=["GET", "POST", "PUT", "DELETE"])
    async def echo(path: str, request: Request) -> Response:
        body = await request.body()
        if request.query_params.get("fail"):
            return Response("rusak", status_code=503, media_type="text/plain")
        answer = Response(
            content=(
                f"{request.method} {request.url.path}?{request.url.query}\n"
                f"x-device={request.headers.get('x-device')}\n"
                f"x-forwarded-for={request.headers.get('x-forwarded-for')}\n"
                f"content-type={request.headers.get('content-type')}\n"
                f"size={len(body)} sha={hashlib.sha256(body).hexdigest()}\n"
                f"authorization={request.headers.get('authorization')}\n"
                f"cookie={request.headers.get('cookie')}\n"
            ),
            status_code=201 if request.method == "POST" else 200,
            media_type="text/plain",
            headers={"x-backend": "echo"},
        )
        answer.set_cookie("a", "1")
        answer.set_cookie("b", "2")
        return answer

    return app


async def test_requests_are_forwarded_unchanged(settings):
    async with serve_loopback(echo_backend()) as backend:
        proxied = settings.model_copy(update={"attendance_url": backend,
                                              "activity_url": backend + "/",
                                              "scoring_url": backend})
        async with running_app(create_app(proxied)) as client:
            payload = b"11\t2026-10-05 07:45:10\t0\t1\t0\t0\t0\t0\t0\t0\r\n" * 20000
            r = await client.post("/iclock/cdata", params={"SN": "CQZ7232", "table": "ATTLOG"},
                                  content=payload, headers={"x-device": "zk",
                                                            "content-type": "text/plain"})
            assert r.status_code == 201
            lines = r.text.splitlines()
            assert lines[0] == "POST /iclock/cdata?SN=CQZ7232&table=ATTLOG"
            assert lines[1] == "x-device=zk"
            assert lines[2].startswith("x-forwarded-for=")
            assert lines[3] == "content-type=text/plain"
            assert lines[4] == f"size={len(payload)} sha={hashlib.sha256(payload).hexdigest()}"
            assert r.headers["x-backend"] == "echo"
            assert [c.split(";")[0] for c in r.headers.get_list("set-cookie")] == ["a=1", "b=2"]

            r = await client.post("/api/activity/t1/entries/abc/approve",
                                  json={"approver_nip": "1"})
            assert r.text.startswith("POST /api/activity/t1/entries/abc/approve?")
            assert "content-type=application/json" in r.text

            for method in ("GET", "PUT", "DELETE"):
                r = await client.request(method, "/api/scoring/t1/scores", params={"p": "2026-10"})
                assert r.status_code == 200
                assert r.text.startswith(f"{method} /api/scoring/t1/scores?p=2026-10")

            r = await client.get("/api/attendance/t1/devices", params={"fail": "1"})
            assert r.status_code == 503 and r.text == "rusak"  # backend errors pass through


async def test_callers_credentials_reach_the_backend_unchanged(settings):
    """The backends decide: the Authorization header and the access cookie are forwarded
    as they came (the gateway does not check them on proxied routes); devices send none."""
    async with serve_loopback(echo_backend()) as backend:
        proxied = settings.model_copy(update={"attendance_url": backend,
                                              "activity_url": backend, "scoring_url": backend})
        async with running_app(create_app(proxied)) as client:
            r = await client.get("/api/scoring/t1/exports/tpp", params={"period": "2026-10"},
                                 headers={"Authorization": "Bearer eyJ.tidak-diperiksa.x"})
            assert "authorization=Bearer eyJ.tidak-diperiksa.x" in r.text.splitlines()
            client.cookies.clear()  # the echo's own cookies
            r = await client.get("/api/attendance/t1/employees/1/days",
                                 headers={"Cookie": "ek_access=akses-123; lain=x"})
            assert "cookie=ek_access=akses-123; lain=x" in r.text.splitlines()
            # a cookie-authenticated change needs the CSRF header, proxied or not
            client.cookies.clear()
            session = "ek_access=akses-123; ek_csrf=c1"
            r = await client.post("/api/activity/t1/entries", json={},
                                  headers={"Cookie": session})
            assert r.status_code == 403 and r.json()["code"] == "csrf_failed"
            r = await client.post("/api/activity/t1/entries", json={},
                                  headers={"Cookie": session, "X-CSRF-Token": "c1"})
            assert r.status_code == 201
            client.cookies.clear()
            r = await client.post("/iclock/cdata", params={"SN": "CQZ7232"}, content=b"1\t2")
            assert r.status_code == 201 and "authorization=None" in r.text


async def test_only_the_services_apis_are_reachable_through_the_proxy(settings):
    """A dot segment would take the request out of /api/<service>/ or /iclock/ at the
    backend (its /metrics, /docs, /openapi.json): refused before anything is sent. The
    literal ones are sent on a raw connection (an HTTP client would resolve them first)."""
    async with serve_loopback(echo_backend()) as backend:
        proxied = settings.model_copy(update={"attendance_url": backend,
                                              "activity_url": backend, "scoring_url": backend})
        async with serve_loopback(create_app(proxied)) as gateway:
            host, port = gateway.removeprefix("http://").split(":")
            for path in ("/iclock/../metrics", "/api/attendance/../../openapi.json",
                         "/api/activity/t1/./entries", "/iclock/%2e%2e/metrics",
                         "/api/scoring/%2E%2E/%2e%2e/docs"):
                reader, writer = await asyncio.open_connection(host, int(port))
                writer.write(f"GET {path} HTTP/1.1\r\nHost: gw\r\nConnection: close\r\n\r\n"
                             .encode())
                answer = await reader.read()
                writer.close()
                status, _, body = answer.decode().partition("\r\n\r\n")
                assert status.startswith("HTTP/1.1 404"), (path, answer[:200])
                assert json.loads(body)["code"] == "not_found", path
            async with httpx.AsyncClient(base_url=gateway) as client:
                r = await client.get("/api/activity/t1/a%2Fb")  # forwarded as sent
                assert r.text.startswith("GET /api/activity/t1/a/b?")


async def test_backend_down_gives_502_with_a_reason(settings):
    down = f"http://127.0.0.1:{free_port()}"
    proxied = settings.model_copy(update={"attendance_url": down, "activity_url": down,
                                          "http_expose_metrics": True})
    async with running_app(create_app(proxied)) as client:
        r = await client.get("/api/attendance/t1/devices")
        assert r.status_code == 502
        body = r.json()
        assert body["code"] == "backend_unavailable" and body["backend"] == "attendance"
        assert "tidak dapat dihubungi" in body["detail"]
        r = await client.post("/iclock/cdata", params={"SN": "X"}, content=b"1\t2\n")
        assert r.status_code == 502
        r = await client.post("/api/activity/t1/entries", json={"nip": "1"})
        assert r.status_code == 502 and r.json()["backend"] == "activity"
        metrics = (await client.get("/metrics")).text
        assert 'ekinerja_gateway_proxy_requests_total{backend="attendance",status="502"} 2.0' \
            in metrics

"""Body limits at the edge: 413 with a reason, before the body is read (Content-Length) or
as soon as a streamed body passes the limit; upload prefixes get the larger limit."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from fastapi import APIRouter, Request
from pydantic import BaseModel

from ekinerja_shared.runtime import Runtime
from ekinerja_shared.service import create_service_app
from ekinerja_shared.settings import ServiceSettings
from tests.support.plumbing_models import Inbox, Quarantine


class Item(BaseModel):
    text: str


router = APIRouter()


@router.post("/api/items")
async def post_item(item: Item) -> dict[str, int]:
    return {"length": len(item.text)}


@router.post("/upload/raw")
async def upload(request: Request) -> dict[str, int]:
    n = 0
    async for chunk in request.stream():
        n += len(chunk)
    return {"bytes": n}


@pytest.fixture
async def client(tmp_path: Path) -> AsyncIterator[httpx.AsyncClient]:
    settings = ServiceSettings(database_url=f"sqlite+aiosqlite:///{tmp_path / 'x.db'}",
                               http_max_body_bytes=1000, http_max_upload_bytes=5000)
    rt = Runtime.build(settings, inbox_model=Inbox, quarantine_model=Quarantine)
    app = create_service_app(rt, package="ekinerja_shared", title="t", description="t",
                             routers=[router], upload_prefixes=["/upload/"])
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app),
                                 base_url="http://test") as c:
        yield c
    await rt.engine.dispose()


async def test_small_bodies_pass(client: httpx.AsyncClient) -> None:
    r = await client.post("/api/items", json={"text": "x" * 100})
    assert r.status_code == 200 and r.json() == {"length": 100}


async def test_declared_large_body_is_refused_with_a_reason(client: httpx.AsyncClient) -> None:
    r = await client.post("/api/items", json={"text": "x" * 2000})
    assert r.status_code == 413
    assert r.json() == {"detail": "Data yang dikirim terlalu besar (maksimal 1.000 byte).",
                        "code": "payload_too_large"}


async def test_streamed_body_is_cut_off_at_the_limit(client: httpx.AsyncClient) -> None:
    async def chunks() -> AsyncIterator[bytes]:
        for _ in range(20):
            yield b"y" * 400

    r = await client.post("/api/items", content=chunks(),
                          headers={"content-type": "application/json"})
    assert r.status_code == 413 and r.json()["code"] == "payload_too_large"
    r = await client.post("/upload/raw", content=chunks())  # 8,000 > 5,000 upload limit
    assert r.status_code == 413 and r.json()["code"] == "payload_too_large"


async def test_upload_prefix_has_the_larger_limit(client: httpx.AsyncClient) -> None:
    r = await client.post("/upload/raw", content=b"z" * 4000)
    assert r.status_code == 200 and r.json() == {"bytes": 4000}
    r = await client.post("/upload/raw", content=b"z" * 6000)
    assert r.status_code == 413


async def test_unknown_route_answers_with_a_code(client: httpx.AsyncClient) -> None:
    r = await client.get("/nowhere")
    assert r.status_code == 404 and r.json()["code"] == "not_found"

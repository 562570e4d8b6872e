"""Every service documents its HTTP API (OpenAPI) and its events (AsyncAPI); the documents
are built from the code, so they stay current."""

import importlib

import pytest
from fastapi.testclient import TestClient

from ekinerja_shared.topics import ALL_TOPICS


@pytest.mark.parametrize("service", ["gateway", "attendance", "activity", "scoring"])
def test_openapi_and_asyncapi_documents(service, tmp_path, monkeypatch):
    monkeypatch.setenv("EK_DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path}/{service}.db")
    monkeypatch.setenv("EK_HTTP_EXPOSE_DOCS", "true")  # the gateway's are internal by default
    app = importlib.import_module(f"{service}.app").create_app()
    client = TestClient(app)  # no lifespan: nothing is started
    openapi = client.get("/openapi.json")
    assert openapi.status_code == 200
    assert "/health" in openapi.json()["paths"]
    asyncapi = client.get("/asyncapi.json")
    assert asyncapi.status_code == 200, asyncapi.text
    doc = asyncapi.json()
    assert doc["asyncapi"].startswith("3.")
    addresses = {c.get("address") for c in doc["channels"].values()}
    assert addresses & {t.name for t in ALL_TOPICS}, addresses
    assert client.get("/asyncapi").status_code == 200


@pytest.mark.parametrize("service", ["gateway", "attendance", "activity", "scoring"])
def test_operational_pages_are_internal_by_default_the_same_way(service, tmp_path,
                                                                monkeypatch):
    """The documentation is a 404 unless EK_HTTP_EXPOSE_DOCS; /metrics is a 404 at the
    gateway (the public edge) unless EK_HTTP_EXPOSE_METRICS, and served by the services
    behind it (their port is not published; Prometheus scrapes it)."""
    monkeypatch.setenv("EK_DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path}/{service}.db")
    monkeypatch.delenv("EK_HTTP_EXPOSE_DOCS", raising=False)
    monkeypatch.delenv("EK_HTTP_EXPOSE_METRICS", raising=False)
    create_app = importlib.import_module(f"{service}.app").create_app
    client = TestClient(create_app())
    for page in ("/docs", "/redoc", "/openapi.json", "/asyncapi", "/asyncapi.json/"):
        r = client.get(page)
        assert r.status_code == 404 and r.json()["code"] == "not_found", page
    assert client.get("/metrics").status_code == (404 if service == "gateway" else 200)
    monkeypatch.setenv("EK_HTTP_EXPOSE_METRICS", "false")
    assert TestClient(create_app()).get("/metrics").status_code == 404
    monkeypatch.setenv("EK_HTTP_EXPOSE_DOCS", "true")
    monkeypatch.setenv("EK_HTTP_EXPOSE_METRICS", "true")
    exposed = TestClient(create_app())
    assert exposed.get("/docs").status_code == 200
    assert exposed.get("/metrics").status_code == 200

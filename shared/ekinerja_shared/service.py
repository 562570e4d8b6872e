"""Composition of a service process: one FastAPI app (HTTP API, /health, /metrics,
/asyncapi) whose lifespan applies migrations, starts the FastStream Kafka broker (its
subscribers) and the outbox relay, and stops them in reverse order.

The operational pages are internal: the documentation (``/docs``, ``/redoc``,
``/openapi.json``, ``/asyncapi``, ``/asyncapi.json``) answers 404 unless
``EK_HTTP_EXPOSE_DOCS``, and ``/metrics`` unless ``EK_HTTP_EXPOSE_METRICS`` (on by default
for the services behind the gateway, whose port is never published and which Prometheus
scrapes; off at the gateway, the public edge). ``/health`` always answers."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from typing import Any

from fastapi import APIRouter, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, Response
from faststream.kafka import KafkaBroker
from faststream.specification import AsyncAPI, get_asyncapi_html
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Receive, Scope, Send

from .collector import tune_gc
from .errors import DomainError
from .jobs import JobRunner, PeriodicJob
from .limits import BodyLimitMiddleware
from .migrations import upgrade_async
from .quarantine import quarantine_router
from .runtime import Runtime
from .settings import ServiceSettings

log = logging.getLogger(__name__)

_HTTP_CODES = {404: "not_found", 405: "method_not_allowed", 413: "payload_too_large"}
# PostgreSQL's data exceptions (SQLSTATE class 22: a NUL character, a number or a text
# beyond its column, an impossible date) come from the values a request carried
_DATA_EXCEPTION_CLASS = "22"
UNSTORABLE_VALUE = ("Data yang dikirim memuat nilai yang tidak dapat disimpan (karakter NUL, "
                    "angka atau teks di luar batas).")

DOC_PAGES = frozenset({"/docs", "/docs/oauth2-redirect", "/redoc", "/openapi.json",
                       "/asyncapi", "/asyncapi.json"})
METRICS_PAGES = frozenset({"/metrics"})

__all__ = ["create_service_app", "serve"]


class HiddenPages:
    """Answers 404 for ``paths`` before routing (pure ASGI middleware)."""

    def __init__(self, app: ASGIApp, paths: frozenset[str]) -> None:
        self.app = app
        self.paths = paths

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"].rstrip("/") in self.paths:
            response = JSONResponse({"detail": "Halaman tidak ditemukan.", "code": "not_found"},
                                    status_code=404)
            await response(scope, receive, send)
            return
        await self.app(scope, receive, send)


def hidden_pages(settings: ServiceSettings) -> frozenset[str]:
    """The operational pages this service does not expose."""
    return (frozenset() if settings.http_expose_docs else DOC_PAGES) | (
        frozenset() if settings.http_expose_metrics else METRICS_PAGES)


async def _start_broker(broker: KafkaBroker, attempts: int = 30) -> None:
    for attempt in range(1, attempts + 1):
        try:
            await broker.start()
            return
        except Exception as exc:  # Kafka not reachable yet
            if attempt == attempts:
                raise
            log.warning("kafka not ready (attempt %d/%d): %s", attempt, attempts, exc)
            with contextlib.suppress(Exception):
                await broker.stop()
            await asyncio.sleep(2)


# how long each step of the shutdown gets (an orchestrator's grace period is 30 s): a job or
# the outbox relay cut short loses nothing (an unsent outbox row stays in the database for
# the next start); the broker gets the rest, for its consumers leave their groups cleanly
SHUTDOWN_STEP_S = 5.0
SHUTDOWN_BROKER_S = 15.0


async def _step(name: str, work: Awaitable[Any], timeout_s: float) -> None:
    """One step of the shutdown, bounded; a slow or failing step is logged, never raised."""
    try:
        await asyncio.wait_for(work, timeout_s)
    except TimeoutError:
        log.warning("shutdown: %s did not stop within %g s; cut short", name, timeout_s)
    except Exception:  # noqa: BLE001 - the next steps still run
        log.warning("shutdown: %s failed", name, exc_info=True)


def create_service_app(
    runtime: Runtime[Any],
    *,
    package: str,
    title: str,
    description: str,
    routers: Sequence[APIRouter] = (),
    jobs: Sequence[PeriodicJob] = (),
    on_shutdown: Sequence[Callable[[], Awaitable[None]]] = (),
    upload_prefixes: Sequence[str] = (),
    api_prefix: str | None = None,
) -> FastAPI:
    """The service's FastAPI app. Its lifespan applies migrations, starts the broker (the
    subscribers), the outbox relay and the periodic ``jobs``; at shutdown it stops them in
    reverse order and runs the ``on_shutdown`` hooks before the engine is disposed.

    Request bodies are limited to ``EK_HTTP_MAX_BODY_BYTES``; paths under
    ``upload_prefixes`` (roster uploads, device pushes) to ``EK_HTTP_MAX_UPLOAD_BYTES``.
    The shared quarantine API (``ekinerja_shared.quarantine``) is mounted under
    ``api_prefix`` (default ``/api/<service>/{tenant_id}``)."""
    settings = runtime.settings

    @contextlib.asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        if settings.migrate_on_start:
            await upgrade_async(package, settings.migration_url)
        await _start_broker(runtime.broker)
        if runtime.relay and settings.outbox_relay_in_process:
            runtime.relay.start()
        runner = JobRunner(list(jobs))
        runner.start()
        log.info("%s started on port %s", settings.service_name, settings.http_port)
        try:
            yield
        finally:
            await _step("jobs", runner.stop(), SHUTDOWN_STEP_S)
            for hook in on_shutdown:
                await _step("shutdown hook", hook(), SHUTDOWN_STEP_S)
            if runtime.relay:
                await _step("outbox relay", runtime.relay.stop(), SHUTDOWN_STEP_S)
            await _step("kafka broker", runtime.broker.stop(), SHUTDOWN_BROKER_S)
            await runtime.engine.dispose()

    app = FastAPI(title=title, description=description, version="0.1.0", lifespan=lifespan)
    app.state.runtime = runtime
    app.add_middleware(
        BodyLimitMiddleware, default_limit=settings.http_max_body_bytes,
        prefix_limits=[(prefix, settings.http_max_upload_bytes) for prefix in upload_prefixes])
    if hidden := hidden_pages(settings):
        app.add_middleware(HiddenPages, paths=hidden)

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(_req: Request, exc: StarletteHTTPException) -> JSONResponse:
        code = _HTTP_CODES.get(exc.status_code, f"http_{exc.status_code}")
        return JSONResponse({"detail": exc.detail, "code": code}, status_code=exc.status_code,
                            headers=exc.headers)

    @app.exception_handler(DomainError)
    async def _domain_error(_req: Request, exc: DomainError) -> JSONResponse:
        return JSONResponse({"detail": exc.message, "code": exc.code}, status_code=exc.status_code)

    @app.exception_handler(DBAPIError)
    async def _data_error(_req: Request, exc: DBAPIError) -> JSONResponse:
        state = getattr(exc.orig, "sqlstate", None) or getattr(exc.orig, "pgcode", None)
        if not str(state or "").startswith(_DATA_EXCEPTION_CLASS):
            raise exc
        return JSONResponse({"detail": UNSTORABLE_VALUE, "code": "unstorable_value"},
                            status_code=422)

    @app.exception_handler(RequestValidationError)
    async def _validation_error(_req: Request, exc: RequestValidationError) -> JSONResponse:
        return JSONResponse(
            {
                "detail": "Data permintaan tidak valid.",
                "code": "invalid_request",
                "errors": [
                    {"loc": list(e.get("loc", ())), "msg": e.get("msg"), "type": e.get("type")}
                    for e in exc.errors()
                ],
            },
            status_code=422,
        )

    ops = APIRouter(tags=["operations"])

    @ops.get("/health", summary="Database and Kafka reachability")
    async def health() -> JSONResponse:
        checks: dict[str, str] = {}
        try:
            async with runtime.engine.connect() as conn:
                await asyncio.wait_for(conn.execute(text("SELECT 1")), timeout=3)
            checks["database"] = "ok"
        except Exception as exc:  # noqa: BLE001
            checks["database"] = f"error: {exc.__class__.__name__}"
        try:
            checks["kafka"] = "ok" if await runtime.broker.ping(timeout=3) else "error: no answer"
        except Exception as exc:  # noqa: BLE001
            checks["kafka"] = f"error: {exc.__class__.__name__}"
        ok = all(v == "ok" for v in checks.values())
        return JSONResponse(
            {"service": settings.service_name, "status": "ok" if ok else "degraded", **checks},
            status_code=200 if ok else 503,
        )

    @ops.get("/metrics", summary="Prometheus metrics")
    async def metrics() -> Response:
        return Response(generate_latest(runtime.metrics.registry), media_type=CONTENT_TYPE_LATEST)

    def _spec() -> Any:
        return AsyncAPI(runtime.broker, title=f"{title} events", version="0.1.0",
                        schema_version="3.0.0")

    @ops.get("/asyncapi.json", summary="AsyncAPI document of the events this service uses")
    async def asyncapi_json() -> JSONResponse:
        return JSONResponse(_spec().to_specification().to_jsonable())

    @ops.get("/asyncapi", summary="AsyncAPI documentation page", response_class=HTMLResponse)
    async def asyncapi_html() -> HTMLResponse:
        return HTMLResponse(get_asyncapi_html(_spec().to_specification()))

    app.include_router(ops)
    for router in routers:
        app.include_router(router)
    app.include_router(quarantine_router(
        api_prefix or f"/api/{settings.service_name}/{{tenant_id}}"))
    return app


async def relay_alone(runtime: Runtime[Any], stop: asyncio.Event) -> None:
    """``python -m <service> relay``: the service's outbox relay in a process of its own
    (no HTTP, no consumers) until ``stop`` is set; with ``EK_OUTBOX_RELAY_IN_PROCESS=false``
    on the HTTP instances, HTTP work cannot starve it. It is not woken by the commits of
    another process: it polls every ``EK_OUTBOX_POLL_INTERVAL_S``."""
    relay = runtime.relay
    if relay is None:
        raise SystemExit(f"{runtime.settings.service_name} has no outbox")
    relay.start()
    try:
        await stop.wait()
    finally:
        await relay.stop()
        await runtime.engine.dispose()


def serve_relay(app: FastAPI) -> None:
    async def main() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        await relay_alone(app.state.runtime, stop)

    asyncio.run(main())


def server_config(app: Any, settings: ServiceSettings) -> Any:
    """uvicorn's configuration of a service: the client address of a request is the
    connection's, or the last hop of ``X-Forwarded-For`` only when the connection comes
    from a trusted proxy (``http_forwarded_allow_ips``): anyone else sending the header
    cannot choose the address the sign-in throttle and the audit trail see."""
    import uvicorn

    return uvicorn.Config(app, host=settings.http_host, port=settings.http_port,
                          log_level=settings.log_level.lower(), access_log=False,
                          proxy_headers=True,
                          forwarded_allow_ips=settings.http_forwarded_allow_ips)


def serve(app: FastAPI, settings: ServiceSettings) -> None:
    import uvicorn

    tune_gc(settings.gc_young_threshold)
    uvicorn.Server(server_config(app, settings)).run()

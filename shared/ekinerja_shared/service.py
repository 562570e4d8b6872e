"""Composition of a service process: one FastAPI app (HTTP API, /health, /metrics,
/asyncapi) whose lifespan applies migrations, starts the FastStream Kafka broker (its
subscribers) and the outbox relay, and stops them in reverse order."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from fastapi import APIRouter, Depends, FastAPI, Header, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, Response
from faststream.kafka import KafkaBroker
from faststream.specification import AsyncAPI, get_asyncapi_html
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from .consumer import EventConsumer
from .errors import Conflict, DomainError, Forbidden, NotFound
from .db import make_engine, make_sessionmaker
from .kafka import make_broker
from .metrics import CommonMetrics
from .migrations import upgrade_async
from .outbox import OutboxRelay
from .settings import ServiceSettings

log = logging.getLogger(__name__)

__all__ = ["Conflict", "DomainError", "Forbidden", "NotFound", "Runtime", "build_runtime",
           "create_service_app", "serve"]


@dataclass
class Runtime:
    settings: ServiceSettings
    engine: AsyncEngine
    sessionmaker: async_sessionmaker[AsyncSession]
    metrics: CommonMetrics
    broker: KafkaBroker
    inbox_model: type[Any]
    quarantine_model: type[Any]
    outbox_model: type[Any] | None = None
    relay: OutboxRelay | None = None
    extras: dict[str, Any] = field(default_factory=dict)

    def consumer(self, name: str) -> EventConsumer:
        return EventConsumer(
            name, self.sessionmaker, self.inbox_model, self.quarantine_model, self.metrics,
            max_attempts=self.settings.consumer_max_attempts,
        )


def build_runtime(
    settings: ServiceSettings,
    *,
    inbox_model: type[Any],
    quarantine_model: type[Any],
    outbox_model: type[Any] | None = None,
) -> Runtime:
    metrics = CommonMetrics()
    engine = make_engine(settings.database_url)
    sessionmaker = make_sessionmaker(engine)
    broker = make_broker(settings, metrics)
    relay = (
        OutboxRelay(
            sessionmaker, outbox_model, broker, metrics,
            batch_size=settings.outbox_batch_size,
            poll_interval_s=settings.outbox_poll_interval_s,
        )
        if outbox_model is not None
        else None
    )
    return Runtime(settings, engine, sessionmaker, metrics, broker, inbox_model,
                   quarantine_model, outbox_model, relay)


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


def admin_guard(settings: ServiceSettings) -> Callable[..., Awaitable[None]]:
    """Dependency: when ``EK_ADMIN_TOKEN`` is set, admin endpoints need
    ``Authorization: Bearer <token>``."""

    async def guard(authorization: str | None = Header(default=None)) -> None:
        if settings.admin_token and authorization != f"Bearer {settings.admin_token}":
            raise Forbidden("Akses admin ditolak: token tidak valid.", code="admin_required")

    return guard


def create_service_app(
    runtime: Runtime,
    *,
    package: str,
    title: str,
    description: str,
    routers: Sequence[APIRouter] = (),
    background: Sequence[Callable[[], Awaitable[None]]] = (),
) -> FastAPI:
    settings = runtime.settings

    @contextlib.asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        if settings.migrate_on_start:
            await upgrade_async(package, settings.database_url)
        await _start_broker(runtime.broker)
        if runtime.relay:
            runtime.relay.start()
        tasks = [asyncio.create_task(job(), name=getattr(job, "__name__", "job"))
                 for job in background]
        log.info("%s started on port %s", settings.service_name, settings.http_port)
        try:
            yield
        finally:
            for task in tasks:
                task.cancel()
            for task in tasks:
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await task
            if runtime.relay:
                await runtime.relay.stop()
            await runtime.broker.stop()
            await runtime.engine.dispose()

    app = FastAPI(title=title, description=description, version="0.1.0", lifespan=lifespan)
    app.state.runtime = runtime

    @app.exception_handler(DomainError)
    async def _domain_error(_req: Request, exc: DomainError) -> JSONResponse:
        return JSONResponse({"detail": exc.message, "code": exc.code}, status_code=exc.status_code)

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
    return app


def serve(app: FastAPI, settings: ServiceSettings) -> None:
    import uvicorn

    uvicorn.run(app, host=settings.http_host, port=settings.http_port,
                log_level=settings.log_level.lower(), access_log=False)


def runtime_of(request: Request) -> Runtime:
    return request.app.state.runtime


RuntimeDep = Depends(runtime_of)

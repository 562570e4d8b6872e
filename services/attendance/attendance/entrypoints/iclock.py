"""The ZKTeco ADMS push protocol (``/iclock/...``) as devices speak it: plain-text replies,
``OK:<n>`` once an upload is stored (its bad lines set aside in quarantine). An unknown
serial is refused (403) and logged before the body is read; a body over
``EK_ICLOCK_MAX_BODY_BYTES`` is refused with 413."""

from __future__ import annotations

import datetime as dt
import logging

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse, PlainTextResponse, Response
from sqlalchemy.ext.asyncio import AsyncSession

from ekinerja_shared.service import Runtime, RuntimeDep
from ekinerja_shared.timeutil import utcnow, zone

from ..domain.attlog import (
    ResendPolicy,
    handshake_reply,
    parse_stamp,
    split_lines,
    table_label,
    upload_reply,
)
from ..metrics import AttendanceMetrics
from ..service_layer import services
from .common import punch_window

log = logging.getLogger(__name__)

router = APIRouter(prefix="/iclock", tags=["device protocol (ZKTeco ADMS)"])

# query values are checked by the handlers (an odd serial is refused, an odd stamp ignored)
Serial = Query(default="", alias="SN")


def _metrics(rt: Runtime) -> AttendanceMetrics:
    return rt.extras["metrics"]  # type: ignore[no-any-return]


def _default_tz(rt: Runtime) -> str:
    return rt.settings.default_timezone  # type: ignore[attr-defined,no-any-return]


def _refuse(rt: Runtime, request: Request, endpoint: str, serial: str) -> PlainTextResponse:
    _metrics(rt).unknown_device_requests.labels(endpoint).inc()
    client = request.client.host if request.client else "?"
    log.warning("refused %s from unregistered device SN=%r (client %s)", endpoint, serial, client)
    # the body (if any) is left unread: the connection is not reused
    return PlainTextResponse("ERROR: device not registered\n", status_code=403,
                             headers={"Connection": "close"})


def _limits(rt: Runtime) -> tuple[int, int]:
    """(body bytes, lines) an upload may have."""
    st = rt.settings
    return st.iclock_max_body_bytes, st.iclock_max_lines  # type: ignore[attr-defined]


def _resend(rt: Runtime) -> ResendPolicy:
    st = rt.settings
    return ResendPolicy(dt.timedelta(seconds=st.command_result_timeout_s),  # type: ignore[attr-defined]
                        st.command_max_resends)  # type: ignore[attr-defined]


async def _registered(rt: Runtime, sn: str) -> bool:
    """Whether the serial is registered (its last-seen time refreshed), asked before the
    body is read."""
    async with rt.sessionmaker() as session, session.begin():
        return await services.known_device(session, sn) is not None


async def _body(request: Request, limit: int) -> str | None:
    """The body as text (undecodable bytes replaced), or None when it is over ``limit``
    bytes: refused by its Content-Length, or as soon as the stream passes the limit."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        return None
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            return None
        chunks.append(chunk)
    return b"".join(chunks).decode("utf-8", errors="replace")


def _too_large(sn: str, limit: int) -> Response:
    log.warning("device %s sent a body over %d bytes: refused", sn, limit)
    return JSONResponse({"detail": f"Isi kiriman melebihi batas {limit} byte.",
                         "code": "body_too_large"}, status_code=413,
                        headers={"Connection": "close"})


@router.get("/cdata", response_class=PlainTextResponse,
            summary="Handshake: the device asks for its options")
async def handshake(request: Request, sn: str = Serial,
                    pushver: str | None = Query(default=None),
                    rt: Runtime = RuntimeDep) -> PlainTextResponse:
    async with rt.sessionmaker() as session, session.begin():
        device = await services.known_device(session, sn)
        if device is None:
            return _refuse(rt, request, "handshake", sn)
        tz_name = await services.device_zone(session, device, _default_tz(rt))
        offset = utcnow().astimezone(zone(tz_name)).utcoffset()
        reply = handshake_reply(
            device.serial_number, attlog_stamp=device.attlog_stamp,
            operlog_stamp=device.operlog_stamp,
            tz_offset_hours=(offset.total_seconds() / 3600) if offset else 0, pushver=pushver,
        )
    return PlainTextResponse(reply)


@router.post("/cdata", response_class=PlainTextResponse,
             summary="Upload: ATTLOG punches (and other tables)")
async def upload(request: Request, sn: str = Serial,
                 table: str = Query(default=""),
                 stamp: str | None = Query(default=None, alias="Stamp"),
                 op_stamp: str | None = Query(default=None, alias="OpStamp"),
                 rt: Runtime = RuntimeDep) -> Response:
    kind = table_label(table)
    if not await _registered(rt, sn):
        return _refuse(rt, request, f"cdata:{kind}", sn)
    max_bytes, max_lines = _limits(rt)
    body = await _body(request, max_bytes)
    if body is None:
        return _too_large(sn, max_bytes)
    metrics = _metrics(rt)

    async def work(session: AsyncSession) -> services.IngestResult | None:
        device = await services.known_device(session, sn)
        if device is None:
            return None
        if kind == "ATTLOG":
            return await services.ingest_attlog(session, device, body, stamp=parse_stamp(stamp),
                                                default_tz=_default_tz(rt), window=punch_window(rt),
                                                max_lines=max_lines)
        if kind == "OPERLOG":
            # older firmware names the operation log's stamp OpStamp
            return await services.ingest_operlog(
                session, device, body, stamp=parse_stamp(op_stamp if op_stamp is not None
                                                         else stamp), max_lines=max_lines)
        log.info("device %s uploaded table %r (%d bytes): not used", sn, table[:32], len(body))
        return services.IngestResult(ignored=sum(1 for _ in split_lines(body)))

    result = await services.run_in_transaction(rt.sessionmaker, work)
    if result is None:
        return _refuse(rt, request, f"cdata:{kind}", sn)
    if kind == "OPERLOG" and result.quarantined:
        n = sum(result.quarantined.values())
        rt.metrics.quarantined.labels(services.OPERLOG_SOURCE).inc(n)
        log.warning("device %s: %d OPERLOG line(s) quarantined", sn, n)
    if kind == "ATTLOG":
        metrics.attlog_lines.labels("recorded").inc(result.recorded)
        metrics.attlog_lines.labels("duplicate").inc(result.duplicates)
        quarantined = sum(result.quarantined.values())
        metrics.attlog_lines.labels("quarantined").inc(quarantined)
        for code, n in result.quarantined.items():
            metrics.attlog_quarantined.labels(code).inc(n)
            rt.metrics.quarantined.labels(services.ATTLOG_SOURCE).inc(n)
        if quarantined:
            log.warning("device %s: %d ATTLOG line(s) quarantined: %s", sn, quarantined,
                        dict(result.quarantined))
    return PlainTextResponse(upload_reply(result.accepted))


@router.get("/getrequest", response_class=PlainTextResponse,
            summary="Command polling: queued commands as C:<id>:<command> lines, else OK")
async def getrequest(request: Request, sn: str = Serial,
                     rt: Runtime = RuntimeDep) -> PlainTextResponse:
    async with rt.sessionmaker() as session, session.begin():
        device = await services.known_device(session, sn)
        if device is None:
            return _refuse(rt, request, "getrequest", sn)
        commands = await services.next_commands(session, device, policy=_resend(rt))
    return PlainTextResponse("\n".join(commands) + "\n" if commands else "OK")


@router.post("/devicecmd", response_class=PlainTextResponse,
             summary="Command results: ID=<id>&Return=<code>&CMD=<cmd> lines")
async def devicecmd(request: Request, sn: str = Serial,
                    rt: Runtime = RuntimeDep) -> Response:
    if not await _registered(rt, sn):
        return _refuse(rt, request, "devicecmd", sn)
    max_bytes, _ = _limits(rt)
    body = await _body(request, max_bytes)
    if body is None:
        return _too_large(sn, max_bytes)
    async with rt.sessionmaker() as session, session.begin():
        device = await services.known_device(session, sn)
        if device is None:
            return _refuse(rt, request, "devicecmd", sn)
        _, bad = await services.record_command_results(session, device, body,
                                                       max_lines=_limits(rt)[1])
    if bad:
        rt.metrics.quarantined.labels(services.DEVICECMD_SOURCE).inc(bad)
        log.warning("device %s: %d command result line(s) quarantined", sn, bad)
    return PlainTextResponse("OK")


# Older firmware asks for the same resources with an ``.aspx`` suffix.
for _route in list(router.routes):
    _path = getattr(_route, "path", "")
    if _path.startswith("/iclock/") and not _path.endswith(".aspx"):
        router.add_api_route(f"{_path.removeprefix(router.prefix)}.aspx", _route.endpoint,  # type: ignore[attr-defined]
                             methods=list(_route.methods),  # type: ignore[attr-defined]
                             response_class=PlainTextResponse, include_in_schema=False)

"""The ZKTeco ADMS push protocol (``/iclock/...``) as devices speak it: plain-text replies,
``OK`` once an upload is stored. An unknown serial is refused (403) and logged."""

from __future__ import annotations

import logging

from fastapi import APIRouter, Query, Request
from fastapi.responses import PlainTextResponse
from sqlalchemy.ext.asyncio import AsyncSession

from ekinerja_shared.service import Runtime, RuntimeDep
from ekinerja_shared.timeutil import utcnow, zone

from ..domain.attlog import handshake_reply, parse_stamp
from ..metrics import AttendanceMetrics
from ..service_layer import services

log = logging.getLogger(__name__)

router = APIRouter(prefix="/iclock", tags=["device protocol (ZKTeco ADMS)"])

Serial = Query(default="", alias="SN", max_length=64)


def _metrics(rt: Runtime) -> AttendanceMetrics:
    return rt.extras["metrics"]  # type: ignore[no-any-return]


def _default_tz(rt: Runtime) -> str:
    return rt.settings.default_timezone  # type: ignore[attr-defined,no-any-return]


def _refuse(rt: Runtime, request: Request, endpoint: str, serial: str) -> PlainTextResponse:
    _metrics(rt).unknown_device_requests.labels(endpoint).inc()
    client = request.client.host if request.client else "?"
    log.warning("refused %s from unregistered device SN=%r (client %s)", endpoint, serial, client)
    return PlainTextResponse("ERROR: device not registered\n", status_code=403)


async def _body(request: Request) -> str:
    return (await request.body()).decode("utf-8", errors="replace")


@router.get("/cdata", response_class=PlainTextResponse,
            summary="Handshake: the device asks for its options")
async def handshake(request: Request, sn: str = Serial, rt: Runtime = RuntimeDep) -> PlainTextResponse:
    async with rt.sessionmaker() as session, session.begin():
        device = await services.known_device(session, sn)
        if device is None:
            return _refuse(rt, request, "handshake", sn)
        tz_name = await services.device_zone(session, device, _default_tz(rt))
        offset = utcnow().astimezone(zone(tz_name)).utcoffset()
        reply = handshake_reply(
            device.serial_number, attlog_stamp=device.attlog_stamp,
            operlog_stamp=device.operlog_stamp,
            tz_offset_hours=(offset.total_seconds() / 3600) if offset else 0,
        )
    return PlainTextResponse(reply)


@router.post("/cdata", response_class=PlainTextResponse,
             summary="Upload: ATTLOG punches (and other tables)")
async def upload(request: Request, sn: str = Serial,
                 table: str = Query(default="", max_length=32),
                 stamp: str | None = Query(default=None, alias="Stamp", max_length=32),
                 rt: Runtime = RuntimeDep) -> PlainTextResponse:
    body = await _body(request)
    kind = table.upper()
    metrics = _metrics(rt)

    async def work(session: AsyncSession) -> services.IngestResult | None:
        device = await services.known_device(session, sn)
        if device is None:
            return None
        if kind == "ATTLOG":
            return await services.ingest_attlog(session, device, body, stamp=parse_stamp(stamp),
                                                default_tz=_default_tz(rt))
        if kind == "OPERLOG":
            return await services.ingest_operlog(session, device, body, stamp=parse_stamp(stamp))
        log.info("device %s uploaded table %r (%d bytes): not used", sn, table, len(body))
        return services.IngestResult()

    result = await services.run_in_transaction(rt.sessionmaker, work)
    if result is None:
        return _refuse(rt, request, f"cdata:{kind or '?'}", sn)
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
    return PlainTextResponse("OK")


@router.get("/getrequest", response_class=PlainTextResponse,
            summary="Command polling: queued commands as C:<id>:<command> lines, else OK")
async def getrequest(request: Request, sn: str = Serial,
                     rt: Runtime = RuntimeDep) -> PlainTextResponse:
    async with rt.sessionmaker() as session, session.begin():
        device = await services.known_device(session, sn)
        if device is None:
            return _refuse(rt, request, "getrequest", sn)
        commands = await services.next_commands(session, device)
    return PlainTextResponse("\n".join(commands) + "\n" if commands else "OK")


@router.post("/devicecmd", response_class=PlainTextResponse,
             summary="Command results: ID=<id>&Return=<code>&CMD=<cmd> lines")
async def devicecmd(request: Request, sn: str = Serial,
                    rt: Runtime = RuntimeDep) -> PlainTextResponse:
    body = await _body(request)
    async with rt.sessionmaker() as session, session.begin():
        device = await services.known_device(session, sn)
        if device is None:
            return _refuse(rt, request, "devicecmd", sn)
        _, bad = await services.record_command_results(session, device, body)
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

"""The ZKTeco ADMS push protocol (``/iclock/...``) as devices speak it: plain-text replies,
``OK`` once an upload is stored. An unknown serial is refused (403) and logged."""

from __future__ import annotations

import logging

from fastapi import APIRouter, Query, Request
from fastapi.responses import PlainTextResponse
from fastapi.routing import APIRoute

from ekinerja_shared.http import UowDep

from ..domain.attlog import parse_stamp
from ..runtime import AttendanceRuntime
from ..service_layer import adms, ingest
from .deps import RuntimeDep

log = logging.getLogger(__name__)

router = APIRouter(prefix="/iclock", tags=["device protocol (ZKTeco ADMS)"])

Serial = Query(default="", alias="SN", max_length=64)


def _refuse(rt: AttendanceRuntime, request: Request, endpoint: str,
            serial: str) -> PlainTextResponse:
    rt.attendance_metrics.unknown_device_requests.labels(endpoint).inc()
    client = request.client.host if request.client else "?"
    log.warning("refused %s from unregistered device SN=%r (client %s)", endpoint, serial, client)
    return PlainTextResponse("ERROR: device not registered\n", status_code=403)


async def _body(request: Request) -> str:
    return (await request.body()).decode("utf-8", errors="replace")


@router.get("/cdata", response_class=PlainTextResponse,
            summary="Handshake: the device asks for its options")
async def handshake(request: Request, uow: UowDep, rt: RuntimeDep,
                    sn: str = Serial) -> PlainTextResponse:
    reply = await uow.run(adms.handshake, sn, default_tz=rt.settings.default_timezone)
    if reply is None:
        return _refuse(rt, request, "handshake", sn)
    return PlainTextResponse(reply)


@router.post("/cdata", response_class=PlainTextResponse,
             summary="Upload: ATTLOG punches (and other tables)")
async def upload(request: Request, uow: UowDep, rt: RuntimeDep, sn: str = Serial,
                 table: str = Query(default="", max_length=32),
                 stamp: str | None = Query(default=None, alias="Stamp", max_length=32),
                 ) -> PlainTextResponse:
    body = await _body(request)
    kind = table.upper()
    metrics = rt.attendance_metrics
    result = await uow.run(adms.upload, sn, table, body, stamp=parse_stamp(stamp),
                           default_tz=rt.settings.default_timezone)
    if result is None:
        return _refuse(rt, request, f"cdata:{kind or '?'}", sn)
    if kind == "OPERLOG" and result.quarantined:
        n = sum(result.quarantined.values())
        rt.metrics.quarantined.labels(ingest.OPERLOG_SOURCE).inc(n)
        log.warning("device %s: %d OPERLOG line(s) quarantined", sn, n)
    if kind == "ATTLOG":
        metrics.attlog_lines.labels("recorded").inc(result.recorded)
        metrics.attlog_lines.labels("duplicate").inc(result.duplicates)
        quarantined = sum(result.quarantined.values())
        metrics.attlog_lines.labels("quarantined").inc(quarantined)
        for code, n in result.quarantined.items():
            metrics.attlog_quarantined.labels(code).inc(n)
            rt.metrics.quarantined.labels(ingest.ATTLOG_SOURCE).inc(n)
        if quarantined:
            log.warning("device %s: %d ATTLOG line(s) quarantined: %s", sn, quarantined,
                        dict(result.quarantined))
    return PlainTextResponse("OK")


@router.get("/getrequest", response_class=PlainTextResponse,
            summary="Command polling: queued commands as C:<id>:<command> lines, else OK")
async def getrequest(request: Request, uow: UowDep, rt: RuntimeDep,
                     sn: str = Serial) -> PlainTextResponse:
    commands = await uow.run(adms.poll_commands, sn)
    if commands is None:
        return _refuse(rt, request, "getrequest", sn)
    return PlainTextResponse("\n".join(commands) + "\n" if commands else "OK")


@router.post("/devicecmd", response_class=PlainTextResponse,
             summary="Command results: ID=<id>&Return=<code>&CMD=<cmd> lines")
async def devicecmd(request: Request, uow: UowDep, rt: RuntimeDep,
                    sn: str = Serial) -> PlainTextResponse:
    body = await _body(request)
    bad = await uow.run(adms.command_results, sn, body)
    if bad is None:
        return _refuse(rt, request, "devicecmd", sn)
    if bad:
        rt.metrics.quarantined.labels(ingest.DEVICECMD_SOURCE).inc(bad)
        log.warning("device %s: %d command result line(s) quarantined", sn, bad)
    return PlainTextResponse("OK")


# Older firmware asks for the same resources with an ``.aspx`` suffix.
for _route in list(router.routes):
    if (isinstance(_route, APIRoute) and _route.path.startswith("/iclock/")
            and not _route.path.endswith(".aspx")):
        router.add_api_route(f"{_route.path.removeprefix(router.prefix)}.aspx", _route.endpoint,
                             methods=list(_route.methods or ()),
                             response_class=PlainTextResponse, include_in_schema=False)

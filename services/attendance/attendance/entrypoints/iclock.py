"""The ZKTeco ADMS push protocol (``/iclock/...``) as devices speak it: plain-text replies,
``OK:<n>`` once an upload is stored (its bad lines set aside in quarantine). An unknown
serial is refused (403) and logged before the body is read; a body over
``EK_ICLOCK_MAX_BODY_BYTES`` is refused with 413.

Devices carry no token: a device is identified by its registered serial. Finding the
regency of a serial is the protocol's one cross-tenant read (``iclock-device-lookup``); the
rest of the request runs bound to that regency."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import JSONResponse, PlainTextResponse, Response
from fastapi.routing import APIRoute

from ekinerja_shared.uow import UnitOfWork

from ..domain.attlog import parse_stamp, table_label, upload_reply
from ..runtime import AttendanceRuntime
from ..service_layer import adms, devices, ingest
from .deps import RuntimeDep

log = logging.getLogger(__name__)

router = APIRouter(prefix="/iclock", tags=["device protocol (ZKTeco ADMS)"])

# query values are checked by the handlers (an odd serial is refused, an odd stamp ignored)
Serial = Query(default="", alias="SN")
DEVICE_LOOKUP = "iclock-device-lookup"


@dataclass(frozen=True)
class DeviceCall:
    """The serial a device sent, and the unit of work bound to its regency (None: the
    serial is not registered)."""

    sn: str
    uow: UnitOfWork | None


async def _device_call(rt: RuntimeDep, sn: str = Serial) -> DeviceCall:
    async with rt.uow.cross_tenant(DEVICE_LOOKUP).read() as session:
        tenant_id = await devices.device_tenant(session, sn)
    return DeviceCall(sn, None if tenant_id is None else rt.uow.in_tenant(tenant_id))


DeviceDep = Annotated[DeviceCall, Depends(_device_call)]


def _refuse(rt: AttendanceRuntime, request: Request, endpoint: str,
            serial: str) -> PlainTextResponse:
    rt.attendance_metrics.unknown_device_requests.labels(endpoint).inc()
    client = request.client.host if request.client else "?"
    log.warning("refused %s from unregistered device SN=%r (client %s)", endpoint, serial, client)
    # the body (if any) is left unread: the connection is not reused
    return PlainTextResponse("ERROR: device not registered\n", status_code=403,
                             headers={"Connection": "close"})


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


def _too_large(rt: AttendanceRuntime, endpoint: str, sn: str, limit: int) -> Response:
    rt.attendance_metrics.oversized_uploads.labels(endpoint).inc()
    log.warning("device %s sent a body over %d bytes to %s: refused", sn, limit, endpoint)
    return JSONResponse({"detail": f"Isi kiriman melebihi batas {limit} byte.",
                         "code": "body_too_large"}, status_code=413,
                        headers={"Connection": "close"})


@router.get("/cdata", response_class=PlainTextResponse,
             summary="Handshake: the device asks for its options")
async def handshake(request: Request, device: DeviceDep, rt: RuntimeDep,
                    pushver: str | None = Query(default=None)) -> PlainTextResponse:
    sn = device.sn
    reply = None if device.uow is None else await device.uow.run(
        adms.handshake, sn, default_tz=rt.settings.default_timezone, pushver=pushver)
    if reply is None:
        return _refuse(rt, request, "handshake", sn)
    return PlainTextResponse(reply)


@router.post("/cdata", response_class=PlainTextResponse,
             summary="Upload: ATTLOG punches (and other tables)")
async def upload(request: Request, device: DeviceDep, rt: RuntimeDep,
                 table: str = Query(default=""),
                 stamp: str | None = Query(default=None, alias="Stamp"),
                 op_stamp: str | None = Query(default=None, alias="OpStamp"),
                 ) -> Response:
    kind, sn, uow = table_label(table), device.sn, device.uow
    if uow is None or not await uow.run(adms.registered, sn):
        return _refuse(rt, request, f"cdata:{kind}", sn)
    st = rt.settings
    body = await _body(request, st.iclock_max_body_bytes)
    if body is None:
        return _too_large(rt, f"cdata:{kind}", sn, st.iclock_max_body_bytes)
    if kind == "OPERLOG" and op_stamp is not None:
        stamp = op_stamp  # older firmware names the operation log's stamp OpStamp
    result = await uow.run(adms.upload, sn, table, body, stamp=parse_stamp(stamp),
                           default_tz=st.default_timezone, window=rt.punch_window,
                           max_lines=st.iclock_max_lines)
    if result is None:
        return _refuse(rt, request, f"cdata:{kind}", sn)
    metrics = rt.attendance_metrics
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
    return PlainTextResponse(upload_reply(result.accepted))


@router.get("/getrequest", response_class=PlainTextResponse,
            summary="Command polling: queued commands as C:<id>:<command> lines, else OK")
async def getrequest(request: Request, device: DeviceDep, rt: RuntimeDep) -> PlainTextResponse:
    commands = None if device.uow is None else await device.uow.run(
        adms.poll_commands, device.sn, policy=rt.resend_policy)
    if commands is None:
        return _refuse(rt, request, "getrequest", device.sn)
    return PlainTextResponse("\n".join(commands) + "\n" if commands else "OK")


@router.post("/devicecmd", response_class=PlainTextResponse,
             summary="Command results: ID=<id>&Return=<code>&CMD=<cmd> lines")
async def devicecmd(request: Request, device: DeviceDep, rt: RuntimeDep) -> Response:
    sn, uow = device.sn, device.uow
    if uow is None or not await uow.run(adms.registered, sn):
        return _refuse(rt, request, "devicecmd", sn)
    st = rt.settings
    body = await _body(request, st.iclock_max_body_bytes)
    if body is None:
        return _too_large(rt, "devicecmd", sn, st.iclock_max_body_bytes)
    bad = await uow.run(adms.command_results, sn, body, max_lines=st.iclock_max_lines)
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

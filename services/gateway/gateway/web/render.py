"""Rendering of the pages: the Jinja2 environment (autoescaped, Indonesian formats as
filters), the signed-in page's context (regency, person, navigation, CSRF token), and the
route class that turns a refusal into a page for browsers (401: to the sign-in page;
403/404/5xx: a page with the reason) while API clients keep the JSON answer."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote
from zoneinfo import ZoneInfo

from fastapi import Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.routing import APIRoute
from jinja2 import Environment, PackageLoader, select_autoescape

from ekinerja_shared.errors import DomainError, Forbidden
from ekinerja_shared.identity import Caller
from ekinerja_shared.timeutil import zone
from ekinerja_shared.tokens import CSRF_COOKIE

from ..runtime import GatewayRuntime
from . import formats, views
from .backend import Backend
from ..service_layer.page_reads import Directory

SIGN_IN = "/app/masuk"
ENV = Environment(loader=PackageLoader("gateway.web", "templates"),
                  autoescape=select_autoescape(default=True), trim_blocks=True,
                  lstrip_blocks=True)
ENV.filters.update(rupiah=formats.rupiah, persen=formats.percent, tanggal=formats.date_long,
                   hari=formats.date_with_weekday, bulan=formats.period_label,
                   durasi=formats.duration)


def wants_html(request: Request) -> bool:
    return "text/html" in request.headers.get("accept", "")


def render(request: Request, template: str, status_code: int = 200,
           **context: Any) -> HTMLResponse:
    context.setdefault("csrf", request.cookies.get(CSRF_COOKIE, ""))
    html = ENV.get_template(template).render(request_path=request.url.path, **context)
    return HTMLResponse(html, status_code=status_code,
                        headers={"Cache-Control": "no-store",
                                 "Content-Security-Policy": CSP,
                                 "X-Content-Type-Options": "nosniff",
                                 "Referrer-Policy": "same-origin"})


# first-party code only: no inline scripts, no third-party origins
CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
       "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'")


def sign_in_redirect(request: Request) -> RedirectResponse:
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return RedirectResponse(f"{SIGN_IN}?next={quote(target, safe='')}", status_code=303)


class PageRoute(APIRoute):
    """A page's refusals as pages for browsers; the JSON answer for anyone else (the
    authorization matrix reads those)."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def page_handler(request: Request) -> Response:
            try:
                return await handler(request)
            except DomainError as exc:
                if not wants_html(request):
                    raise
                if exc.status_code == 401:
                    return sign_in_redirect(request)
                return render(request, "error.html", status_code=exc.status_code,
                              message=exc.message, status=exc.status_code)

        return page_handler


@dataclass
class Page:
    """Who is looking at a page, in which regency."""

    caller: Caller
    backend: Backend
    directory: Directory
    tenant_id: str
    tenant_name: str
    tz: ZoneInfo
    nip: str
    name: str
    position: str
    unit_id: str
    unit_name: str
    roles: list[str]

    def today(self) -> dt.date:
        return dt.datetime.now(self.tz).date()

    def period(self, asked: str | None) -> str:
        if asked and len(asked) == 7 and asked[4] == "-" and asked.replace("-", "").isdigit():
            return asked
        return f"{self.today():%Y-%m}"

    def context(self, request: Request, **extra: Any) -> dict[str, Any]:
        return dict(page=self, nav=views.nav_for(self.roles, request.url.path), **extra)


async def page_of(caller: Caller, backend: Backend, rt: GatewayRuntime) -> Page:
    """The page's person: a signed-in member of a regency (the operator has no regency
    and uses the API). The regency and the person are read in-process (``directory``)."""
    caller.require()
    if caller.tenant_id is None or caller.nip is None:
        raise Forbidden("Halaman ini untuk pegawai instansi; operator platform memakai API.",
                        code="forbidden")
    t = caller.tenant_id
    directory = Directory(rt, caller, t)
    basics = await directory.basics()
    me = basics.person or {}
    return Page(caller=caller, backend=backend, directory=directory, tenant_id=t,
                tenant_name=basics.tenant_name, tz=zone(basics.timezone), nip=caller.nip,
                name=me.get("name", caller.nip), position=me.get("position", ""),
                unit_id=me.get("unit_id", ""), unit_name=me.get("unit_name", ""),
                roles=sorted(r.value for r in caller.roles))


def require_role(page: Page, *roles: str) -> None:
    if not set(roles) & set(page.roles):
        raise Forbidden("Halaman ini bukan untuk peran Anda.", code="forbidden")


def flash(code: str | None) -> str | None:
    """The message of a completed action (Post/Redirect/Get: ``?ok=<code>``)."""
    return MESSAGES.get(code or "")


MESSAGES = {
    "dicatat": "Aktivitas dicatat dan dikirim ke atasan.",
    "rencana": "Rencana kerja disimpan.",
    "rencana_diubah": "Rencana kerja diubah.",
    "dikirim": "Aktivitas diubah dan dikirim ulang.",
    "diputuskan": "Keputusan disimpan.",
    "roster": "Roster dimuat.",
    "ditutup": "Bulan ditutup. TPP siap diunduh.",
    "dibuka": "Bulan dibuka kembali.",
    "jadwal": "Jadwal kerja disimpan.",
    "jadwal_diterapkan": "Jadwal kerja diterapkan.",
    "libur": "Hari libur disimpan.",
    "libur_dihapus": "Hari libur dihapus.",
    "cuti": "Cuti/izin dicatat.",
    "cuti_batal": "Cuti/izin dibatalkan.",
    "koreksi": "Koreksi presensi disimpan.",
    "aturan": "Aturan presensi disimpan.",
    "kebijakan": "Kebijakan penilaian disimpan.",
    "plt": "Penugasan Plt/Plh disimpan.",
    "plt_dicabut": "Penugasan Plt/Plh dicabut.",
    "aturan_aktivitas": "Aturan aktivitas disimpan.",
    "apel": "Apel disimpan.",
    "jam_absen": "Batas jam absen disimpan.",
    "kepatuhan": "Nilai kepatuhan disimpan.",
    "shift": "Jadwal shift disimpan.",
    "tetap": "Tidak ada yang berubah.",
    "diproses": "Data diproses ulang.",
    "dibuang": "Data dibuang.",
}

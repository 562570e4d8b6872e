"""Sign-in, first-password change, sign-out and the landing redirect of the pages. The
sign-in package's own API (``/api/auth/...``) does the work, called in-process with the
browser's cookies, address and user agent (its throttling and audit see the person, not
the gateway); its cookies are passed on to the browser."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

import httpx
from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from ekinerja_shared.http import CallerDep
from ekinerja_shared.tokens import CSRF_HEADER

from ..auth.rules import safe_next
from .csrf import SIGN_OUT
from .render import SIGN_IN, PageRoute, render
from .views import home_for

router = APIRouter(route_class=PageRoute, tags=["pages"])
PASSWORD = "/app/kata-sandi"


async def _form(request: Request) -> dict[str, str]:
    form = await request.form()
    return {k: v for k, v in form.items() if isinstance(v, str)}


async def _auth_call(request: Request, path: str, body: dict[str, Any]) -> httpx.Response:
    """``/api/auth/<path>`` in-process, as the browser (cookies, CSRF header, address)."""
    peer = (request.client.host, request.client.port) if request.client else ("127.0.0.1", 0)
    headers = {k: v for k, v in (("cookie", request.headers.get("cookie")),
                                 (CSRF_HEADER, request.headers.get(CSRF_HEADER)),
                                 ("user-agent", request.headers.get("user-agent")))
               if v}
    transport = httpx.ASGITransport(app=request.app, client=peer)
    async with httpx.AsyncClient(transport=transport, base_url="http://gateway.internal",
                                 timeout=30) as client:
        return await client.post(f"/api/auth/{path}", json=body, headers=headers)


def _pass_cookies(source: httpx.Response, target: Response) -> Response:
    for value in source.headers.get_list("set-cookie"):
        target.raw_headers.append((b"set-cookie", value.encode("latin-1")))
    return target


def _detail(r: httpx.Response) -> str:
    try:
        detail = r.json().get("detail")
    except ValueError:
        detail = None
    return detail if isinstance(detail, str) else "Permintaan tidak dapat diproses."


@router.get("/", include_in_schema=False)
async def root() -> RedirectResponse:
    return RedirectResponse("/app", status_code=303)


@router.get("/app", summary="Page: the signed-in person's start page (redirect by role)")
async def home(caller: CallerDep) -> RedirectResponse:
    caller.require()
    return RedirectResponse(home_for(r.value for r in caller.roles), status_code=303)


@router.get(SIGN_IN, summary="Page: sign in (regency, NIP, password)")
async def sign_in_page(request: Request, next: str | None = None,
                       tenant: str | None = None) -> Response:
    return render(request, "masuk.html", next=safe_next(next), tenant=tenant or "",
                  nip="", error=None)


@router.post(SIGN_IN, summary="Page: sign in (form)")
async def sign_in(request: Request) -> Response:
    form = await _form(request)
    tenant, nip = form.get("tenant", "").strip().lower(), form.get("nip", "").strip()
    target = safe_next(form.get("next"))
    r = await _auth_call(request, "login", {"tenant": tenant, "nip": nip,
                                            "password": form.get("password", ""),
                                            "session": "cookie"})
    if r.status_code != 200:
        page = render(request, "masuk.html", status_code=r.status_code, next=target,
                      tenant=tenant, nip=nip, error=_detail(r))
        return page
    body = r.json()
    if body["status"] == "password_change_required":
        where = PASSWORD if target == "/" else f"{PASSWORD}?next={quote(target, safe='')}"
    else:
        where = target if target != "/" else home_for(body["roles"])
    return _pass_cookies(r, RedirectResponse(where, status_code=303))


@router.get(PASSWORD, summary="Page: change one's password (after a one-time password)")
async def password_page(request: Request, next: str | None = None) -> Response:
    return render(request, "kata_sandi.html", next=safe_next(next), error=None)


@router.post(PASSWORD, summary="Page: change one's password (form)")
async def change_password(request: Request) -> Response:
    form = await _form(request)
    target = safe_next(form.get("next"))
    if form.get("new_password", "") != form.get("repeat_password", ""):
        return render(request, "kata_sandi.html", status_code=422, next=target,
                      error="Kata sandi baru dan ulangannya tidak sama.")
    r = await _auth_call(request, "password", {"current_password": form.get("current_password",
                                                                            ""),
                                               "new_password": form.get("new_password", "")})
    if r.status_code != 200:
        return render(request, "kata_sandi.html", status_code=r.status_code, next=target,
                      error=_detail(r))
    where = target if target != "/" else home_for(r.json()["roles"])
    return _pass_cookies(r, RedirectResponse(where, status_code=303))


@router.post(SIGN_OUT, summary="Page: sign out (form): the sign-in ends, cookies are cleared")
async def sign_out(request: Request) -> Response:
    """Under ``/api/auth`` so that the browser sends the refresh token's cookie (its path):
    the sign-in package revokes the whole sign-in, not only the page's cookies."""
    r = await _auth_call(request, "logout", {})
    return _pass_cookies(r, RedirectResponse(SIGN_IN, status_code=303))

"""Forms without JavaScript cannot send the ``X-CSRF-Token`` header that the sign-in
package's CSRF check (``gateway.auth.web.CsrfMiddleware``) asks of cookie sessions. This
bridge, placed before that check, copies a page form's hidden ``csrf_token`` field into
the header for requests under ``/app/`` and for the sign-out form (``SIGN_OUT``, under
``/api/auth`` where the refresh token's cookie is sent); the check itself (the header equal to the
``ek_csrf`` cookie) stays the one in the sign-in package. Pure ASGI: the body is read once,
up to the upload limit, and replayed to the app."""

from __future__ import annotations

from starlette.datastructures import Headers
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ekinerja_shared.tokens import CSRF_HEADER

PREFIX = "/app/"
SIGN_OUT = "/api/auth/keluar"
FIELD = "csrf_token"
FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


class FormCsrfBridge:
    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (scope["type"] != "http" or scope["method"] in ("GET", "HEAD", "OPTIONS")
                or not (scope["path"].startswith(PREFIX) or scope["path"] == SIGN_OUT)):
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        kind = headers.get("content-type", "").split(";")[0].strip().lower()
        if kind not in FORM_TYPES or CSRF_HEADER.lower() in headers:
            await self.app(scope, receive, send)
            return
        chunks: list[bytes] = []
        size = 0
        more = True
        while more:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_bytes:
                too_big = JSONResponse({"detail": "Berkas terlalu besar.", "code": "too_large"},
                                       status_code=413)
                await too_big(scope, receive, send)
                return
            chunks.append(chunk)
            more = message.get("more_body", False)
        body = b"".join(chunks)
        token = await _field(scope, body)
        if token:
            scope = dict(scope)
            scope["headers"] = [*scope["headers"],
                                (CSRF_HEADER.lower().encode(), token.encode("latin-1"))]
        sent = False

        async def replay() -> Message:
            nonlocal sent
            if not sent:
                sent = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        await self.app(scope, replay, send)


async def _field(scope: Scope, body: bytes) -> str | None:
    """The form's ``csrf_token`` (None when absent or unreadable)."""
    done = False

    async def once() -> Message:
        nonlocal done
        if done:
            return {"type": "http.disconnect"}
        done = True
        return {"type": "http.request", "body": body, "more_body": False}

    try:
        form = await Request(scope, once).form()
        value = form.get(FIELD)
        await form.close()
    except Exception:  # a malformed form: the CSRF check refuses it downstream
        return None
    return value if isinstance(value, str) and value.isascii() else None

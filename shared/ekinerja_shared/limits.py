"""Request body limits at the edge of every service (ASGI middleware).

A body larger than the limit of its path is refused with 413 before it is read: at once when
``Content-Length`` says so, or as soon as a streamed (chunked) body passes the limit. Upload
routes (a roster CSV, a device's ATTLOG backlog) get a larger limit by path prefix; every
other route gets the default. Nothing beyond the limit is ever buffered.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send


def too_large_message(limit: int) -> str:
    return f"Data yang dikirim terlalu besar (maksimal {limit:,} byte).".replace(",", ".")


class BodyLimitMiddleware:
    def __init__(self, app: ASGIApp, *, default_limit: int,
                 prefix_limits: Sequence[tuple[str, int]] = ()) -> None:
        self.app = app
        self.default_limit = default_limit
        # longest prefix first, so that the most specific rule wins
        self.prefix_limits = sorted(prefix_limits, key=lambda p: len(p[0]), reverse=True)

    def limit_for(self, path: str) -> int:
        for prefix, limit in self.prefix_limits:
            if path.startswith(prefix):
                return limit
        return self.default_limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.limit_for(scope.get("path", ""))
        declared = _content_length(scope)
        if declared is not None and declared > limit:
            await _send_413(send, limit)
            return
        received = 0

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    # FastAPI passes an HTTPException raised while reading the body through
                    # to its handler (a 413 with the message); a route reading the stream
                    # itself gets the same.
                    raise HTTPException(413, detail=too_large_message(limit))
            return message

        await self.app(scope, limited_receive, send)


def _content_length(scope: Scope) -> int | None:
    for name, value in scope.get("headers", ()):
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None


async def _send_413(send: Send, limit: int) -> None:
    import json

    body = json.dumps({"detail": too_large_message(limit), "code": "payload_too_large"}).encode()
    headers: list[Any] = [(b"content-type", b"application/json"),
                          (b"content-length", str(len(body)).encode()),
                          (b"connection", b"close")]
    await send({"type": "http.response.start", "status": 413, "headers": headers})
    await send({"type": "http.response.body", "body": body})

from __future__ import annotations

import httpx

from gateway.entrypoints.proxy import forwardable


def test_hop_by_hop_and_connection_named_headers_are_not_forwarded():
    headers = [("Host", "gw"), ("Connection", "keep-alive, X-Private"), ("X-Private", "1"),
               ("Transfer-Encoding", "chunked"), ("Content-Type", "text/plain"),
               ("X-Device", "zk"), ("X-Device", "zk2")]
    assert forwardable(headers, drop=frozenset({"host"})) == [
        ("Content-Type", "text/plain"), ("X-Device", "zk"), ("X-Device", "zk2")]


def test_response_headers_keep_repeated_values():
    headers = httpx.Headers([("set-cookie", "a=1"), ("set-cookie", "b=2"), ("keep-alive", "5")])
    assert forwardable(headers) == [("set-cookie", "a=1"), ("set-cookie", "b=2")]

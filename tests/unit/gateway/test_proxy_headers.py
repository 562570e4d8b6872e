from __future__ import annotations

import httpx

from gateway.entrypoints.proxy import forwardable, upstream_path


def test_hop_by_hop_and_connection_named_headers_are_not_forwarded():
    headers = [("Host", "gw"), ("Connection", "keep-alive, X-Private"), ("X-Private", "1"),
               ("Transfer-Encoding", "chunked"), ("Content-Type", "text/plain"),
               ("X-Device", "zk"), ("X-Device", "zk2")]
    assert forwardable(headers, drop=frozenset({"host"})) == [
        ("Content-Type", "text/plain"), ("X-Device", "zk"), ("X-Device", "zk2")]


def test_response_headers_keep_repeated_values():
    headers = httpx.Headers([("set-cookie", "a=1"), ("set-cookie", "b=2"), ("keep-alive", "5")])
    assert forwardable(headers) == [("set-cookie", "a=1"), ("set-cookie", "b=2")]


def test_paths_are_forwarded_as_sent_and_dot_segments_are_refused():
    assert upstream_path("/api/attendance/t1/devices", b"/api/attendance/t1/devices") == \
        "/api/attendance/t1/devices"
    # percent-encoding as the client sent it (an encoded slash or '?' stays encoded)
    assert upstream_path("/api/activity/t1/a/b?c", b"/api/activity/t1/a%2Fb%3Fc") == \
        "/api/activity/t1/a%2Fb%3Fc"
    assert upstream_path("/iclock/cdata x", None) == "/iclock/cdata%20x"
    # '..' or '.' (raw or encoded: the decoded path has them) would leave the prefix at the
    # backend (httpx resolves dot segments): /metrics, /docs, /openapi.json
    for path in ("/iclock/../metrics", "/api/attendance/../../openapi.json",
                 "/api/scoring/./x", "/api/attendance/t1/.."):
        assert upstream_path(path, path.replace(".", "%2e").encode()) is None


def test_closing_a_month_is_not_forwarded_to_scoring_but_sent_to_the_month_check():
    from gateway.entrypoints.proxy import served_by_gateway

    assert served_by_gateway("POST", "/api/scoring/t1/periods/2026-10/close") == \
        "POST /api/tenants/t1/periods/2026-10/close"
    assert served_by_gateway("POST", "/api/scoring/t1/periods/2026-10/close/") is not None
    for method, path in (("GET", "/api/scoring/t1/periods/2026-10/close"),
                         ("POST", "/api/scoring/t1/periods/2026-10/reopen"),
                         ("POST", "/api/scoring/t1/periods/2026-10/close/x"),
                         ("POST", "/api/activity/t1/periods/2026-10/close")):
        assert served_by_gateway(method, path) is None, (method, path)

"""The authorization matrix: every route of a service's OpenAPI document, called as six
personas, must give the outcome its row in ``tests/authz/<service>.toml`` says.

Personas (tokens of the test run, see tests/support/tokens.py):
- ``nobody``: no credentials;
- ``employee``: an employee of the regency in the path; the path's ``{nip}`` is theirs;
- ``supervisor``: an employee with the supervisor role of the same regency (not the
  path's ``{nip}``);
- ``hr``: the regency's HR (BKPSDM);
- ``other_hr``: HR of another regency;
- ``operator``: the platform operator.

Outcomes, read from the answer's status and ``code`` (the authorization layer's codes
only, so that a later 404 of a missing entry or a 422 of an empty body count as allowed):
- ``"401"``: refused, not signed in (``not_signed_in``, ``unauthenticated``, or a bad token);
- ``"403"``: refused, not allowed (``forbidden``, ``own_data_only``, ``admin_required``);
- ``"404"``: the regency is not revealed (``tenant_not_found``);
- ``"allow"``: anything else (the route let the caller through).

Rows: ``[[route]]`` with ``method``, ``path`` (as in OpenAPI) and one outcome per persona.
A route in the document without a row, or a row without a route, fails the test.
"""

from __future__ import annotations

import tomllib
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from ekinerja_shared.identity import Role
from tests.support.tokens import as_operator, as_user

PERSONAS = ("nobody", "employee", "supervisor", "hr", "other_hr", "operator")
TENANT = "authz-a"
OTHER_TENANT = "authz-b"
EMPLOYEE = "199205302019032009"
SUPERVISOR = "198507082010012011"
HR = "199001172015031002"
OTHER_HR = "197001011995031001"
DENIALS = {
    401: {"not_signed_in", "unauthenticated", "invalid_token", "unknown_key",
          "token_expired", "token_algorithm", "unsupported_scheme"},
    403: {"forbidden", "own_data_only", "admin_required", "scope_required"},
    404: {"tenant_not_found"},
}
# the operational routes every service has; decided by the deployment (internal by default)
OPERATIONS = {"/health", "/metrics", "/asyncapi", "/asyncapi.json"}


def persona_headers(persona: str) -> dict[str, str]:
    return {
        "nobody": {},
        "employee": as_user(TENANT, EMPLOYEE, Role.EMPLOYEE),
        "supervisor": as_user(TENANT, SUPERVISOR, Role.EMPLOYEE, Role.SUPERVISOR),
        "hr": as_user(TENANT, HR, Role.EMPLOYEE, Role.HR),
        "other_hr": as_user(OTHER_TENANT, OTHER_HR, Role.EMPLOYEE, Role.HR),
        "operator": as_operator(),
    }[persona]


# the gateway's routes that ask the services (with the caller's token) for their answers
COMPOSED = ("/api/tenants/{tenant_id}/periods/",)


@dataclass(frozen=True)
class Row:
    method: str
    path: str
    expected: dict[str, str]


def load_rows(service: str) -> dict[tuple[str, str], Row]:
    data = tomllib.loads((Path(__file__).parent / f"{service}.toml").read_text())
    rows: dict[tuple[str, str], Row] = {}
    for r in data.get("route", []):
        missing = [p for p in PERSONAS if p not in r]
        assert not missing, f"{r.get('method')} {r.get('path')}: no outcome for {missing}"
        key = (r["method"].upper(), r["path"])
        assert key not in rows, f"two rows for {key}"
        rows[key] = Row(key[0], key[1], {p: str(r[p]) for p in PERSONAS})
    return rows


def routes_of(openapi: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    out = []
    for path, item in openapi["paths"].items():
        if path in OPERATIONS:
            continue
        for method, op in item.items():
            if method.lower() in {"get", "post", "put", "patch", "delete"}:
                out.append((method.upper(), path, op))
    return out


def _value(name: str, schema: dict[str, Any]) -> str:
    if name in ("tenant_id", "tenant"):
        return TENANT
    if name == "nip":
        return EMPLOYEE
    if "period" in name:
        return "2026-10"
    if schema.get("format") == "uuid" or name.endswith("_id") or name == "id":
        return str(uuid.uuid4()) if schema.get("type") != "integer" else "1"
    if schema.get("format") == "date" or "date" in name:
        return "2026-10-05"
    if schema.get("type") == "integer":
        return "1"
    return "X1"


def fill(path: str, op: dict[str, Any]) -> tuple[str, dict[str, str]]:
    params = op.get("parameters", [])
    url = path
    query: dict[str, str] = {}
    for p in params:
        schema = p.get("schema", {})
        if "anyOf" in schema:
            schema = next((s for s in schema["anyOf"] if s.get("type") != "null"), {})
        if p["in"] == "path":
            url = url.replace("{" + p["name"] + "}", _value(p["name"], schema))
        elif p["in"] == "query" and p.get("required"):
            query[p["name"]] = _value(p["name"], schema)
    return url, query


def outcome(response: httpx.Response) -> str:
    code = None
    try:
        body = response.json()
        code = body.get("code") if isinstance(body, dict) else None
    except ValueError:
        pass
    if response.status_code in DENIALS and code in DENIALS[response.status_code]:
        return str(response.status_code)
    return "allow"


async def check_matrix(client: httpx.AsyncClient, service: str) -> None:
    openapi = (await client.get("/openapi.json")).json()
    rows = load_rows(service)
    seen: set[tuple[str, str]] = set()
    problems: list[str] = []
    for method, path, op in routes_of(openapi):
        key = (method, path)
        seen.add(key)
        row = rows.get(key)
        if row is None:
            problems.append(f"{method} {path}: no row in tests/authz/{service}.toml")
            continue
        url, query = fill(path, op)
        has_body = "requestBody" in op
        for persona in PERSONAS:
            r = await client.request(method, url, params=query,
                                     headers=persona_headers(persona),
                                     json={} if has_body else None)
            got = outcome(r)
            # a page of the gateway's web application or a route it composes from the
            # services' answers (the month check and close) that let the caller through
            # then calls the services, which do not run in the matrix test: 502, this code
            passed_to_backend = (r.status_code == 502
                                 and path.startswith(("/app", *COMPOSED))
                                 and r.json().get("code") == "backend_unavailable")
            if r.status_code >= 500 and not passed_to_backend:
                problems.append(f"{method} {path} as {persona}: {r.status_code} {r.text[:200]}")
            elif got != row.expected[persona]:
                problems.append(f"{method} {path} as {persona}: expected "
                                f"{row.expected[persona]}, got {got} ({r.status_code} "
                                f"{r.text[:160]})")
    for key in rows.keys() - seen:
        problems.append(f"{key[0]} {key[1]}: a row without a route")
    assert not problems, "\n".join(problems)

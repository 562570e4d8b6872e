"""Every service's OpenAPI document, fuzzed by schemathesis: no request may end in a 5xx.

Each service runs in-process (schemathesis' ASGI transport: the app's real lifespan, so its
migrations, Kafka consumers and outbox relay run) on the real PostgreSQL and Kafka of the
test run. One regency is seeded (its directory published to Kafka for attendance, activity
and scoring; created through the gateway's own API there), and every generated request is
signed as that regency's HR officer (the gateway is fuzzed a second time as the platform
operator), with its regency and NIP path parameters pointing at the seeded ones so that
requests get past the authorization decision into the handlers. Examples are bounded
(``EXAMPLES`` per operation, plus schemathesis' boundary-value coverage phase).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import time
from collections.abc import Callable, Iterator
from decimal import Decimal
from typing import Any

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.pytest.lazy import get_all_tests
from schemathesis.python import asgi
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from ekinerja_shared import events as ev
from ekinerja_shared.identity import Role
from ekinerja_shared.tenancy import TENANT_SETTING
from tests.authz.matrix import COMPOSED
from tests.support import infra, tokens
from tests.support.apps import eventually, from_now_on, publish

pytestmark = pytest.mark.integration

EXAMPLES = 10  # per operation; the platform operator's second pass of the gateway: half
TENANT = infra.unique("sch")
HR = "197001011995031001"
STAFF = "198503152010011001"
SERIAL = "CQZSCH" + TENANT[-6:].upper()
ROSTER = (
    "nip,name,unit_id,unit_name,position,supervisor_nip,tpp_base,employment_type,device_pin\n"
    f"{HR},Hj. Siti Aminah,umum,Bagian Umum,Kepala Bagian Umum,,6000000,PNS,1\n"
    f"{STAFF},Budi Santoso,umum,Bagian Umum,Pelaksana,{HR},4500000,PNS,11\n"
)
PREFIX = infra.unique("sch")
DIRECTORY_WAIT_S = 120.0


def _pg(service: str) -> dict[str, str]:
    return {"database_url": infra.pg_app_url(service),
            "migration_database_url": infra.pg_url(service)}


def _common(service: str, bootstrap: str) -> dict[str, Any]:
    return {**_pg(service), "kafka_bootstrap": bootstrap, "consumer_group_prefix": PREFIX,
            "auth_jwks": tokens.TEST_JWKS_JSON, "outbox_poll_interval_s": 0.2,
            "http_expose_docs": True}  # the schema is read from /openapi.json


@pytest.fixture(scope="module", autouse=True)
def _stop_apps() -> Iterator[None]:
    """The apps' lifespans run in schemathesis' event-loop thread until this module ends."""
    yield
    asgi.shutdown_lifespans()


def _directory() -> list[ev.Event]:
    """The seeded regency's directory, as the gateway would publish it."""
    lines = [line.split(",") for line in ROSTER.splitlines()[1:]]
    events: list[ev.Event] = [ev.TenantUpserted(
        tenant_id=TENANT, name="Pemerintah Kabupaten Uji", timezone="Asia/Makassar",
        policy_preset="performance60_discipline40")]
    events += [ev.EmployeeUpserted(
        tenant_id=TENANT, nip=nip, name=name, unit_id=unit, unit_name=unit_name,
        position=position, supervisor_nip=boss or None, tpp_base=Decimal(base),
        device_pin=pin, effective_from=dt.date(2020, 1, 1))
        for nip, name, unit, unit_name, position, boss, base, _, pin in lines]
    return events


async def _roster_known(service: str) -> bool:
    engine = create_async_engine(infra.pg_url(service))
    try:
        async with engine.begin() as conn:
            await conn.execute(text("SELECT set_config(:s, :t, true)"),
                               {"s": TENANT_SETTING, "t": TENANT})
            known = await conn.scalar(text(
                "SELECT count(*) FROM employees WHERE tenant_id = :t"), {"t": TENANT})
    except Exception:  # noqa: BLE001 - the app has not created its tables yet
        return False
    finally:
        await engine.dispose()
    return known == len(ROSTER.splitlines()) - 1


def _load(app: Any, service: str, bootstrap: str) -> schemathesis.schemas.BaseSchema:
    """The app's OpenAPI document (loading it starts the app's lifespan). Its consumer
    groups (every durable group its runtime registered) start at the topics' current end,
    not at the backlog of every earlier test on a shared broker; the seeded directory is
    published for it and awaited."""
    if service != "gateway":
        asyncio.run(from_now_on(app))
        asyncio.run(publish(bootstrap, *_directory()))
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    if service != "gateway":
        asyncio.run(eventually(lambda: _roster_known(service), timeout=DIRECTORY_WAIT_S,
                               interval=1.0))
    return schema


@pytest.fixture(scope="module")
def attendance_schema(kafka_bootstrap: str) -> Any:
    from attendance.app import create_app
    from attendance.settings import Settings

    app = create_app(Settings(**_common("attendance", kafka_bootstrap)))
    schema = _load(app, "attendance", kafka_bootstrap)
    with asgi.get_client(app) as client:  # a registered device: its serial reaches handlers
        r = client.post(f"/api/attendance/{TENANT}/devices", headers=tokens.as_hr(TENANT, HR),
                        json={"serial_number": SERIAL, "location": "Kantor Bupati"})
        assert r.status_code in (200, 201), r.text
    return schema


@pytest.fixture(scope="module")
def activity_schema(kafka_bootstrap: str) -> Any:
    from activity.app import create_app
    from activity.settings import Settings

    app = create_app(Settings(**_common("activity", kafka_bootstrap), expiry_interval_s=0))
    return _load(app, "activity", kafka_bootstrap)


@pytest.fixture(scope="module")
def scoring_schema(kafka_bootstrap: str) -> Any:
    from scoring.app import create_app
    from scoring.settings import Settings

    app = create_app(Settings(**_common("scoring", kafka_bootstrap)))
    return _load(app, "scoring", kafka_bootstrap)


@pytest.fixture(scope="module")
def gateway_schema(kafka_bootstrap: str) -> Any:
    from gateway.app import create_app
    from gateway.settings import Settings

    app = create_app(Settings(**_common("gateway", kafka_bootstrap), admin_token=None,
                              http_expose_metrics=True,
                              stream_heartbeat_s=1))
    schema = _load(app, "gateway", kafka_bootstrap)
    operator = tokens.as_operator()
    with asgi.get_client(app) as client:
        r = client.put(f"/api/tenants/{TENANT}", headers=operator, json={
            "name": "Pemerintah Kabupaten Uji", "timezone": "WITA",
            "policy_preset": "performance60_discipline40"})
        assert r.status_code in (200, 201), r.text
        r = client.post(f"/api/tenants/{TENANT}/roster", data=ROSTER.encode(),
                        headers={**operator, "content-type": "text/csv"})
        assert r.status_code == 200, r.text
    return schema


# the values a realistic caller puts in the path; the rest stays as generated
KNOWN = {"tenant_id": [TENANT], "nip": [HR, STAFF], "serial": [SERIAL]}


def aimed(case: Any) -> Any:
    """Point the regency (always) and NIP/serial (mostly) path parameters at seeded data."""
    for name, values in KNOWN.items():
        if case.path_parameters and name in case.path_parameters:
            generated = str(case.path_parameters[name])
            if name == "tenant_id" or len(generated) % 4:
                case.path_parameters[name] = values[len(generated) % len(values)]
    return case


def no_server_error(case: Any, headers: Callable[[], dict[str, str]]) -> None:
    started = time.monotonic()
    # an event stream never ends: the transport keeps what arrived before the timeout
    # (a stream that has not started by then has not failed either)
    if case.operation.path.endswith("/stream"):
        try:
            response = aimed(case).call(headers=headers(), timeout=1)
        except requests.exceptions.ReadTimeout:
            return
    else:
        response = aimed(case).call(headers=headers(), timeout=10)
    if (case.operation.path.startswith(("/app", *COMPOSED)) and response.status_code == 502
            and "backend_unavailable" in response.text):
        return  # a page's or a composed route's services do not run beside this in-process
        # gateway: a clean 502
    assert response.status_code < 500, (
        f"{case.method} {case.formatted_path} -> {response.status_code} "
        f"({time.monotonic() - started:.1f}s)\n{response.text[:2000]}\n"
        f"{case.as_curl_command()}")


def hr() -> dict[str, str]:
    """The regency's HR officer, who is also the head of the office (a supervisor)."""
    return tokens.as_user(TENANT, HR, Role.HR, Role.EMPLOYEE, Role.SUPERVISOR)


def fuzz(schema: Any, headers: Callable[[], dict[str, str]], examples: int = EXAMPLES) -> None:
    """Every operation of ``schema`` with its bounded examples; all 5xx reported at once."""
    bounded = settings(max_examples=examples, deadline=None, derandomize=True, database=None,
                       suppress_health_check=list(HealthCheck))

    def check(case: Any) -> None:
        no_server_error(case, headers)

    failures, operations = [], 0
    for result in get_all_tests(schema=schema, test_func=check, settings=bounded,
                                given_kwargs=None):
        operation, test = result.ok()  # an invalid operation definition fails the test here
        operations += 1
        try:
            test()
        except Exception as exc:  # noqa: BLE001 - every operation's failure is reported
            failures.append(f"{operation.label}: {exc}")
    assert operations > 10
    assert not failures, "\n\n".join(failures)


def test_attendance(attendance_schema: Any) -> None:
    fuzz(attendance_schema, hr)


def test_activity(activity_schema: Any) -> None:
    fuzz(activity_schema, hr)


def test_scoring(scoring_schema: Any) -> None:
    fuzz(scoring_schema, hr)


def test_gateway_as_hr(gateway_schema: Any) -> None:
    fuzz(gateway_schema, hr)


def test_gateway_as_operator(gateway_schema: Any) -> None:
    fuzz(gateway_schema, tokens.as_operator, EXAMPLES // 2)


# --- what the fuzzing found, pinned ---------------------------------------------------


def test_a_nul_character_in_a_query_is_refused(scoring_schema: Any) -> None:
    with asgi.get_client(scoring_schema.app) as client:
        r = client.get(f"/api/scoring/{TENANT}/rankings/employees", headers=hr(),
                       params={"period": "2026-11", "unit_id": "umum\x00"})
    assert r.status_code == 422, r.text
    assert r.json()["code"] == "unstorable_value"


def test_a_holiday_outside_the_platform_years_is_refused(attendance_schema: Any) -> None:
    with asgi.get_client(attendance_schema.app) as client:
        for day in ("1969-12-31", "2100-01-01", "0001-01-01"):
            r = client.put(f"/api/attendance/{TENANT}/holidays/{day}", headers=hr(),
                           json={"name": "Libur", "kind": "national"})
            assert r.status_code == 422, r.text
            assert "1970" in r.text
        r = client.put(f"/api/attendance/{TENANT}/holidays/2026-12-25", headers=hr(),
                       json={"name": "Hari Raya Natal", "kind": "national"})
        assert r.status_code == 200, r.text

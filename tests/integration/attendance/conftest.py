from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from attendance.adapters.orm import Employee
from attendance.domain.attlog import MAX_AGE_DAYS
from attendance.runtime import AttendanceRuntime
from attendance.service_layer import directory
from attendance.settings import Settings
from ekinerja_shared import events as ev
from ekinerja_shared.tenancy import bind_tenant
from ekinerja_shared.topics import ATTENDANCE_PUNCH_BATCHES, ATTENDANCE_PUNCHES, DIRECTORY
from tests.support.apps import eventually, start_groups_at_end
from tests.support.infra import pg_app_url, pg_url, reset_database
from tests.support.tokens import TEST_JWKS_JSON


DIRECTORY_WAIT_S = 90.0


@pytest.fixture(scope="session")
async def db_url() -> str:
    """The attendance test database, emptied once per run (tests isolate by tenant)."""
    url = pg_url("attendance")
    await reset_database(url)
    return url


@pytest.fixture
async def settings(db_url: str, kafka_bootstrap: str, group_prefix: str) -> Settings:
    # the directory's and the punches' consumers start at the shared topics' end
    await start_groups_at_end(kafka_bootstrap, {
        f"{group_prefix}-attendance-directory": DIRECTORY.name,
        f"{group_prefix}-attendance-evaluation-v2": ATTENDANCE_PUNCH_BATCHES.name,
        f"{group_prefix}-attendance-evaluation": ATTENDANCE_PUNCHES.name})
    # the tests' punches carry fixed dates (November 2026): the widest plausibility window
    # keeps them in it for years. The app connects as the application role (row-level
    # security applies) and migrates as the owner; callers carry tokens of the test run.
    return Settings(database_url=pg_app_url("attendance"), migration_database_url=db_url,
                    auth_jwks=TEST_JWKS_JSON, kafka_bootstrap=kafka_bootstrap,
                    consumer_group_prefix=group_prefix, outbox_poll_interval_s=0.2,
                    punch_max_age_days=MAX_AGE_DAYS)


def employee(tenant_id: str, nip: str, pin: str | None, name: str | None = None,
             unit_id: str = "u1", active: bool = True,
             effective_from: dt.date | None = None) -> ev.EmployeeUpserted:
    return ev.EmployeeUpserted(tenant_id=tenant_id, nip=nip, name=name or f"Pegawai {pin}",
                               unit_id=unit_id, tpp_base=Decimal("5000000"), device_pin=pin,
                               active=active, effective_from=effective_from)


def tenant(tenant_id: str, tz: str = "Asia/Makassar") -> ev.TenantUpserted:
    return ev.TenantUpserted(tenant_id=tenant_id, name="Kab. Uji", timezone=tz,
                             policy_preset="performance60_discipline40")


async def roster_copied(rt: AttendanceRuntime, tenant_id: str, *nips: str) -> None:
    """Wait until the service's local copy of the directory has these employees."""

    async def known() -> bool:
        async with rt.uow.in_tenant(tenant_id).read() as s:
            return all([await s.get(Employee, (tenant_id, n)) for n in nips])

    # the group starts at the topic's end (skip_history): only the group's join and a
    # loaded shared broker stand between the event and its copy
    await eventually(known, timeout=DIRECTORY_WAIT_S)


async def apply_directory(rt: AttendanceRuntime, *events: ev.Event) -> None:
    """Apply directory events to the service's local copy directly, in one transaction
    bound to each event's regency (as the consumer does): for tests about devices, which
    need not wait for a new consumer group to read the shared directory topic."""
    default_tz = rt.settings.default_timezone
    async with rt.sessionmaker() as session, session.begin():
        for event in events:
            await bind_tenant(session, event.tenant_id)
            await directory.apply_directory_event(session, event, default_tz=default_tz)

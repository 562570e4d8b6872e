"""Who may see whose activity (the directory half of the routes' decisions), on a migrated
SQLite database: the employee, the supervisor in force today (direct or Plt/Plh in force),
an entry's own supervisor, the verifiers; not colleagues, not a former supervisor, not an
acting official outside their dates."""

from __future__ import annotations

import datetime as dt

from activity.domain.model import ActingAssignment, ActingKind, stands_for
from ekinerja_shared.supervision import may_view
from activity.service_layer.access import sees_employee, sees_entry
from activity.service_layer.admin import add_acting, add_verifier
from activity.service_layer.directory import apply_directory_event
from tests.unit.activity.test_lifecycle import (  # noqa: F401 - fixtures
    CFG,
    NOW,
    TODAY,
    create,
    employee,
    org,
    run,
    sm,
)

PLH = ActingAssignment("KASUBAG", "STAFF2", ActingKind.PLH, TODAY - dt.timedelta(days=1),
                       TODAY + dt.timedelta(days=2))


def test_stands_for_and_may_view_are_pure_rules() -> None:
    assert stands_for("KASUBAG", "KASUBAG") == "direct"
    assert stands_for("STAFF2", "KASUBAG", [PLH], day=TODAY) == "plh"
    assert stands_for("STAFF2", "KASUBAG", [PLH], day=TODAY + dt.timedelta(days=3)) is None
    assert stands_for("STAFF2", "KASUBAG", [PLH]) is None  # no date: no acting
    assert stands_for("KASUBAG", None) is None
    assert may_view("STAFF", "STAFF", [None], day=TODAY)
    assert may_view("KASUBAG", "STAFF", ["KASUBAG"], day=TODAY)
    assert may_view("STAFF2", "STAFF", [None, "KASUBAG"], [PLH], day=TODAY)
    assert not may_view("STAFF2", "STAFF", ["KASUBAG"], day=TODAY)
    assert not may_view("KABAG", "STAFF", ["KASUBAG"], day=TODAY)  # not up the chain


async def test_the_supervisor_in_force_and_the_acting_official_see_the_employee(sm, org):
    async def sees(viewer: str, nip: str = "STAFF", now: dt.datetime = NOW) -> bool:
        return await run(sm, sees_employee, org, viewer, nip, cfg=CFG, now=now)

    assert await sees("STAFF") and await sees("KASUBAG")
    assert not await sees("STAFF2") and not await sees("KABAG") and not await sees("OTHER")
    await run(sm, add_acting, org, PLH)
    assert await sees("STAFF2")
    assert not await sees("STAFF2", now=NOW + dt.timedelta(days=3))  # after the range
    assert not await sees("STAFF2", "KASUBAG")  # a Plh of KASUBAG is not KASUBAG's boss
    # the supervisor changes from tomorrow: today it is still the Kasubag's team
    async with sm() as s, s.begin():
        await apply_directory_event(s, employee(org, "STAFF", "KABAG",
                                                effective_from=TODAY + dt.timedelta(days=1)))
    assert await sees("KASUBAG") and not await sees("KABAG")
    later = NOW + dt.timedelta(days=1)
    assert await sees("KABAG", now=later) and not await sees("KASUBAG", now=later)


async def test_an_entry_is_seen_by_its_supervisor_and_the_verifiers(sm, org):
    e = await create(sm, org)

    async def sees(viewer: str, now: dt.datetime = NOW) -> bool:
        return await run(sm, sees_entry, org, viewer, e, cfg=CFG, now=now)

    assert await sees("STAFF") and await sees("KASUBAG")
    assert not await sees("STAFF2") and not await sees("OTHER")
    # the employee moves to the Kabag: the entry's supervisor still sees it, and so does
    # the new supervisor in force
    async with sm() as s, s.begin():
        await apply_directory_event(s, employee(org, "STAFF", "KABAG",
                                                effective_from=TODAY + dt.timedelta(days=1)))
    later = NOW + dt.timedelta(days=1)
    assert await sees("KASUBAG", later) and await sees("KABAG", later)
    await run(sm, add_verifier, org, "OTHER")
    assert await sees("OTHER")

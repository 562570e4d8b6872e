"""Use cases of the activity service on a migrated SQLite database: lifecycle, permissions,
supervisor history, bulk decisions, deadlines, closed months, plans and agenda. Each test
uses its own tenant; the outbox rows are the events the relay would publish."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from activity.adapters.orm import EntryTransition, Outbox
from activity.domain.model import ActingAssignment, ActingKind, RuleViolation
from activity.domain.plans import AgendaSlot, PlanKind
from activity.domain.rules import TenantRules
from activity.service_layer.admin import add_acting, add_verifier, remove_acting
from activity.service_layer.deadlines import expire_all_tenants, expire_pending
from activity.service_layer.decisions import (
    Decision,
    Outcome,
    _apply_decisions,
    decide,
    decide_many,
    revoke,
)
from activity.service_layer.directory import (
    apply_directory_event,
    apply_period_event,
    resolve_supervisor,
)
from activity.service_layer.entries import (
    NewEntry,
    create_entry,
    edit_entry,
    get_entry,
    submit_entry,
)
from activity.service_layer.plans import (
    NewAgendaItem,
    NewPlanItem,
    create_agenda_item,
    create_plan_item,
    list_agenda,
    list_plans,
)
from activity.service_layer.queries import approval_queue, history, pending_counts
from activity.service_layer.tenants import Config, closed_periods, load_rules, set_rules
from ekinerja_shared import events as ev
from ekinerja_shared.db import make_engine, make_sessionmaker
from ekinerja_shared.errors import DomainError
from ekinerja_shared.migrations import upgrade_async
from ekinerja_shared.uow import UnitOfWork
from tests.support.infra import unique

NOW = dt.datetime(2026, 3, 16, 7, 0, tzinfo=dt.UTC)  # Monday 14:00 WIB
TODAY = dt.date(2026, 3, 16)
CFG = Config(default_tz="Asia/Jakarta", default_rules=TenantRules())
T = dt.time


@pytest.fixture(scope="module")
async def sm(tmp_path_factory):
    url = f"sqlite+aiosqlite:///{tmp_path_factory.mktemp('activity') / 'activity.db'}"
    await upgrade_async("activity", url)  # the real migrations
    engine = make_engine(url)
    yield make_sessionmaker(engine)
    await engine.dispose()


@pytest.fixture
async def org(sm):
    """A tenant with staff -> Kasubag -> Kabag -> Kepala OPD, and a second staff member."""
    tenant = unique("t")
    people = {"KADIS": None, "KABAG": "KADIS", "KASUBAG": "KABAG", "STAFF": "KASUBAG",
              "STAFF2": "KASUBAG", "OTHER": "KADIS"}
    async with sm() as s, s.begin():
        await apply_directory_event(s, ev.TenantUpserted(
            tenant_id=tenant, name="Kota Uji", timezone="Asia/Jakarta", policy_preset="cilegon",
            occurred_at=NOW - dt.timedelta(days=90)))
        for nip, sup in people.items():
            await apply_directory_event(s, employee(tenant, nip, sup, days_ago=90))
    return tenant


def employee(tenant, nip, sup, *, days_ago=0, effective_from=None, active=True):
    return ev.EmployeeUpserted(tenant_id=tenant, nip=nip, name=nip.title(), unit_id="U1",
                               supervisor_nip=sup, tpp_base=Decimal("1000000"), active=active,
                               effective_from=effective_from,
                               occurred_at=NOW - dt.timedelta(days=days_ago))


def entry(day=TODAY, start=T(8, 0), end=T(9, 0), **kw) -> NewEntry:
    return NewEntry(day, start, end, kw.pop("description", "Menyusun laporan"), **kw)


async def create(sm, tenant, nip="STAFF", data=None, submit=True, now=NOW):
    async with sm() as s, s.begin():
        e = await create_entry(s, tenant, nip, data or entry(), submit=submit, cfg=CFG,
                               now=now)
    return e


async def run(sm, fn, *args, **kw):
    async with sm() as s, s.begin():
        return await fn(s, *args, **kw)


async def outbox(sm, tenant) -> list[ev.Event]:
    async with sm() as s:
        rows = (await s.scalars(select(Outbox.payload).order_by(Outbox.id))).all()
    return [e for e in (ev.parse_event(p) for p in rows) if e.tenant_id == tenant]


async def refused(coro) -> str:
    with pytest.raises(DomainError) as info:
        await coro
    return info.value.code


# --- entries ------------------------------------------------------------------------------


async def test_create_checks_overlap_and_daily_cap_against_stored_entries(sm, org):
    first = await create(sm, org)
    assert first.status == "submitted" and first.minutes == 60
    assert first.supervisor_nip == "KASUBAG"
    assert await refused(create(sm, org, data=entry(start=T(8, 30), end=T(9, 30)))) == "overlap"
    # another employee's entry at the same time is fine
    await create(sm, org, "STAFF2", data=entry(start=T(8, 30), end=T(9, 30)))
    await run(sm, set_rules, org, {"daily_cap_minutes": 120}, CFG)
    await create(sm, org, data=entry(start=T(9, 0), end=T(10, 0)))
    assert await refused(create(sm, org, data=entry(start=T(10, 0), end=T(10, 1)))) \
        == "daily_cap_exceeded"


async def test_create_refuses_unknown_future_old_and_closed(sm, org):
    assert await refused(create(sm, org, "NOBODY")) == "unknown_employee"
    assert await refused(create(sm, org, data=entry(day=TODAY + dt.timedelta(days=1)))) \
        == "future_date"
    assert await refused(create(sm, org, data=entry(start=T(13, 0), end=T(15, 0)))) \
        == "future_time"
    assert await refused(create(sm, org, data=entry(day=TODAY - dt.timedelta(days=8)))) \
        == "edit_window_passed"
    await run(sm, set_rules, org, {"edit_window_days": 10}, CFG)
    await create(sm, org, data=entry(day=TODAY - dt.timedelta(days=8)))
    await run(sm, apply_period_event, ev.PeriodClosed(tenant_id=org, period="2026-03"))
    assert await refused(create(sm, org, data=entry(start=T(10, 0), end=T(11, 0)))) \
        == "period_closed"
    await run(sm, apply_period_event, ev.PeriodReopened(tenant_id=org, period="2026-03",
                                                        reason="koreksi"))
    await create(sm, org, data=entry(start=T(10, 0), end=T(11, 0)))
    async with sm() as s, s.begin():
        await apply_directory_event(s, employee(org, "GONE", "KASUBAG", active=False))
    assert await refused(create(sm, org, "GONE")) == "inactive_employee"
    # retired after yesterday: yesterday's work is still logged, today's is not
    async with sm() as s, s.begin():
        await apply_directory_event(s, employee(org, "GONE", "KASUBAG", active=False).model_copy(
            update={"end_date": TODAY - dt.timedelta(days=1), "end_reason": "pensiun"}))
    last = await create(sm, org, "GONE", data=entry(day=TODAY - dt.timedelta(days=1)),
                        submit=False)
    assert await refused(create(sm, org, "GONE")) == "duty_ended"
    # nor moved there by an edit
    assert await refused(run(sm, edit_entry, org, last.id, "GONE", entry(), cfg=CFG,
                             now=NOW)) == "duty_ended"


async def test_rejected_entry_is_revised_and_resubmitted(sm, org):
    e = await create(sm, org)
    assert await refused(run(sm, edit_entry, org, e.id, "STAFF", entry(end=T(9, 30)),
                             cfg=CFG, now=NOW)) == "not_editable"
    await run(sm, decide, org, e.id, "KASUBAG", approve=False, reason="Uraian kurang jelas",
              cfg=CFG, now=NOW)
    assert await refused(run(sm, edit_entry, org, e.id, "STAFF2", entry(), cfg=CFG,
                             now=NOW)) == "not_owner"
    assert await refused(run(sm, edit_entry, org, e.id, "STAFF", entry(), cfg=CFG,
                             expected_version=1, now=NOW)) == "stale_version"
    revised = await run(sm, edit_entry, org, e.id, "STAFF",
                        entry(end=T(9, 30), description="Menyusun laporan keuangan bulanan"),
                        cfg=CFG, now=NOW)
    assert (revised.status, revised.minutes) == ("rejected", 90)
    again = await run(sm, submit_entry, org, e.id, "STAFF", cfg=CFG, now=NOW)
    assert again.status == "submitted" and again.decided_by is None
    done = await run(sm, decide, org, e.id, "KASUBAG", approve=True, cfg=CFG, now=NOW)
    assert done.status == "approved"
    trail = await run(sm, history, org, e.id)
    assert [(t.from_status, t.to_status, t.actor_nip) for t in trail] == [
        (None, "draft", "STAFF"), ("draft", "submitted", "STAFF"),
        ("submitted", "rejected", "KASUBAG"), ("rejected", "submitted", "STAFF"),
        ("submitted", "approved", "KASUBAG")]
    assert trail[2].reason == "Uraian kurang jelas"
    types = [x.event_type for x in await outbox(sm, org)]
    assert types == ["activity.entry.submitted", "activity.entry.rejected",
                     "activity.entry.submitted", "activity.entry.approved"]
    approved = (await outbox(sm, org))[-1]
    assert (approved.minutes, approved.version, approved.actor_nip) == (90, done.version, "KASUBAG")


async def test_late_rejection_can_still_be_revised_before_the_deadline(sm, org):
    day = TODAY - dt.timedelta(days=6)
    e = await create(sm, org, data=entry(day=day))
    later = NOW + dt.timedelta(days=5)  # 11 days after the work date: window passed
    await run(sm, decide, org, e.id, "KASUBAG", approve=False, reason="Lengkapi output",
              cfg=CFG, now=later)
    revised = await run(sm, edit_entry, org, e.id, "STAFF", entry(
        day=day, output_quantity=Decimal("1"), output_unit="laporan"), cfg=CFG, submit=True,
        now=later)
    assert revised.status == "submitted"
    # but moving it to another date is a new record under the window
    await run(sm, decide, org, e.id, "KASUBAG", approve=False, reason="Lagi", cfg=CFG,
              now=later)
    assert await refused(run(sm, edit_entry, org, e.id, "STAFF",
                             entry(day=day - dt.timedelta(days=1)), cfg=CFG,
                             now=later)) == "edit_window_passed"
    # a draft gets no such favour
    d = await create(sm, org, data=entry(day=day, start=T(10, 0), end=T(11, 0)), submit=False)
    assert await refused(run(sm, submit_entry, org, d.id, "STAFF", cfg=CFG, now=later)) \
        == "edit_window_passed"


async def test_resubmission_runs_the_checks_again(sm, org):
    e = await create(sm, org)
    await run(sm, decide, org, e.id, "KASUBAG", approve=False, reason="Ulangi", cfg=CFG,
              now=NOW)
    await create(sm, org, data=entry(start=T(8, 30), end=T(9, 30)))  # rejected one is free
    assert await refused(run(sm, submit_entry, org, e.id, "STAFF", cfg=CFG, now=NOW)) \
        == "overlap"


async def test_draft_is_not_decidable_and_reject_needs_reason(sm, org):
    d = await create(sm, org, submit=False)
    assert await refused(run(sm, decide, org, d.id, "KASUBAG", approve=True, cfg=CFG,
                             now=NOW)) == "invalid_transition"
    await run(sm, submit_entry, org, d.id, "STAFF", cfg=CFG, now=NOW)
    assert await refused(run(sm, decide, org, d.id, "KASUBAG", approve=False, reason=" ",
                             cfg=CFG, now=NOW)) == "reason_required"


# --- who decides ------------------------------------------------------------------------------


async def test_self_and_wrong_supervisor_refused(sm, org):
    e = await create(sm, org)
    for approver, code in [("STAFF", "self_approval"), ("KABAG", "not_supervisor"),
                           ("STAFF2", "not_supervisor"), ("OTHER", "not_supervisor")]:
        assert await refused(run(sm, decide, org, e.id, approver, approve=True, cfg=CFG,
                                 now=NOW)) == code
    # a Kasubag's own entry goes to the Kabag, and the Kabag's to the Kepala OPD
    k = await create(sm, org, "KASUBAG")
    assert await refused(run(sm, decide, org, k.id, "KASUBAG", approve=True, cfg=CFG,
                             now=NOW)) == "self_approval"
    assert (await run(sm, decide, org, k.id, "KABAG", approve=True, cfg=CFG,
                      now=NOW)).status == "approved"
    assert await outbox(sm, org) and not [
        x for x in await outbox(sm, org) if x.event_type == "activity.entry.approved"
        and x.entry_id == e.id]


async def test_acting_supervisor_for_a_date_range(sm, org):
    e = await create(sm, org)
    plh = ActingAssignment("KASUBAG", "STAFF2", ActingKind.PLH, TODAY - dt.timedelta(days=1),
                           TODAY + dt.timedelta(days=2))
    assert await refused(run(sm, decide, org, e.id, "STAFF2", approve=True, cfg=CFG,
                             now=NOW)) == "not_supervisor"
    await run(sm, add_acting, org, plh)
    # the acting official sees the queue of the official they stand in for, minus their own
    own = await create(sm, org, "STAFF2")
    queue = await run(sm, approval_queue, org, "STAFF2", cfg=CFG, now=NOW)
    assert [q.id for q in queue] == [e.id]
    assert await refused(run(sm, decide, org, own.id, "STAFF2", approve=True, cfg=CFG,
                             now=NOW)) == "self_approval"
    # after the range it no longer applies
    later = NOW + dt.timedelta(days=3)
    assert await refused(run(sm, decide, org, e.id, "STAFF2", approve=True, cfg=CFG,
                             now=later)) == "not_supervisor"
    assert await run(sm, approval_queue, org, "STAFF2", cfg=CFG, now=later) == []
    done = await run(sm, decide, org, e.id, "STAFF2", approve=True, cfg=CFG, now=NOW)
    assert (done.status, done.decided_by) == ("approved", "STAFF2")


async def test_acting_assignments_are_published_with_their_changes(sm, org):
    """Activity owns the Plt/Plh assignments: recording one and withdrawing it each stage
    ``ActingAssignmentUpserted`` (full state; the second with ``removed``) in the same
    transaction, for attendance and scoring."""
    plh = ActingAssignment("KASUBAG", "STAFF2", ActingKind.PLH, TODAY, TODAY)
    row = await run(sm, add_acting, org, plh)
    await run(sm, remove_acting, org, row.id)
    published = [e for e in await outbox(sm, org) if isinstance(e, ev.ActingAssignmentUpserted)]
    assert [(e.assignment_id, e.principal_nip, e.acting_nip, e.kind, e.start_date, e.end_date,
             e.removed, e.key()) for e in published] == [
        (row.id, "KASUBAG", "STAFF2", "plh", TODAY, TODAY, removed, f"{org}:STAFF2")
        for removed in (False, True)]
    with pytest.raises(DomainError):  # refused: nothing staged
        await run(sm, add_acting, org, ActingAssignment("KASUBAG", "KASUBAG", ActingKind.PLT,
                                                        TODAY, TODAY))
    assert len([e for e in await outbox(sm, org)
                if isinstance(e, ev.ActingAssignmentUpserted)]) == 2


async def test_supervisor_change_takes_effect_from_its_date(sm, org):
    before = await create(sm, org, data=entry(day=TODAY - dt.timedelta(days=3)))
    after = await create(sm, org, data=entry(day=TODAY - dt.timedelta(days=1)))
    async with sm() as s, s.begin():
        await apply_directory_event(s, employee(org, "STAFF", "KABAG",
                                                effective_from=TODAY - dt.timedelta(days=2)))
    async with sm() as s:
        b = await get_entry(s, org, before.id)
        a = await get_entry(s, org, after.id)
    assert (b.supervisor_nip, a.supervisor_nip) == ("KASUBAG", "KABAG")
    assert await refused(run(sm, decide, org, after.id, "KASUBAG", approve=True, cfg=CFG,
                             now=NOW)) == "not_supervisor"
    await run(sm, decide, org, after.id, "KABAG", approve=True, cfg=CFG, now=NOW)
    await run(sm, decide, org, before.id, "KASUBAG", approve=True, cfg=CFG, now=NOW)
    # an older event arriving late does not undo the newer state
    async with sm() as s, s.begin():
        await apply_directory_event(s, employee(org, "STAFF", "OTHER", days_ago=200,
                                                effective_from=TODAY - dt.timedelta(days=2)))
    fresh = await create(sm, org, data=entry(start=T(10, 0), end=T(11, 0)))
    assert fresh.supervisor_nip == "KABAG"

    # a change announced for a later date leaves today's entries with today's supervisor
    async with sm() as s, s.begin():
        await apply_directory_event(s, employee(org, "STAFF2", "KABAG",
                                                effective_from=TODAY + dt.timedelta(days=10)))
    planned = await create(sm, org, "STAFF2")
    assert planned.supervisor_nip == "KASUBAG"
    async with sm() as s:
        assert await resolve_supervisor(s, org, "STAFF2", TODAY + dt.timedelta(days=10)) \
            == "KABAG"


# --- revocation ------------------------------------------------------------------------------


async def test_verifier_revokes_an_approved_entry(sm, org):
    e = await create(sm, org)
    await run(sm, decide, org, e.id, "KASUBAG", approve=True, cfg=CFG, now=NOW)
    assert await refused(run(sm, revoke, org, e.id, "OTHER", "Membaca koran", cfg=CFG,
                             now=NOW)) == "not_verifier"
    await run(sm, add_verifier, org, "OTHER")
    await run(sm, add_verifier, org, "STAFF")
    assert await refused(run(sm, revoke, org, e.id, "STAFF", "Membaca koran", cfg=CFG,
                             now=NOW)) == "self_revocation"
    assert await refused(run(sm, revoke, org, e.id, "OTHER", "  ", cfg=CFG,
                             now=NOW)) == "reason_required"
    r = await run(sm, revoke, org, e.id, "OTHER", "Membaca koran", cfg=CFG, now=NOW)
    assert (r.status, r.reason) == ("revoked", "Membaca koran")
    last = (await outbox(sm, org))[-1]
    assert isinstance(last, ev.ActivityEntryRevoked)
    assert (last.minutes, last.reason, last.version) == (60, "Membaca koran", r.version)
    assert await refused(run(sm, revoke, org, e.id, "OTHER", "Lagi", cfg=CFG, now=NOW)) \
        == "invalid_transition"
    pending = await create(sm, org, data=entry(start=T(10, 0), end=T(11, 0)))
    assert await refused(run(sm, revoke, org, pending.id, "OTHER", "x y z", cfg=CFG,
                             now=NOW)) == "invalid_transition"


# --- bulk ------------------------------------------------------------------------------------


async def test_bulk_decisions_one_event_per_decided_entry(sm, org):
    ids = []
    for day_back in range(5):
        for h in range(8, 14):
            e = await create(sm, org, data=entry(day=TODAY - dt.timedelta(days=day_back),
                                                 start=T(h, 0), end=T(h, 30)))
            ids.append(e.id)
    own = await create(sm, org, "KASUBAG")
    foreign = await create(sm, org, "OTHER")
    decisions = [Decision(i, approve=n % 3 != 0, reason=None if n % 3 else "Tidak sesuai")
                 for n, i in enumerate(ids)]
    decisions += [Decision(own.id, True), Decision(foreign.id, True), Decision(uuid.uuid4(), True),
                  Decision(ids[0], True), Decision(ids[1], False)]  # repeat, no reason
    before = len(await outbox(sm, org))
    outs = await run(sm, decide_many, org, "KASUBAG", decisions, cfg=CFG, now=NOW)
    assert [o.ok for o in outs[:len(ids)]] == [True] * len(ids)
    assert [o.error.code for o in outs[len(ids):]] == [
        "self_approval", "not_supervisor", "unknown_entry", "duplicate_decision",
        "duplicate_decision"]
    events = (await outbox(sm, org))[before:]
    assert len(events) == len(ids)
    assert {e.entry_id for e in events} == set(ids)
    assert sum(isinstance(e, ev.ActivityEntryRejected) for e in events) == len(ids[::3])
    async with sm() as s:
        n = await s.scalar(select(func.count()).select_from(EntryTransition).where(
            EntryTransition.entry_id.in_(ids), EntryTransition.to_status.in_(
                ["approved", "rejected"])))
    assert n == len(ids)
    assert await run(sm, approval_queue, org, "KASUBAG", cfg=CFG, now=NOW) == []


async def test_bulk_limit(sm, org):
    cfg = Config(bulk_limit=2)
    assert await refused(run(sm, decide_many, org, "KASUBAG",
                             [Decision(uuid.uuid4(), True)] * 3, cfg=cfg)) == "too_many_decisions"


# --- deadlines and reminders -------------------------------------------------------------------


async def test_pending_entries_expire_after_the_deadline(sm, org):
    await run(sm, set_rules, org, {"edit_window_days": 30, "approval_deadline_day": 5}, CFG)
    feb = await create(sm, org, data=entry(day=dt.date(2026, 2, 27)),
                       now=dt.datetime(2026, 3, 2, 7, 0, tzinfo=dt.UTC))
    mar = await create(sm, org)
    approved = await create(sm, org, data=entry(day=dt.date(2026, 2, 26)),
                            now=dt.datetime(2026, 3, 2, 7, 0, tzinfo=dt.UTC))
    await run(sm, decide, org, approved.id, "KASUBAG", approve=True, cfg=CFG,
              now=dt.datetime(2026, 3, 3, 7, 0, tzinfo=dt.UTC))
    on_mar3 = dt.datetime(2026, 3, 3, 7, 0, tzinfo=dt.UTC)
    counts = await run(sm, pending_counts, org, cfg=CFG, now=on_mar3)
    assert [(c.supervisor_nip, c.pending, c.oldest_work_date, c.nearest_deadline)
            for c in counts] == [("KASUBAG", 2, dt.date(2026, 2, 27), dt.date(2026, 3, 5))]
    queue = await run(sm, approval_queue, org, "KASUBAG", cfg=CFG, now=on_mar3)
    assert {q.id for q in queue} == {feb.id, mar.id}
    # after the deadline the February entry is no longer offered nor counted
    queue = await run(sm, approval_queue, org, "KASUBAG", cfg=CFG, now=NOW)
    assert [q.id for q in queue] == [mar.id]
    counts = await run(sm, pending_counts, org, cfg=CFG, now=NOW)
    assert [(c.supervisor_nip, c.pending) for c in counts] == [("KASUBAG", 1)]
    # too late to approve, even before the job ran
    assert await refused(run(sm, decide, org, feb.id, "KASUBAG", approve=True, cfg=CFG,
                             now=NOW)) == "deadline_passed"
    assert await run(sm, expire_pending, org, cfg=CFG, now=NOW) == 1
    assert await run(sm, expire_pending, org, cfg=CFG, now=NOW) == 0  # idempotent
    async with sm() as s:
        f, m, a = [await get_entry(s, org, x.id) for x in (feb, mar, approved)]
    assert (f.status, m.status, a.status) == ("expired", "submitted", "approved")
    assert "05-03-2026" in f.reason
    last = (await outbox(sm, org))[-1]
    assert isinstance(last, ev.ActivityEntryExpired) and last.entry_id == feb.id
    trail = await run(sm, history, org, feb.id)
    assert (trail[-1].to_status, trail[-1].actor_nip, trail[-1].reason) == (
        "expired", None, f.reason)
    counts = await run(sm, pending_counts, org, cfg=CFG, now=NOW)
    assert [(c.supervisor_nip, c.pending) for c in counts] == [("KASUBAG", 1)]


async def test_expire_all_tenants(sm, org):
    await run(sm, set_rules, org, {"edit_window_days": 30}, CFG)
    old = await create(sm, org, data=entry(day=dt.date(2026, 2, 20)),
                       now=dt.datetime(2026, 2, 25, 7, 0, tzinfo=dt.UTC))
    done = await expire_all_tenants(UnitOfWork(sm), cfg=CFG, now=NOW)
    assert done.get(org) == 1
    async with sm() as s:
        assert (await get_entry(s, org, old.id)).status == "expired"


async def test_decisions_refused_in_a_closed_month(sm, org):
    e = await create(sm, org)
    await run(sm, apply_period_event, ev.PeriodClosed(tenant_id=org, period="2026-03"))
    assert await refused(run(sm, decide, org, e.id, "KASUBAG", approve=True, cfg=CFG,
                             now=NOW)) == "period_closed"
    # an older reopen arriving late does not reopen it
    await run(sm, apply_period_event, ev.PeriodReopened(
        tenant_id=org, period="2026-03", occurred_at=NOW - dt.timedelta(days=1)))
    assert await run(sm, closed_periods, org) == frozenset({"2026-03"})


# --- rules admin -------------------------------------------------------------------------------


async def test_rules_default_and_override(sm, org):
    assert await run(sm, load_rules, org, CFG) == TenantRules()
    r = await run(sm, set_rules, org, {"approval_deadline_day": 5, "edit_window_days": None},
                  CFG)
    assert r == TenantRules(approval_deadline_day=5)
    with pytest.raises(RuleViolation):
        await run(sm, set_rules, org, {"approval_deadline_day": 30}, CFG)
    assert (await run(sm, load_rules, org, CFG)).approval_deadline_day == 5


async def test_a_partial_rules_update_keeps_what_it_does_not_mention(sm, org):
    await run(sm, set_rules, org, {"edit_window_days": 3, "daily_cap_minutes": 400}, CFG)
    r = await run(sm, set_rules, org, {"approval_deadline_day": 5}, CFG)
    assert r == TenantRules(edit_window_days=3, daily_cap_minutes=400, approval_deadline_day=5)
    assert await run(sm, load_rules, org, CFG) == r
    # a value equal to the default is kept as given (no way back by leaving it out)
    r = await run(sm, set_rules, org, {"edit_window_days": 7}, CFG)
    assert r == TenantRules(edit_window_days=7, daily_cap_minutes=400, approval_deadline_day=5)


# --- plans and agenda --------------------------------------------------------------------------


async def test_plan_realisation_and_agenda(sm, org):
    plan = await run(sm, create_plan_item, org, "STAFF", NewPlanItem(
        "2026-03", PlanKind.SKP, "Menyusun 10 laporan", Decimal("10"), "laporan"))
    morning = await run(sm, create_agenda_item, org, "STAFF", NewAgendaItem(
        TODAY, AgendaSlot.MORNING, "Laporan A", plan.id))
    afternoon = await run(sm, create_agenda_item, org, "STAFF", NewAgendaItem(
        TODAY, AgendaSlot.AFTERNOON, "Rapat"))
    a = await create(sm, org, data=entry(output_quantity=Decimal("3"), output_unit="laporan",
                                         plan_item_id=plan.id, agenda_item_id=morning.id))
    b = await create(sm, org, data=entry(start=T(9, 0), end=T(10, 0),
                                         output_quantity=Decimal("2"), plan_item_id=plan.id))
    await create(sm, org, data=entry(start=T(12, 0), end=T(13, 0), agenda_item_id=afternoon.id))
    await run(sm, decide, org, a.id, "KASUBAG", approve=True, cfg=CFG, now=NOW)
    [real] = await run(sm, list_plans, org, "STAFF", "2026-03")
    assert (real.approved_quantity, real.realisation_pct, real.approved_entries) == (
        Decimal("3"), Decimal("30.00"), 1)
    await run(sm, decide, org, b.id, "KASUBAG", approve=True, cfg=CFG, now=NOW)
    [real] = await run(sm, list_plans, org, "STAFF", "2026-03")
    assert real.realisation_pct == Decimal("50.00")
    views = await run(sm, list_agenda, org, "STAFF", TODAY, TODAY)
    assert [(v.item.slot, v.state) for v in views] == [("morning", "done"),
                                                       ("afternoon", "reported")]
    # links must fit the entry
    assert await refused(create(sm, org, "STAFF2", data=entry(plan_item_id=plan.id))) \
        == "plan_mismatch"
    assert await refused(create(sm, org, data=entry(
        day=TODAY - dt.timedelta(days=1), agenda_item_id=morning.id))) == "agenda_mismatch"
    assert await refused(create(sm, org, data=entry(start=T(10, 0), end=T(11, 0),
                                                    plan_item_id=uuid.uuid4()))) \
        == "unknown_plan_item"
    assert await refused(run(sm, create_plan_item, org, "STAFF", NewPlanItem(
        "2026-03", PlanKind.RPOK, "Nol", Decimal("0"), "x"))) == "invalid_target"


async def test_a_decision_on_a_stale_read_is_refused_without_event(sm, org):
    e = await create(sm, org)
    async with sm() as b:
        await b.begin()
        stale = await get_entry(b, org, e.id)  # B reads it while still submitted
        stale_version = stale.version
        async with sm() as a, a.begin():
            await decide(a, org, e.id, "KASUBAG", approve=True, cfg=CFG, now=NOW)
        assert stale.version == stale_version  # B's copy is stale
        out = Outcome(e.id, stale)
        await _apply_decisions(b, [(stale, Decision(e.id, False, "Tidak jelas"), out)],
                               "KASUBAG", NOW)
        assert out.error is not None and out.error.code == "concurrent_decision"
        await b.commit()
    decisions = [x for x in await outbox(sm, org) if x.event_type != "activity.entry.submitted"]
    assert [(x.event_type, x.entry_id) for x in decisions] == [("activity.entry.approved", e.id)]
    async with sm() as s:
        assert (await get_entry(s, org, e.id)).status == "approved"

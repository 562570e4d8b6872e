"""The v2 days contract: the verdicts of one transaction travel as
``AttendanceDaysEvaluated``, one event per lane of employees, and a consumer reads each of
its days as the v1 ``AttendanceDayEvaluated`` (``each_day``). One employee's days must stay
on one partition (a later revision must not overtake an earlier one), a replay must give
the same per-day ids, and what v1 wrote must still read."""

import datetime as dt
import json
import random
import uuid
from decimal import Decimal

import pytest
from pydantic import ValidationError

from ekinerja_shared import events as ev
from ekinerja_shared.timeutil import zone
from ekinerja_shared.topics import ATTENDANCE_DAY_BATCHES, ATTENDANCE_DAYS, topic_for

WIT = zone("WIT")
NOW = dt.datetime(2026, 11, 25, 1, 0, tzinfo=dt.UTC)


def verdict(nip: str, day: int = 24, revision: int = 1, **kw: object) -> ev.EvaluatedDay:
    return ev.EvaluatedDay(nip=nip, work_date=dt.date(2026, 11, day), revision=revision,
                           **kw)  # type: ignore[arg-type]


def late(nip: str, day: int = 24, revision: int = 1) -> ev.EvaluatedDay:
    """A day with every field a verdict can carry (the largest item)."""
    d = dt.date(2026, 11, day)
    return verdict(nip, day, revision, status="present",
                   arrival=dt.datetime.combine(d, dt.time(7, 41), WIT),
                   departure=dt.datetime.combine(d, dt.time(15, 2), WIT), late_minutes=11,
                   early_minutes=58, tl_code="TL1", psw_code="PSW2", absence_code=None,
                   apel_attended=False, deduction_pct=Decimal("2.5"))


def nips(count: int, seed: int = 7) -> list[str]:
    rng = random.Random(seed)
    return [f"19{rng.randrange(10**16):016d}" for _ in range(count)]


def test_the_days_of_a_transaction_become_one_event_per_lane_in_order() -> None:
    people = nips(40)
    days = [verdict(nip, day) for day in (23, 24) for nip in people]
    batches = ev.day_batches("kendari", days, occurred_at=NOW)
    assert [b.lane for b in batches] == sorted({ev.lane_of("kendari", n) for n in people})
    assert len(batches) == ev.LANES == ATTENDANCE_DAY_BATCHES.partitions
    for b in batches:
        assert {ev.lane_of("kendari", d.nip) for d in b.days} == {b.lane}
        assert b.key() == ev.lane_key("kendari", b.lane)  # lane n -> partition n
        assert topic_for(b) is ATTENDANCE_DAY_BATCHES
        assert (b.tenant_id, b.occurred_at, b.schema_version) == ("kendari", NOW, 2)
        # each lane keeps the verdicts' order: an employee's 23rd before the 24th
        assert list(b.days) == [d for d in days if ev.lane_of("kendari", d.nip) == b.lane]
    assert sorted((d.nip, d.work_date) for b in batches for d in b.days) == sorted(
        (d.nip, d.work_date) for d in days)
    assert ev.day_batches("kendari", [], occurred_at=NOW) == []


def test_an_employees_days_share_the_lane_of_the_employees_punches() -> None:
    """One lane per employee for both topics: the evaluation of a partition's punches
    emits to the same partition of the days topic."""
    for nip in nips(200):
        [punches] = ev.punch_batches("badung", [ev.PunchLine(
            nip=nip, device_sn="ZK1", pin="7", punched_at=NOW, local_time=dt.datetime(
                2026, 11, 24, 7))], occurred_at=NOW)
        [days] = ev.day_batches("badung", [verdict(nip)], occurred_at=NOW)
        assert punches.lane == days.lane and punches.key() == days.key()


def test_a_large_lane_is_split_so_that_no_record_nears_a_megabyte() -> None:
    many = [late("198001012005011001", 1 + i % 28, revision=1 + i // 28) for i in range(2_500)]
    batches = ev.day_batches("badung", many, occurred_at=NOW)
    assert [len(b.days) for b in batches] == [1_000, 1_000, 500]
    assert [d for b in batches for d in b.days] == many
    biggest = max(len(ev.dump_event(b)) for b in batches)
    assert biggest < 600_000, biggest  # Kafka's default record limit is 1 MiB


def test_each_day_reads_as_its_v1_event_with_the_same_id_on_every_read() -> None:
    [batch] = ev.day_batches("kendari", [late(n) for n in nips(3)][:1] + [verdict(
        nips(3)[0], 25, absence_code="TK", status="absent", deduction_pct=Decimal("3"))],
        occurred_at=NOW)
    first = batch.each_day()
    again = ev.parse_event(ev.dump_event(batch))
    assert isinstance(again, ev.AttendanceDaysEvaluated)
    assert [d.event_id for d in again.each_day()] == [d.event_id for d in first]
    assert len({d.event_id for d in first}) == 2 and batch.event_id not in {
        d.event_id for d in first}
    for item, day in zip(batch.days, first, strict=True):
        assert type(day) is ev.AttendanceDayEvaluated
        assert (day.tenant_id, day.occurred_at, day.event_type, day.schema_version) == (
            "kendari", NOW, "attendance.day.evaluated", 1)
        assert ev.EvaluatedDay.model_validate(day.model_dump()) == item
        # built without validation, yet what validation builds: the same fields, values
        # and fields set, and what it dumps parses back to the same event
        validated = ev.AttendanceDayEvaluated.model_validate(day.model_dump())
        assert validated == day and validated.model_fields_set == day.model_fields_set
        assert ev.parse_event(ev.dump_event(day)) == day
        assert day.key() == f"kendari:{item.nip}" and topic_for(day) is ATTENDANCE_DAYS
    # another batch with the same day (a redelivery under a new id) gives other ids
    copy = batch.model_copy(update={"event_id": uuid.uuid4()})
    assert {d.event_id for d in copy.each_day()}.isdisjoint(d.event_id for d in first)


def test_each_fact_replaces_only_the_batches_of_days_in_order() -> None:
    [batch] = ev.day_batches("cilegon", [verdict("1"), verdict("1", 25)], occurred_at=NOW)
    tenant = ev.TenantUpserted(tenant_id="cilegon", name="Kota Cilegon",
                               timezone="Asia/Jakarta", policy_preset="cilegon")
    v1 = ev.AttendanceDayEvaluated(tenant_id="cilegon", nip="2", work_date=dt.date(2026, 11, 2),
                                   revision=1)
    facts = list(ev.each_fact([tenant, batch, v1]))
    assert facts[0] is tenant and facts[-1] is v1
    assert [(type(f).__name__, getattr(f, "work_date", None)) for f in facts[1:3]] == [
        ("AttendanceDayEvaluated", dt.date(2026, 11, 24)),
        ("AttendanceDayEvaluated", dt.date(2026, 11, 25))]


def test_the_event_round_trips_and_refuses_what_breaks_the_contract() -> None:
    [batch] = ev.day_batches("kukar", [late("198001012005011001")], occurred_at=NOW)
    back = ev.parse_event(ev.dump_event(batch))
    assert back == batch and isinstance(back, ev.AttendanceDaysEvaluated)
    assert back.days[0].arrival is not None
    assert back.days[0].arrival.utcoffset() == dt.timedelta(hours=9)
    raw = json.loads(ev.dump_event(batch))
    item = raw["days"][0]
    for bad in ({**raw, "days": []}, {**raw, "lane": ev.LANES}, {**raw, "lane": -1},
                {**raw, "days": [{**item, "arrival": "2026-11-24T07:41:00"}]},
                {**raw, "days": [{**item, "revision": 0}]},
                {**raw, "days": [{**item, "deduction_pct": "100.5"}]},
                {**raw, "days": [{**item, "status": "bolos"}]}):
        with pytest.raises(ValidationError):
            ev.parse_event(json.dumps(bad))
    newer = {**raw, "future": 1, "days": [{**item, "future": 2}]}  # added fields: ignored
    assert ev.parse_event(json.dumps(newer)) == batch


def test_a_v1_day_as_an_earlier_version_wrote_it_still_reads() -> None:
    """What the v1 topic keeps for good (scoring's rebuild replays it)."""
    raw = ('{"event_id":"0b0f7a52-2f7e-4b8e-9a55-3d0c1c4f3a11",'
           '"event_type":"attendance.day.evaluated","schema_version":1,"tenant_id":"kukar",'
           '"occurred_at":"2026-11-24T08:00:03.120000Z","nip":"198001012005011001",'
           '"work_date":"2026-11-24","revision":2,"is_working_day":true,"status":"present",'
           '"arrival":"2026-11-24T07:41:00+08:00","departure":null,"late_minutes":11,'
           '"early_minutes":0,"tl_code":"TL1","psw_code":null,"absence_code":null,'
           '"apel_attended":true,"deduction_pct":"0.5"}')
    old = ev.parse_event(raw)
    assert isinstance(old, ev.AttendanceDayEvaluated) and isinstance(old, ev.EvaluatedDay)
    assert old.key() == "kukar:198001012005011001"
    assert (old.revision, old.late_minutes, old.deduction_pct) == (2, 11, Decimal("0.5"))
    assert ev.parse_event(ev.dump_event(old)) == old

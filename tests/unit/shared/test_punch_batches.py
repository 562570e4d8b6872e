"""The v2 punches contract: an upload's punches travel as ``PunchesRecorded``, one event
per lane of employees. One employee's punches must always land on one partition (the
evaluation of a day is serialised by its partition), and the lanes of a regency must use
every partition of the topic (the evaluation scales with its consumer instances)."""

import datetime as dt
import json
import random

import pytest
from aiokafka.partitioner import DefaultPartitioner
from pydantic import ValidationError

from ekinerja_shared import events as ev
from ekinerja_shared.partitioning import partition_of
from ekinerja_shared.topics import ATTENDANCE_PUNCH_BATCHES, topic_for
from ekinerja_shared.timeutil import zone

WITA = zone("WITA")
NOW = dt.datetime(2026, 11, 25, 1, 0, tzinfo=dt.UTC)


def line(nip: str, minute: int = 0, pin: str = "7") -> ev.PunchLine:
    local = dt.datetime(2026, 11, 24, 7, minute)
    return ev.PunchLine(nip=nip, device_sn="ZK1", pin=pin, punched_at=local.replace(tzinfo=WITA),
                        local_time=local)


def nips(count: int, seed: int = 5) -> list[str]:
    rng = random.Random(seed)
    return [f"19{rng.randrange(10**16):016d}" for _ in range(count)]


def test_a_lane_is_the_partition_of_the_employees_own_key() -> None:
    partitions = list(range(ATTENDANCE_PUNCH_BATCHES.partitions))
    for tenant in ("cilegon", "kukar", "kab-" + "x" * 60):
        for nip in nips(300):
            assert ev.lane_of(tenant, nip) == partition_of(
                ev.event_key(tenant, nip).encode(), partitions)


@pytest.mark.parametrize("tenant", ["cilegon", "kukar", "kediri", "kendari", "badung"])
def test_each_lanes_key_goes_to_its_own_partition(tenant: str) -> None:
    count = ATTENDANCE_PUNCH_BATCHES.partitions
    assert count == ev.LANES
    partitions = list(range(count))
    keys = [ev.lane_key(tenant, lane) for lane in range(count)]
    assert len(set(keys)) == count and all(k.startswith(f"{tenant}:*") for k in keys)
    # the producer's default partitioner (Kafka's Java one) sends lane n to partition n
    assert [DefaultPartitioner()(k.encode(), partitions, partitions) for k in keys] == partitions
    assert ev.lane_key(tenant, 3) == keys[3]  # the same key every time


def test_an_upload_becomes_one_event_per_lane_in_the_lines_order() -> None:
    people = nips(40)
    lines = [line(nip, minute) for minute in (0, 30) for nip in people]
    batches = ev.punch_batches("kukar", lines, occurred_at=NOW)
    assert [b.lane for b in batches] == sorted({ev.lane_of("kukar", n) for n in people})
    assert len(batches) == ev.LANES  # 40 employees fill every lane
    for b in batches:
        assert {ev.lane_of("kukar", p.nip) for p in b.punches} == {b.lane}
        assert b.key() == ev.lane_key("kukar", b.lane)
        assert topic_for(b) is ATTENDANCE_PUNCH_BATCHES
        assert (b.tenant_id, b.occurred_at, b.schema_version) == ("kukar", NOW, 2)
    # nothing lost, nothing twice, and each lane keeps the lines' order
    assert sorted((p.nip, p.local_time) for b in batches for p in b.punches) == sorted(
        (p.nip, p.local_time) for p in lines)
    for b in batches:
        assert list(b.punches) == [p for p in lines if ev.lane_of("kukar", p.nip) == b.lane]
    assert ev.punch_batches("kukar", [], occurred_at=NOW) == []


def test_a_large_lane_is_split_so_that_no_record_nears_a_megabyte() -> None:
    many = [line("198001012005011001", i % 60, pin=str(i)) for i in range(2_500)]
    batches = ev.punch_batches("badung", many, occurred_at=NOW)
    assert [len(b.punches) for b in batches] == [1_000, 1_000, 500]
    assert [p for b in batches for p in b.punches] == many
    assert len({b.event_id for b in batches}) == 3
    biggest = max(len(ev.dump_event(b)) for b in batches)
    assert biggest < 400_000, biggest


def test_the_event_round_trips_and_refuses_what_breaks_the_contract() -> None:
    [batch] = ev.punch_batches("kendari", [line(n) for n in nips(3)][:1], occurred_at=NOW)
    back = ev.parse_event(ev.dump_event(batch))
    assert back == batch and isinstance(back, ev.PunchesRecorded)
    assert back.punches[0].punched_at.utcoffset() == dt.timedelta(hours=8)
    raw = json.loads(ev.dump_event(batch))
    for bad in ({**raw, "punches": []}, {**raw, "lane": ev.LANES}, {**raw, "lane": -1},
                {**raw, "punches": [{**raw["punches"][0], "punched_at": "2026-11-24T07:00:00"}]}):
        with pytest.raises(ValidationError):
            ev.parse_event(json.dumps(bad))
    # a field added later is ignored, in the event and in each punch
    newer = {**raw, "future": 1, "punches": [{**raw["punches"][0], "future": 2}]}
    assert ev.parse_event(json.dumps(newer)) == batch


def test_a_v1_punch_as_an_earlier_version_wrote_it_still_reads() -> None:
    """What an upgrade finds unread on the v1 topic (attendance still evaluates it)."""
    raw = ('{"event_id":"5549fc8a-7858-4e53-8636-a738b9db2a2b",'
           '"event_type":"attendance.punch.recorded","schema_version":1,"tenant_id":"kukar",'
           '"occurred_at":"2026-11-25T01:24:34.249665Z","nip":"198001012005011001",'
           '"device_sn":"ZK1","pin":"7","punched_at":"2026-11-24T07:00:00+08:00",'
           '"local_time":"2026-11-24T07:00:00","status_code":0,"verify_type":1}')
    old = ev.parse_event(raw)
    assert isinstance(old, ev.PunchRecorded) and isinstance(old, ev.PunchLine)
    assert old.key() == "kukar:198001012005011001"
    assert (old.punched_at, old.verify_type) == (dt.datetime(2026, 11, 24, 7, tzinfo=WITA), 1)
    assert ev.parse_event(ev.dump_event(old)) == old

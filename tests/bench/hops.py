"""Where a live probe's time goes (bench_live): each hop of its path, read back from the
Kafka records of the run.

Every event carries ``occurred_at``, the moment its service began the work that made it,
and its Kafka record carries the moment the outbox relay sent it (the producer's
CreateTime). A punch probe's path is
  request sent -> ``PunchesRecorded`` made (gateway + attendance's upload)
  -> sent (attendance's commit and relay)
  -> ``AttendanceDaysEvaluated`` made (waiting in the punches topic + evaluation consumer)
  -> sent (attendance's commit and relay)
  -> ``ScoreUpdated`` made (waiting in the days topic + scoring's consumer)
  -> sent (scoring's commit and relay)
  -> on the stream (the gateway's fan-out and SSE);
an approval's path begins with ``ActivityEntryApproved`` made and sent by activity.
For each hop, the median and the worst over the probes, in ms."""

from __future__ import annotations

import asyncio
import contextlib
import json
import statistics
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from itertools import pairwise
from typing import Any

from aiokafka import AIOKafkaConsumer, TopicPartition

from ekinerja_shared import topics

PUNCH_HOPS = ("recorded", "punch_sent", "day_evaluated", "day_sent", "scored", "score_sent",
              "streamed")
APPROVAL_HOPS = ("approved", "approval_sent", "scored", "score_sent", "streamed")


@dataclass
class Probe:
    kind: str  # "punch" | "approval"
    nip: str
    sent_at: float  # wall clock (time.time()) when the request was sent
    streamed_at: float | None = None  # wall clock of its score update on the stream
    entry_id: str | None = None  # the approval's entry


@dataclass(frozen=True)
class Record:
    event: dict[str, Any]
    made: float  # occurred_at, wall clock
    sent: float  # the record's timestamp, wall clock


async def _records(bootstrap: str, topic: topics.Topic, since: float,
                   tenant: str) -> dict[str, list[Record]]:
    """The tenant's records of ``topic`` sent since ``since`` (wall clock), per NIP, in
    the order they were sent."""
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, group_id=None,
                                enable_auto_commit=False)
    await consumer.start()
    out: dict[str, list[Record]] = {}
    prefix = f"{tenant}:".encode()
    try:
        parts = [TopicPartition(topic.name, p) for p in range(topic.partitions)]
        consumer.assign(parts)
        ends = await consumer.end_offsets(parts)
        starts = await consumer.offsets_for_times({p: int(since * 1000) for p in parts})
        todo = {p for p in parts if starts[p] is not None and starts[p].offset < ends[p]}
        for p in todo:
            consumer.seek(p, starts[p].offset)
        for p in set(parts) - todo:
            consumer.pause(p)
        while todo:
            batches = await consumer.getmany(timeout_ms=1000, max_records=5000)
            for p, batch in batches.items():
                for r in batch:
                    if r.key and r.key.startswith(prefix):
                        e = json.loads(r.value)
                        made = datetime.fromisoformat(e["occurred_at"]).timestamp()
                        for nip in _nips(e):
                            out.setdefault(nip, []).append(Record(e, made, r.timestamp / 1000))
                    if r.offset + 1 >= ends[p]:
                        todo.discard(p)
                        consumer.pause(p)
    finally:
        # aiokafka's group-less coordinator may raise CancelledError from its own
        # background routine while stopping (as in tests/support/processes.py)
        with contextlib.suppress(asyncio.CancelledError):
            await consumer.stop()
    for recs in out.values():
        recs.sort(key=lambda r: r.sent)
    return out


def _nips(event: dict[str, Any]) -> set[str]:
    """The NIPs an event is about: each punch's of a ``PunchesRecorded``, each day's of an
    ``AttendanceDaysEvaluated``, else its own."""
    for items in ("punches", "days"):
        if items in event:
            return {p["nip"] for p in event[items]}
    return {event.get("nip", "")}


def _first(recs: Iterable[Record], after: float, **match: Any) -> Record | None:
    """The first record made at or after ``after`` (each step of a path is made after the
    step before it was sent, on the same machine's clock) with the given payload values."""
    return next((r for r in recs if r.made >= after
                 and all(r.event.get(k) == v for k, v in match.items())), None)


def _path(probe: Probe, seen: dict[str, dict[str, list[Record]]]) -> list[float] | None:
    """The moments of the probe's path (its request, each event made and sent, the stream),
    or None where a step is not found."""
    scores = seen["scores"].get(probe.nip, [])
    if probe.kind == "punch":
        first = _first(seen["punches"].get(probe.nip, []), probe.sent_at)
        day = first and _first(seen["days"].get(probe.nip, []), first.made)
        score = day and _first(scores, day.made, cause_type="attendance.day.evaluated")
        steps = [first, day, score]
    else:
        first = _first(seen["entries"].get(probe.nip, []), probe.sent_at,
                       entry_id=probe.entry_id, event_type="activity.entry.approved")
        score = first and _first(scores, first.made, cause_event_id=first.event["event_id"])
        steps = [first, score]
    if probe.streamed_at is None or not all(steps):
        return None
    moments = [probe.sent_at]
    for step in steps:
        assert step is not None
        moments += [step.made, step.sent]
    return [*moments, probe.streamed_at]


async def hops(bootstrap: str, tenant: str, since: float,
               probes: list[Probe]) -> dict[str, Any]:
    """Per kind of probe, each hop's median and worst in ms (and how many probes were
    traced end to end)."""
    seen = {name: await _records(bootstrap, topic, since, tenant)
            for name, topic in (("punches", topics.ATTENDANCE_PUNCH_BATCHES),
                                ("days", topics.ATTENDANCE_DAY_BATCHES),
                                ("entries", topics.ACTIVITY_ENTRIES),
                                ("scores", topics.SCORES))}
    out: dict[str, Any] = {}
    for kind, names in (("punch", PUNCH_HOPS), ("approval", APPROVAL_HOPS)):
        paths = [p for p in (_path(probe, seen) for probe in probes if probe.kind == kind) if p]
        steps = [[(b - a) * 1000 for a, b in pairwise(path)]
                 for path in paths]
        out[kind] = {"traced": len(paths), "probes": sum(p.kind == kind for p in probes)}
        for i, name in enumerate(names):
            col = [s[i] for s in steps]
            if col:
                out[kind][name] = {"p50_ms": round(statistics.median(col), 1),
                                   "max_ms": round(max(col), 1)}
    return out

import datetime as dt
import uuid
from decimal import Decimal

import pytest
from pydantic import ValidationError

from ekinerja_shared import events as ev
from ekinerja_shared.timeutil import localize, zone
from ekinerja_shared.topics import ALL_TOPICS, topic_for

NIP = "198503152010011001"


def test_every_event_type_has_a_registered_topic():
    names = {t.name for t in ALL_TOPICS}
    for event_type, cls in ev.EVENT_TYPES.items():
        assert topic_for(cls).name in names, event_type


def test_round_trip_keeps_every_field():
    e = ev.AttendanceDayEvaluated(
        tenant_id="kukar", nip=NIP, work_date=dt.date(2025, 3, 3), revision=2,
        arrival=dt.datetime(2025, 3, 3, 7, 41, tzinfo=zone("WITA")), late_minutes=11,
        tl_code="TL1", deduction_pct=Decimal("0.5"),
    )
    back = ev.parse_event(ev.dump_event(e))
    assert back == e
    assert isinstance(back, ev.AttendanceDayEvaluated)
    assert back.arrival.utcoffset() == dt.timedelta(hours=8)


def test_key_is_tenant_and_nip_and_tenant_wide_events_use_star():
    approved = ev.ActivityEntryApproved(tenant_id="cilegon", entry_id=uuid.uuid4(), nip=NIP,
                                        work_date=dt.date(2025, 1, 6), minutes=90, version=2)
    assert approved.key() == f"cilegon:{NIP}"
    tenant = ev.TenantUpserted(tenant_id="cilegon", name="Kota Cilegon", timezone="Asia/Jakarta",
                               policy_preset="cilegon")
    assert tenant.key() == "cilegon:*"


def test_naive_occurred_at_is_refused():
    with pytest.raises(ValidationError):
        ev.TenantUpserted(tenant_id="x", name="x", timezone="Asia/Jakarta", policy_preset="cilegon",
                          occurred_at=dt.datetime(2025, 1, 1, 8, 0))


def test_unknown_event_type_and_garbage_are_refused():
    with pytest.raises(ValidationError):
        ev.parse_event(b'{"event_type": "nope", "tenant_id": "x"}')
    with pytest.raises(ValidationError):
        ev.parse_event(b"\x00\x01 not json")


def test_unknown_fields_are_ignored_for_forward_compatibility():
    e = ev.PeriodClosed(tenant_id="badung", period="2025-02")
    raw = e.model_dump(mode="json") | {"a_future_field": 1}
    import json

    assert ev.parse_event(json.dumps(raw)) == e


@pytest.mark.parametrize(("alias", "hours"), [("WIB", 7), ("WITA", 8), ("WIT", 9)])
def test_zone_aliases(alias, hours):
    aware = localize(dt.datetime(2025, 8, 27, 10, 57, 49), alias)
    assert aware.utcoffset() == dt.timedelta(hours=hours)


def test_unknown_zone_is_an_error():
    with pytest.raises(ValueError):
        zone("Mars/Olympus")


@pytest.mark.parametrize("period,ok", [
    ("2026-12", True), ("1970-01", True), ("2099-12", True),
    ("0000-01", False), ("9999-12", False), ("2026-13", False), ("2026-00", False),
    ("1969-12", False), ("2100-01", False), ("26-01", False),
])
def test_periods_are_bounded_months(period, ok):
    """A month outside 1970-2099 would overflow date arithmetic in every consumer: such an
    event is refused when decoded (and so quarantined), never applied."""
    def make():
        return ev.PeriodClosed(tenant_id="kediri", occurred_at=dt.datetime.now(dt.UTC),
                               period=period)
    if ok:
        assert ev.parse_event(ev.dump_event(make())).period == period
    else:
        with pytest.raises(ValidationError):
            make()

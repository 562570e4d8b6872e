"""The gateway's month check composes the services' answers into one list for HR."""

from __future__ import annotations

from gateway.domain.month_check import compose, reported

ACTIVITY = {"undecided_entries": 3, "oldest_work_date": "2026-10-05", "by_supervisor": [
    {"supervisor_nip": "198003152005011003", "entries": 2, "oldest_work_date": "2026-10-05"},
    {"supervisor_nip": None, "entries": 1, "oldest_work_date": "2026-10-20"}]}
ATTENDANCE = {"unclosed_days": [f"2026-10-{d:02d}" for d in (1, 2, 6, 7, 8, 9, 13)],
              "devices": 2, "silent_devices": [
                  {"serial_number": "SN2", "location": "Kantor Camat"}]}
SCORING = {"open_items": [{"source": "scoring", "code": "compliance_not_entered",
                           "detail": "2 pegawai: nilai kepatuhan belum diisi", "count": 2,
                           "nips": ["1", "2"]}]}


def test_three_answers_make_one_list_with_descriptions() -> None:
    items = compose(ACTIVITY, ATTENDANCE, SCORING)
    assert [(i["source"], i["code"], i["count"]) for i in items] == [
        ("activity", "undecided_entries", 3), ("attendance", "unclosed_days", 7),
        ("attendance", "silent_devices", 1), ("scoring", "compliance_not_entered", 2)]
    assert items[0]["detail"] == (
        "3 aktivitas belum diputuskan atasan (tertua 05-10-2026); per atasan: "
        "198003152005011003 (2), tanpa atasan (1)")
    assert items[1]["detail"] == (
        "7 hari kerja belum ditutup (ketidakhadiran/TK belum ditetapkan): 01-10-2026, "
        "02-10-2026, 06-10-2026, 07-10-2026, 08-10-2026 dan 2 lainnya")
    assert items[2]["detail"].startswith("1 dari 2 mesin presensi") and \
        items[2]["detail"].endswith("SN2 (Kantor Camat)")
    assert items[3]["nips"] == ["1", "2"]
    # scoring's close gets the others' items only, without their particulars
    assert reported(items) == [{k: i[k] for k in ("source", "code", "detail", "count")}
                               for i in items[:3]]


def test_nothing_open_is_an_empty_list() -> None:
    assert compose({"undecided_entries": 0, "by_supervisor": []},
                   {"unclosed_days": [], "silent_devices": [], "devices": 1},
                   {"open_items": []}) == []


def test_up_to_five_values_are_spelled_out_and_the_rest_counted() -> None:
    def days(n: int) -> str:
        answer = {"unclosed_days": [f"2026-10-{d:02d}" for d in range(1, n + 1)]}
        return str(compose({}, answer, {})[0]["detail"])

    assert days(5).endswith("04-10-2026, 05-10-2026")
    assert days(6).endswith("05-10-2026 dan 1 lainnya")
    assert days(1).endswith(": 01-10-2026")


def test_a_scoring_item_counts_its_employees_when_it_states_no_count() -> None:
    items = compose({}, {}, {"open_items": [
        {"code": "no_tpp_base", "detail": "2 pegawai", "nips": ["1", "2"]},
        {"code": "late_facts_pending", "detail": "3 fakta", "count": 3},
        {"code": "late_facts_pending", "detail": "3 fakta", "count": 3, "nips": ["1"]},
        {"code": "other", "detail": "tanpa rincian"}]})
    assert [(i["code"], i["count"], i["nips"]) for i in items] == [
        ("no_tpp_base", 2, ["1", "2"]), ("late_facts_pending", 3, []),
        ("late_facts_pending", 3, ["1"]), ("other", 0, [])]

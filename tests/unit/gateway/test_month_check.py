"""The gateway's month check composes the services' answers into one list for HR."""

from __future__ import annotations

import asyncio

import httpx
import pytest

from ekinerja_shared.errors import DomainError
from gateway.domain.month_check import compose, reported
from gateway.service_layer import month_check
from gateway.web.backend import Backend

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


def backend_of(handler) -> Backend:  # type: ignore[no-untyped-def]
    client = httpx.AsyncClient(transport=httpx.MockTransport(handler))
    return Backend(client=client, local=client, token="t",
                   urls={s: f"http://{s}.test" for s in ("attendance", "activity", "scoring")})


async def test_the_three_services_are_asked_at_once_and_each_failure_is_its_own() -> None:
    arrived: list[str] = []
    all_asked = asyncio.Event()

    async def handler(request: httpx.Request) -> httpx.Response:
        arrived.append(request.url.host)
        if len(arrived) == 3:
            all_asked.set()
        # no service answers before all three were asked (in a row this would hang)
        await asyncio.wait_for(all_asked.wait(), timeout=5)
        if request.url.host == "activity.test":
            raise httpx.ConnectError("refused", request=request)
        if request.url.host == "attendance.test":
            return httpx.Response(403, json={"detail": "Bukan wewenang Anda.",
                                             "code": "forbidden"})
        return httpx.Response(200, json=SCORING)

    answers = await month_check.ask(backend_of(handler), "uji", "2026-10")
    assert sorted(arrived) == ["activity.test", "attendance.test", "scoring.test"]
    assert [(i["source"], i["code"]) for i in answers.items()] == [
        ("scoring", "compliance_not_entered")]
    assert answers.unavailable() == [
        "Pemeriksaan aktivitas tidak tersedia: Layanan activity tidak dapat dihubungi. "
        "Coba lagi beberapa saat lagi.",
        "Pemeriksaan presensi tidak tersedia: Bukan wewenang Anda."]
    # the API's check fails as a whole (nothing is closed blind): the first service's reason
    with pytest.raises(DomainError) as failed:
        await month_check.check(backend_of(handler), "uji", "2026-10")
    assert (failed.value.status_code, failed.value.code) == (502, "backend_unavailable")


async def test_every_answer_in_one_list_when_all_answer() -> None:
    answers = {"activity.test": ACTIVITY, "attendance.test": ATTENDANCE,
               "scoring.test": {**SCORING, "closed": False}}

    async def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json=answers[request.url.host])

    found = await month_check.check(backend_of(handler), "uji", "2026-10")
    assert found["open_items"] == compose(ACTIVITY, ATTENDANCE, SCORING)
    assert found["closed"] is False

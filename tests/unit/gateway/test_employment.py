"""Employment over time in the roster: TMT, effective dates, end of duty, unknown columns
(gateway.domain.employment and its use by gateway.domain.roster)."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace

import pytest

from gateway.domain.employment import (
    Dated,
    Known,
    active_on,
    decide,
    employed_on,
    parse_date,
    parse_end_reason,
)
from gateway.domain.roster import (
    KnownEmployee,
    RosterInvalid,
    as_known,
    check_roster,
    classify,
    decision_of,
    plan,
)

TODAY = dt.date(2026, 11, 20)
HEAD = "197204121998031005"
STAFF = "199001172015031002"
HEADER = "nip,name,unit_id,tpp_base,supervisor_nip,tmt,effective_from,end_date,end_reason"


def roster(*lines: str, header: str = HEADER) -> str:
    return "\n".join([header, *lines]) + "\n"


def errors(text: str, known: dict[str, KnownEmployee] | None = None) -> list[dict]:
    with pytest.raises(RosterInvalid) as info:
        check_roster(text, known or {}, TODAY)
    return [e.as_dict() for e in info.value.errors]


def test_dates_in_both_spellings_and_bad_ones():
    assert parse_date("2026-11-01") == dt.date(2026, 11, 1)
    assert parse_date("01-11-2026") == parse_date("1/11/2026") == dt.date(2026, 11, 1)
    assert parse_date("01.11.2026") == dt.date(2026, 11, 1)
    for bad in ("2026-02-30", "11/2026", "kemarin", "2026-13-01", "32-01-2026"):
        assert parse_date(bad) is None, bad


def test_end_reasons():
    assert parse_end_reason("Pindah Keluar") == parse_end_reason("pindah-keluar") == \
        "pindah_keluar"
    assert parse_end_reason(" PENSIUN ") == "pensiun"
    assert parse_end_reason("pemberhentian") == "pemberhentian"
    assert parse_end_reason("mutasi") is None


def test_an_unknown_column_refuses_the_file_naming_it():
    text = roster(f"{HEAD},Kepala,dinas,100,,,,,", header=HEADER + ",tanggal_lahir")
    [err] = errors(text)
    assert err["baris"] == 1 and err["kolom"] == "tanggal_lahir"
    assert "'tanggal_lahir' tidak dikenal" in err["pesan"] and "effective_from" in err["pesan"]


def test_tmt_and_effective_from_of_a_new_employee():
    [a, b, c] = check_roster(roster(f"{HEAD},Kepala,dinas,100,,2026-11-01,,,",
                                    f"{STAFF},Staf,dinas,50,{HEAD},,03-11-2026,,",
                                    "199205302019032009,Lain,dinas,50,,,,,"), {}, TODAY)
    assert decision_of(a, None, TODAY).start_date == dt.date(2026, 11, 1)
    assert decision_of(b, None, TODAY).start_date == dt.date(2026, 11, 3)  # effective = TMT
    assert decision_of(b, None, TODAY).effective_from == dt.date(2026, 11, 3)
    assert decision_of(c, None, TODAY) == decide(Dated(), None, data_changed=True, today=TODAY)
    assert decision_of(c, None, TODAY).start_date is None  # unknown: counted from first seen


def test_future_bad_and_inconsistent_dates_are_refused():
    errs = errors(roster(f"{HEAD},Kepala,dinas,100,,2026-11-21,,,",
                         f"{STAFF},Staf,dinas,50,{HEAD},2026-11-10,2026-11-05,,",
                         "199205302019032009,Lain,dinas,50,,2026-11-10,,2026-11-09,pensiun"))
    by_line = {e["baris"]: e for e in errs}
    assert "21-11-2026 belum tiba" in by_line[2]["pesan"] and by_line[2]["kolom"] == "tmt"
    assert "sebelum TMT 10-11-2026" in by_line[3]["pesan"]
    assert by_line[4]["kolom"] == "end_date" and "sebelum TMT" in by_line[4]["pesan"]
    errs = errors(roster(f"{HEAD},Kepala,dinas,100,,1-1-26,,,",
                         f"{STAFF},Staf,dinas,50,{HEAD},,,2026-11-10,",
                         "199205302019032009,Lain,dinas,50,,,,,mutasi"))
    assert [(e["baris"], e["kolom"]) for e in errs] == [(2, "tmt"), (3, "end_reason"),
                                                        (4, "end_reason"), (4, "end_date")]


def test_a_change_applies_from_its_date_not_before_the_latest_one():
    first = check_roster(roster(f"{STAFF},Staf,dinas,50,,2026-11-01,,,"), {}, TODAY)[0]
    known = {STAFF: as_known(first, TODAY)}
    assert known[STAFF].start_date == known[STAFF].last_change == dt.date(2026, 11, 1)
    moved = check_roster(roster(f"{STAFF},Staf,rsud,50,,,2026-11-16,,"), known, TODAY)[0]
    assert classify(moved, known[STAFF], TODAY) == "updated"
    d = decision_of(moved, known[STAFF], TODAY)
    assert (d.start_date, d.effective_from) == (dt.date(2026, 11, 1), dt.date(2026, 11, 16))
    # without a date a change holds from today
    undated = check_roster(roster(f"{STAFF},Staf,rsud,50,,,,,"), known, TODAY)[0]
    assert decision_of(undated, known[STAFF], TODAY).effective_from == TODAY
    later = {STAFF: replace(known[STAFF], unit_id="rsud", last_change=dt.date(2026, 11, 16))}
    [err] = errors(roster(f"{STAFF},Staf,bappeda,50,,,2026-11-10,,"), later)
    assert "sebelum perubahan terakhir" in err["pesan"] and "16-11-2026" in err["pesan"]


def test_a_roster_loaded_after_the_fact_moves_the_start_back():
    """Loaded on the 20th without dates, then again with the real start of duty."""
    first = check_roster(roster(f"{STAFF},Staf,dinas,50,,,,,"), {}, TODAY)[0]
    known = {STAFF: replace(as_known(first, TODAY), last_change=TODAY)}
    again = check_roster(roster(f"{STAFF},Staf,dinas,50,,,2026-11-02,,"), known, TODAY)[0]
    assert classify(again, known[STAFF], TODAY) == "updated"  # only the start moved
    assert decision_of(again, known[STAFF], TODAY).start_date == dt.date(2026, 11, 2)
    dated = {STAFF: replace(known[STAFF], start_date=dt.date(2026, 11, 2))}
    assert plan([again], dated, TODAY)["unchanged"] == [again]
    # a TMT column corrects the start either way
    tmt = check_roster(roster(f"{STAFF},Staf,dinas,50,,2026-11-09,,,"), dated, TODAY)[0]
    assert decision_of(tmt, dated[STAFF], TODAY).start_date == dt.date(2026, 11, 9)


def test_end_of_duty_makes_the_employee_inactive_after_the_day():
    text = roster(f"{STAFF},Staf,dinas,50,,2026-01-02,,19-11-2026,Pensiun",
                  f"{HEAD},Kepala,dinas,100,,2026-01-02,,2026-11-20,pindah keluar")
    ended, today_last = check_roster(text, {}, TODAY)
    assert (ended.end_date, ended.end_reason) == (dt.date(2026, 11, 19), "pensiun")
    assert today_last.end_reason == "pindah_keluar"
    assert as_known(ended, TODAY).active is False and as_known(today_last, TODAY).active
    # the same row again changes nothing; dropping the end date re-employs
    known = {STAFF: as_known(ended, TODAY)}
    assert classify(ended, known[STAFF], TODAY) == "unchanged"
    back = check_roster(roster(f"{STAFF},Staf,dinas,50,,,,,"), known, TODAY)[0]
    assert classify(back, known[STAFF], TODAY) == "updated"
    # an ended supervisor cannot be named
    [err] = errors(roster(f"{HEAD},Kepala,dinas,100,{STAFF},,,,"), known)
    assert err["kolom"] == "supervisor_nip" and "tidak aktif" in err["pesan"]


def test_employed_and_active_days():
    start, end = dt.date(2026, 11, 3), dt.date(2026, 11, 19)
    assert not employed_on(dt.date(2026, 11, 2), start, end)
    assert employed_on(start, start, end) and employed_on(end, start, end)
    assert not employed_on(dt.date(2026, 11, 20), start, end)
    assert employed_on(dt.date(1990, 1, 1), None, None)
    assert active_on(end, end) and not active_on(end + dt.timedelta(days=1), end)


def test_decide_without_changes_keeps_the_known_dates():
    known = Known(dt.date(2026, 11, 1), dt.date(2026, 11, 5))
    d = decide(Dated(), known, data_changed=False, today=TODAY)
    assert (d.start_date, d.effective_from, d.errors) == (dt.date(2026, 11, 1),
                                                          dt.date(2026, 11, 1), ())


def test_dates_of_today_are_not_in_the_future():
    d = decide(Dated(tmt=TODAY, effective_from=TODAY, end_date=TODAY), None,
               data_changed=True, today=TODAY)
    assert (d.start_date, d.effective_from, d.errors) == (TODAY, TODAY, ())


def test_an_earlier_effective_date_moves_a_later_known_start_back():
    # known from the 10th; the roster, loaded after the fact, says the values hold from the
    # 2nd: the start of duty is the 2nd; a later effective date leaves the start alone
    known = Known(dt.date(2026, 11, 10), dt.date(2026, 11, 10))
    d = decide(Dated(effective_from=dt.date(2026, 11, 2)), known, data_changed=False,
               today=TODAY)
    assert (d.start_date, d.effective_from, d.errors) == (dt.date(2026, 11, 2),
                                                          dt.date(2026, 11, 2), ())
    d = decide(Dated(effective_from=dt.date(2026, 11, 12)), known, data_changed=True,
               today=TODAY)
    assert (d.start_date, d.effective_from, d.errors) == (dt.date(2026, 11, 10),
                                                          dt.date(2026, 11, 12), ())


def test_same_day_changes_and_a_one_day_duty_are_accepted():
    # a second change on the date of the latest one: recorded in order, accepted
    known = Known(dt.date(2026, 11, 1), dt.date(2026, 11, 16))
    d = decide(Dated(effective_from=dt.date(2026, 11, 16)), known, data_changed=True,
               today=TODAY)
    assert (d.effective_from, d.errors) == (dt.date(2026, 11, 16), ())
    # duty that ends on the day it starts
    one = dt.date(2026, 11, 3)
    d = decide(Dated(tmt=one, end_date=one), None, data_changed=True, today=TODAY)
    assert (d.start_date, d.errors) == (one, ())
    # active every day up to the last one, not only on it
    assert active_on(one, dt.date(2026, 11, 19)) and active_on(TODAY, None)


def test_a_change_of_the_active_flag_alone_holds_from_today():
    """Same data, no effective date: the row changes the entry only when its end of duty
    flips the active flag (either way); then the change holds from today, otherwise the
    entry's dates stay."""
    row = check_roster(roster(f"{STAFF},Staf,dinas,50,,2026-11-01,,2026-11-19,pensiun"),
                       {}, TODAY)[0]
    start = dt.date(2026, 11, 1)
    known = replace(as_known(row), start_date=start, last_change=start)
    assert known.active is True  # known before its end of duty passed
    ends = decision_of(row, known, TODAY)  # ended yesterday: active -> inactive
    assert (ends.start_date, ends.effective_from, ends.errors) == (start, TODAY, ())
    back = replace(row, end_date=None, end_reason=None)  # inactive -> active again
    inactive = replace(known, end_date=None, end_reason=None, active=False)
    assert decision_of(back, inactive, TODAY).effective_from == TODAY
    for same, entry in ((back, replace(inactive, active=True)),
                        (row, replace(known, active=False))):
        assert decision_of(same, entry, TODAY).effective_from == start  # nothing changed

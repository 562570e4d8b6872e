"""Roster CSV rules: parsing, whole-roster validation, and what a reload changes."""

from __future__ import annotations

from decimal import Decimal

import pytest

from gateway.domain.roster import (
    KnownEmployee,
    RosterInvalid,
    as_known,
    check_roster,
    decode_upload,
    find_cycles,
    parse_roster,
    parse_tpp,
    plan,
)

HEADER = "nip,name,unit_id,unit_name,position,supervisor_nip,tpp_base,employment_type,device_pin"
HEAD = "197204121998031005"
KABAG = "197809232003122002"
STAFF = "199001172015031002"
OTHER = "199205302019032009"


def csv_of(*lines: str, header: str = HEADER) -> str:
    return "\n".join([header, *lines]) + "\n"


VALID = csv_of(
    f"{HEAD},Kepala Dinas,dinas,Dinas,Kepala Dinas,,12500000,PNS,1",
    f"{KABAG},Kabag Umum,umum,Bagian Umum,Kepala Bagian,{HEAD},8500000,PNS,2",
    f"{STAFF},\"Dedi Kurniawan, A.Md.\",umum,Bagian Umum,Pelaksana,{KABAG},4500000,CPNS,3",
)


def known(rows_csv: str = VALID) -> dict[str, KnownEmployee]:
    return {r.nip: as_known(r) for r in check_roster(rows_csv, {})}


def errors_of(text: str, existing: dict[str, KnownEmployee] | None = None) -> list[dict]:
    with pytest.raises(RosterInvalid) as info:
        check_roster(text, existing or {})
    return [e.as_dict() for e in info.value.errors]


def test_valid_roster_is_parsed_and_normalised():
    rows = check_roster(VALID, {})
    assert [r.nip for r in rows] == [HEAD, KABAG, STAFF]
    staff = rows[2]
    assert staff.name == "Dedi Kurniawan, A.Md."
    assert staff.supervisor_nip == KABAG
    assert staff.tpp_base == Decimal("4500000")
    assert staff.employment_type == "CPNS"
    assert staff.device_pin == "3"
    assert rows[0].supervisor_nip is None
    assert staff.line == 4


def test_semicolon_separator_bom_and_grouped_nip_are_tolerated():
    text = csv_of(
        f"{HEAD[:8]} {HEAD[8:14]} {HEAD[14]} {HEAD[15:]};Kepala;dinas;;;;4.500.000;pns;7",
        header=HEADER.replace(",", ";"),
    )
    rows = check_roster(decode_upload(b"\xef\xbb\xbf" + text.encode()), {})
    assert rows[0].nip == HEAD
    assert rows[0].tpp_base == Decimal("4500000")
    assert rows[0].employment_type == "PNS"


def test_non_utf8_upload_is_refused():
    with pytest.raises(RosterInvalid) as info:
        decode_upload("nip;nama\n1;Jos\xe9".encode("latin-1"))
    assert "UTF-8" in info.value.errors[0].message


def test_optional_columns_may_be_left_out_of_the_header():
    rows = check_roster(f"nip,name,unit_id,tpp_base\n{HEAD},Kepala,dinas,100\n", {})
    assert rows[0].employment_type == "PNS" and rows[0].device_pin is None


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("4500000", Decimal("4500000")), ("4500000.50", Decimal("4500000.50")),
     ("4.500.000", Decimal("4500000")), ("4.500.000,25", Decimal("4500000.25")),
     ("4500000,5", Decimal("4500000.5")), ("Rp 4.500.000", Decimal("4500000")),
     ("empat juta", None), ("", None), ("NaN", None)],
)
def test_tpp_amounts(raw, expected):
    assert parse_tpp(raw) == expected


def test_missing_header_column_is_reported():
    errs = errors_of(f"nip,name,tpp_base\n{HEAD},Kepala,100\n")
    assert len(errs) == 1 and errs[0]["baris"] == 1 and "unit_id" in errs[0]["pesan"]


def test_empty_file_and_header_only_are_refused():
    assert "kosong" in errors_of("")[0]["pesan"]
    assert "tidak berisi" in errors_of(HEADER + "\n")[0]["pesan"]


def test_every_bad_row_is_reported_with_its_line_in_indonesian():
    text = csv_of(
        f"{HEAD},Kepala Dinas,dinas,Dinas,Kepala Dinas,,12500000,PNS,1",
        "12345,Pendek,umum,,,,100,PNS,2",  # line 3: NIP not 18 digits
        f"{STAFF},,umum,,,,-5,HONORER,3",  # line 4: no name, negative TPP, unknown type
        f"{OTHER},Lia,umum,,,{HEAD},banyak,PNS,4",  # line 5: TPP not a number
    )
    errs = errors_of(text)
    by_line = {}
    for e in errs:
        by_line.setdefault(e["baris"], set()).add(e["kolom"])
    assert by_line == {3: {"nip"}, 4: {"name", "tpp_base", "employment_type"}, 5: {"tpp_base"}}
    assert any("18 digit" in e["pesan"] for e in errs)
    assert any("PNS, CPNS, atau PPPK" in e["pesan"] for e in errs)
    assert any("tidak boleh negatif" in e["pesan"] for e in errs)


def test_row_with_more_fields_than_the_header_is_refused():
    errs = errors_of(csv_of(f"{HEAD},Kepala,dinas,Dinas,Kepala,,100,PNS,1,extra"))
    assert errs[0]["baris"] == 2 and "melebihi" in errs[0]["pesan"]


def test_duplicate_nip_in_the_file():
    errs = errors_of(csv_of(
        f"{HEAD},Kepala,dinas,,,,100,PNS,1",
        f"{HEAD},Kepala lagi,dinas,,,,100,PNS,2",
    ))
    assert [(e["baris"], e["kolom"]) for e in errs] == [(3, "nip")]
    assert "baris 2" in errs[0]["pesan"]


def test_supervisor_must_be_in_the_roster_or_already_known():
    text = csv_of(f"{STAFF},Staf,umum,,,{KABAG},100,PNS,3")
    errs = errors_of(text)
    assert errs[0]["kolom"] == "supervisor_nip" and KABAG in errs[0]["pesan"]
    # the supervisor registered by an earlier upload is fine
    assert check_roster(text, known())[0].supervisor_nip == KABAG


def test_inactive_supervisor_is_refused():
    existing = known()
    existing[KABAG] = KnownEmployee(**{**existing[KABAG].__dict__, "active": False})
    errs = errors_of(csv_of(f"{OTHER},Lia,umum,,,{KABAG},100,PNS,9"), existing)
    assert "tidak aktif" in errs[0]["pesan"]


def test_self_supervision_is_refused():
    errs = errors_of(csv_of(f"{HEAD},Kepala,dinas,,,{HEAD},100,PNS,1"))
    assert errs[0]["kolom"] == "supervisor_nip" and "dirinya sendiri" in errs[0]["pesan"]


def test_device_pin_unique_within_the_file():
    errs = errors_of(csv_of(
        f"{HEAD},Kepala,dinas,,,,100,PNS,5",
        f"{KABAG},Kabag,umum,,,{HEAD},100,PNS,5",
    ))
    assert sorted((e["baris"], e["kolom"]) for e in errs) == [(2, "device_pin"), (3, "device_pin")]


def test_device_pin_unique_against_known_employees_not_in_the_file():
    errs = errors_of(csv_of(f"{OTHER},Lia,umum,,,{HEAD},100,PNS,2"), known())
    assert errs[0]["kolom"] == "device_pin" and KABAG in errs[0]["pesan"]


def test_device_pin_may_move_when_the_holder_changes_too():
    text = csv_of(
        f"{KABAG},Kabag Umum,umum,Bagian Umum,Kepala Bagian,{HEAD},8500000,PNS,20",
        f"{OTHER},Lia,umum,,,{HEAD},100,PNS,2",
    )
    assert len(check_roster(text, known())) == 2


def test_pin_of_an_inactive_employee_is_free_again():
    existing = known()
    existing[STAFF] = KnownEmployee(**{**existing[STAFF].__dict__, "active": False})
    assert check_roster(csv_of(f"{OTHER},Lia,umum,,,{KABAG},100,PNS,3"), existing)


def test_supervisor_cycle_in_the_file_is_refused():
    errs = errors_of(csv_of(
        f"{HEAD},Kepala,dinas,,,{STAFF},100,PNS,1",
        f"{KABAG},Kabag,umum,,,{HEAD},100,PNS,2",
        f"{STAFF},Staf,umum,,,{KABAG},100,PNS,3",
    ))
    assert {e["baris"] for e in errs} == {2, 3, 4}
    assert all("lingkaran" in e["pesan"] for e in errs)


def test_supervisor_cycle_through_known_employees_is_refused():
    # HEAD reports to STAFF now, and STAFF -> KABAG -> HEAD is already known
    errs = errors_of(csv_of(f"{HEAD},Kepala,dinas,,,{STAFF},100,PNS,1"), known())
    assert len(errs) == 1 and errs[0]["baris"] == 2 and "lingkaran" in errs[0]["pesan"]


def test_find_cycles():
    assert find_cycles({"a": "b", "b": "c", "c": None}) == []
    assert sorted(find_cycles({"a": "b", "b": "a", "c": "a"})[0]) == ["a", "b"]
    assert find_cycles({"x": "x"}) == [["x"]]


def test_reload_plan_tells_created_updated_unchanged():
    existing = known()
    text = csv_of(
        f"{HEAD},Kepala Dinas,dinas,Dinas,Kepala Dinas,,12500000.00,PNS,1",  # same value
        f"{KABAG},Kabag Umum,umum,Bagian Umum,Kepala Bagian,{HEAD},9000000,PNS,2",  # raise
        f"{OTHER},Lia,umum,,,{KABAG},100,PNS,9",  # new
    )
    changes = plan(check_roster(text, existing), existing)
    assert [r.nip for r in changes["unchanged"]] == [HEAD]
    assert [r.nip for r in changes["updated"]] == [KABAG]
    assert [r.nip for r in changes["created"]] == [OTHER]


def test_reload_reactivates_an_inactive_employee():
    existing = known()
    existing[STAFF] = KnownEmployee(**{**existing[STAFF].__dict__, "active": False})
    changes = plan(check_roster(VALID, existing), existing)
    assert [r.nip for r in changes["updated"]] == [STAFF]


def test_parse_roster_keeps_good_rows_apart_from_bad_ones():
    rows, errs = parse_roster(csv_of(f"{HEAD},Kepala,dinas,,,,100,PNS,1", "x,,,,,,,,"))
    assert [r.nip for r in rows] == [HEAD] and {e.line for e in errs} == {3}

"""Roster rules at their edges: separators, amounts, blank lines, PIN holders, supervisor
chains and cycles, what a reload changes."""

from __future__ import annotations

from decimal import Decimal

import pytest

from gateway.domain.roster import (
    COLUMNS,
    DATA_FIELDS,
    EMPLOYMENT_TYPES,
    REQUIRED_COLUMNS,
    KnownEmployee,
    RosterInvalid,
    RosterRow,
    RowError,
    _delimiter,
    as_known,
    check_roster,
    classify,
    decode_upload,
    find_cycles,
    normalise_nip,
    parse_roster,
    parse_tpp,
    plan,
    validate_roster,
)

from .test_roster import HEAD, HEADER, KABAG, OTHER, STAFF, VALID, csv_of, errors_of, known


def test_separator_is_a_comma_unless_semicolons_outnumber_commas() -> None:
    assert _delimiter("nip;name,unit_id") == ","
    assert _delimiter("nip;name;unit_id,tpp_base") == ";"
    assert _delimiter("nip") == ","


@pytest.mark.parametrize(("raw", "expected"), [
    ("Rp. 4.500.000", Decimal("4500000")), ("rp4500000", Decimal("4500000")),
    ("RP 1.000", Decimal("1000")), ("  750000  ", Decimal("750000")),
    ("1.234", Decimal("1234")),  # Indonesian thousands
    ("1.5", Decimal("1.5")), ("0", Decimal("0")), ("-5", Decimal("-5")),
    ("Infinity", None), ("1,234.5", None), ("Rp", None),
])
def test_more_tpp_amounts(raw: str, expected: Decimal | None) -> None:
    assert parse_tpp(raw) == expected


def test_nip_groups_are_joined() -> None:
    assert normalise_nip("19800101.200501-1 001") == "198001012005011001"
    assert normalise_nip("") == ""


def test_blank_lines_and_header_case_are_tolerated() -> None:
    text = "\n \r\n" + HEADER.upper() + "\r\n" + f"{HEAD},Kepala,dinas,,,,100,pns,\r\n,,,,,,,,\n\n"
    rows = check_roster(text, {})
    assert [(r.nip, r.line, r.employment_type, r.device_pin) for r in rows] == [
        (HEAD, 4, "PNS", None)]
    assert rows[0].unit_name == "" and rows[0].position == "" and rows[0].supervisor_nip is None
    # the line numbers of errors count the blank lines too
    _rows, errs = parse_roster("\n\n" + HEADER + "\n12345,Pendek,umum,,,,100,PNS,2\n")
    assert [(e.line, e.field) for e in errs] == [(4, "nip")]
    _rows, errs = parse_roster("\n" + HEADER + "\n")
    assert [e.line for e in errs] == [3] and "tidak berisi" in errs[0].message
    _rows, errs = parse_roster("\n\nnip,name\n")
    assert [e.line for e in errs] == [3] and "tidak lengkap" in errs[0].message
    empty = parse_roster(" \n\t\n")[1]
    assert [e.line for e in empty] == [1] and "kosong" in empty[0].message


def test_a_quoted_field_after_a_space_keeps_its_separator() -> None:
    rows = check_roster(csv_of(f'{HEAD}, "Kepala, S.E.", dinas,,,, 100,PNS,1'), {})
    assert (rows[0].name, rows[0].unit_id, rows[0].tpp_base) == ("Kepala, S.E.", "dinas", 100)


def test_row_defaults_and_undecodable_uploads() -> None:
    row = check_roster(VALID, {})[0]
    fields = {name: getattr(row, name) for name in DATA_FIELDS}
    assert RosterRow(**fields).line == 0  # not from a file
    assert KnownEmployee(**fields).active is True
    with pytest.raises(RosterInvalid) as info:
        decode_upload(b"\xff\xfe")
    assert [(e.line, e.nip, e.field) for e in info.value.errors] == [(0, None, None)]


def test_header_error_names_the_missing_columns() -> None:
    rows, errs = parse_roster("nip;name\n1;x\n")
    assert rows == [] and len(errs) == 1 and errs[0].line == 1
    assert "unit_id, tpp_base" in errs[0].message and ",".join(COLUMNS) in errs[0].message
    assert REQUIRED_COLUMNS == ("nip", "name", "unit_id", "tpp_base")
    assert EMPLOYMENT_TYPES == ("PNS", "CPNS", "PPPK")


def test_a_row_error_carries_line_nip_and_column() -> None:
    rows, errs = parse_roster(csv_of(f"{HEAD},,dinas,,,,100,PNS,1"))
    assert rows == [] and errs == [RowError(2, HEAD, "name", "Nama pegawai wajib diisi.")]
    assert errs[0].as_dict() == {"baris": 2, "nip": HEAD, "kolom": "name",
                                 "pesan": "Nama pegawai wajib diisi."}
    _rows, errs = parse_roster(csv_of(",Nama,,,,,100,PNS,1"))
    assert [(e.nip, e.field) for e in errs] == [(None, "nip"), (None, "unit_id")]
    _rows, errs = parse_roster(csv_of("abc,Nama,u,,,,100,PNS,1"))
    assert [(e.nip, e.field) for e in errs] == [("abc", "nip")]


@pytest.mark.parametrize(("pin", "ok"), [("1", True), ("A" * 24, True), ("A" * 25, False),
                                         ("12 3", False), ("a-1", False)])
def test_device_pin_shape(pin: str, ok: bool) -> None:
    text = csv_of(f"{HEAD},Kepala,dinas,,,,100,PNS,{pin}")
    if ok:
        assert check_roster(text, {})[0].device_pin == pin
    else:
        assert [e["kolom"] for e in errors_of(text)] == ["device_pin"]


def test_bad_supervisor_nip_and_negative_tpp() -> None:
    errs = errors_of(csv_of(f"{HEAD},Kepala,dinas,,,12345,-0.01,PNS,1"))
    assert [(e["baris"], e["kolom"]) for e in errs] == [(2, "supervisor_nip"), (2, "tpp_base")]
    assert check_roster(csv_of(f"{HEAD},Kepala,dinas,,,,0,PNS,1"), {})[0].tpp_base == 0


def test_three_holders_of_one_pin_are_all_reported() -> None:
    errs = errors_of(csv_of(
        f"{HEAD},Kepala,dinas,,,,100,PNS,5",
        f"{KABAG},Kabag,umum,,,{HEAD},100,PNS,5",
        f"{STAFF},Staf,umum,,,{KABAG},100,PNS,5",
    ))
    assert [(e["baris"], e["kolom"]) for e in errs] == [
        (2, "device_pin"), (3, "device_pin"), (4, "device_pin")]
    assert f"{KABAG}, {STAFF}" in errs[0]["pesan"]


def test_a_known_holder_not_in_the_file_is_named_but_not_reported() -> None:
    existing = known()
    errs = validate_roster(parse_roster(csv_of(f"{OTHER},Lia,umum,,,{HEAD},100,PNS,1"))[0],
                           existing)
    assert [(e.line, e.nip, e.field) for e in errs] == [(2, OTHER, "device_pin")]
    assert HEAD in errs[0].message


def test_errors_of_one_line_are_sorted_by_column() -> None:
    errs = errors_of(csv_of(
        f"{HEAD},Kepala,dinas,,,,100,PNS,1",
        f"{KABAG},Kabag,umum,,,{OTHER},100,PNS,1",  # unknown supervisor, PIN of line 2
    ))
    assert [(e["baris"], e["kolom"]) for e in errs] == [
        (2, "device_pin"), (3, "device_pin"), (3, "supervisor_nip")]


def test_errors_are_sorted_by_line_then_column() -> None:
    errs = errors_of(csv_of(
        f"{HEAD},Kepala,dinas,,,{STAFF},100,PNS,1",
        f"{STAFF},Staf,umum,,,{HEAD},100,PNS,1",
        f"{HEAD},Lagi,dinas,,,,100,PNS,3",
    ))
    assert [(e["baris"], e["kolom"]) for e in errs] == [
        (2, "device_pin"), (2, "supervisor_nip"), (3, "device_pin"), (3, "supervisor_nip"),
        (4, "nip")]


def test_a_cycle_is_named_from_its_first_member_back_to_it() -> None:
    errs = errors_of(csv_of(
        f"{HEAD},Kepala,dinas,,,{KABAG},100,PNS,1",
        f"{KABAG},Kabag,umum,,,{HEAD},100,PNS,2",
    ))
    assert [e["pesan"] for e in errs] == [
        f"Hubungan atasan membentuk lingkaran: {HEAD} -> {KABAG} -> {HEAD}."] * 2


def test_cycles() -> None:
    assert find_cycles({}) == []
    assert find_cycles({"a": "b", "b": "c", "c": "d"}) == []  # d unknown: a chain ends
    assert find_cycles({"a": "b", "b": "c", "c": "b"}) == [["b", "c"]]
    assert find_cycles({"a": "a", "b": "b"}) == [["a"], ["b"]]
    assert find_cycles({"a": "b", "b": "a", "c": "d", "d": "c"}) == [["a", "b"], ["c", "d"]]
    assert find_cycles({"x": "y", "y": None, "z": "x"}) == []


def test_a_cycle_of_known_employees_alone_is_not_the_rosters_fault() -> None:
    existing = {n: KnownEmployee(n, n, "u", "", "", s, Decimal(1), "PNS", None)
                for n, s in ((HEAD, KABAG), (KABAG, HEAD))}
    rows = parse_roster(csv_of(f"{OTHER},Lia,umum,,,{HEAD},100,PNS,9"))[0]
    assert validate_roster(rows, existing) == []


def test_an_inactive_known_employee_leaves_the_supervisor_graph() -> None:
    existing = known()
    existing[HEAD] = KnownEmployee(**{**existing[HEAD].__dict__, "supervisor_nip": STAFF,
                                      "active": False})
    # STAFF -> KABAG -> HEAD (inactive, reporting to STAFF): no live cycle, but HEAD is
    # not a valid supervisor any more
    errs = errors_of(csv_of(f"{KABAG},Kabag,umum,,,{HEAD},100,PNS,2"), existing)
    assert [(e["kolom"], "tidak aktif" in e["pesan"]) for e in errs] == [
        ("supervisor_nip", True)]


def test_reload_classification() -> None:
    row = check_roster(VALID, {})[0]
    assert classify(row, None) == "created"
    assert classify(row, as_known(row)) == "unchanged"
    assert as_known(row).active is True and DATA_FIELDS[0] == "nip" and len(DATA_FIELDS) == 11
    moved = KnownEmployee(**{**as_known(row).__dict__, "unit_id": "lain"})
    assert classify(row, moved) == "updated"
    assert plan([], {}) == {"created": [], "updated": [], "unchanged": []}


def test_a_row_with_too_many_fields_names_its_nip() -> None:
    _rows, errs = parse_roster(csv_of(f"{HEAD},Kepala,dinas,,,,100,PNS,1,lebih"))
    assert [(e.line, e.nip, e.field) for e in errs] == [(2, HEAD, None)]
    _rows, errs = parse_roster(csv_of(",Kepala,dinas,,,,100,PNS,1,lebih"))
    assert [(e.line, e.nip) for e in errs] == [(2, None)]


def test_invalid_roster_message_counts_the_errors() -> None:
    with pytest.raises(RosterInvalid) as info:
        check_roster(csv_of("1,,,,,,,,", "2,,,,,,,,"), {})
    assert info.value.status_code == 422 and info.value.code == "invalid_roster"
    assert info.value.message.startswith(f"Daftar pegawai ditolak: {len(info.value.errors)} ")


def test_unknown_columns_are_reported_at_the_first_of_them() -> None:
    _rows, errs = parse_roster("nip;name;unit_id;tpp_base;jabatan;golongan\n")
    assert [(e.line, e.field) for e in errs] == [(1, "jabatan")]
    assert "'jabatan', 'golongan' tidak dikenal" in errs[0].message


def test_a_duty_ended_before_today_updates_an_active_entry() -> None:
    import dataclasses
    import datetime as dt

    row = dataclasses.replace(check_roster(VALID, {})[0], end_date=dt.date(2026, 1, 31))
    known = as_known(row)  # active: no day given
    assert known.active is True
    assert classify(row, known, dt.date(2026, 3, 2)) == "updated"
    assert classify(row, known, dt.date(2026, 1, 31)) == "unchanged"

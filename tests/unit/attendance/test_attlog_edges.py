"""Every boundary of the ADMS parser and replies, pinned exactly: field counts, lengths,
number ranges of the columns, time range and plausibility window, firmware dialects,
command results and the resend policy. (These tests are what mutation testing of
``attendance/domain/attlog.py`` is measured against.)"""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest

from attendance.domain.attlog import (
    AttlogRecord,
    CommandResult,
    PunchWindow,
    RejectedLine,
    ResendPolicy,
    UserRecord,
    bounded_int,
    check_window,
    clean_text,
    command_action,
    format_command,
    handshake_reply,
    parse_attlog,
    parse_attlog_line,
    parse_devicecmd,
    parse_key_values,
    parse_operlog_line,
    parse_stamp,
    read_attlog,
    split_batch,
    split_lines,
    storable,
    table_label,
    too_many_lines,
    upload_reply,
    userinfo_delete_command,
    userinfo_update_command,
    valid_serial,
)

T = "2025-08-27 07:00:00"
WHEN = dt.datetime(2025, 8, 27, 7, 0)


def rejected(line: str) -> RejectedLine:
    item = parse_attlog_line(line)
    assert isinstance(item, RejectedLine), item
    return item


def record(line: str) -> AttlogRecord:
    item = parse_attlog_line(line)
    assert isinstance(item, AttlogRecord), item
    return item


# --- field counts and dialects ------------------------------------------------------------


def test_four_fields_are_enough_three_are_not() -> None:
    assert record(f"11\t{T}\t0\t1") == AttlogRecord("11", WHEN, 0, 1, "", f"11\t{T}\t0\t1")
    bad = rejected(f"11\t{T}\t0")
    assert bad == RejectedLine(f"11\t{T}\t0", "Jumlah kolom salah: 3 kolom, minimal 4 (PIN, "
                               "waktu, status, verifikasi).", "field_count")
    assert rejected("11").reason.startswith("Jumlah kolom salah: 1 kolom")


def test_empty_verify_after_a_trailing_tab_is_zero() -> None:
    # four fields of which the last is empty: not trimmed below four
    assert record(f"11\t{T}\t3\t") == AttlogRecord("11", WHEN, 3, 0, "", f"11\t{T}\t3\t")


def test_empty_status_and_verify_are_zero() -> None:
    assert record(f"11\t{T}\t\t") == AttlogRecord("11", WHEN, 0, 0, "", f"11\t{T}\t\t")
    assert record(f"11\t{T}\t \t 15 ").verify_type == 15


def test_seven_eight_and_ten_field_rows() -> None:
    seven = record(f"11\t{T}\t1\t15\t7\t0\t0")
    assert (seven.status_code, seven.verify_type, seven.workcode) == (1, 15, "7")
    eight = record(f"11\t{T}\t0\t1\t\t0\t0\t")  # trailing tab and an empty workcode
    assert (eight.status_code, eight.verify_type, eight.workcode) == (0, 1, "")
    ten = record(f"11\t{T}\t255\t1\t0\t0\t0\t0\t0\t0")
    assert (ten.status_code, ten.workcode) == (255, "0")
    assert record(f"11\t{T}\t0\t1\t9").workcode == "9"  # five fields: the workcode is the 5th


def test_trailing_empty_fields_and_whitespace() -> None:
    rec = record(f" 11 \t {T} \t 1 \t 4 \t\t\t\t")
    assert (rec.pin, rec.local_time, rec.status_code, rec.verify_type, rec.workcode) == (
        "11", WHEN, 1, 4, "")
    # an empty PIN is not trimmed away as a trailing field
    assert rejected(f"\t{T}\t0\t1").code == "bad_pin"


def test_status_255_and_int32_bounds_of_status_and_verify() -> None:
    assert record(f"11\t{T}\t255\t1").status_code == 255
    assert record(f"11\t{T}\t2147483647\t1").status_code == 2147483647
    assert record(f"11\t{T}\t-2147483648\t1").status_code == -2147483648
    assert record(f"11\t{T}\t0\t2147483647").verify_type == 2147483647
    assert record(f"11\t{T}\t0\t-2147483648").verify_type == -2147483648
    for status, verify in (("2147483648", "1"), ("-2147483649", "1"), ("0", "2147483648"),
                           ("0", "-2147483649"), ("x", "1"), ("1", "x"), ("1.5", "1")):
        bad = rejected(f"11\t{T}\t{status}\t{verify}")
        assert bad.code == "bad_status", (status, verify)
        assert bad.reason == (f"Kode status/verifikasi bukan angka yang sah: {status!r}/"
                              f"{verify!r}.")


def test_pin_length_and_alphabet() -> None:
    assert record(f"{'9' * 32}\t{T}\t0\t1").pin == "9" * 32
    assert record(f"a_B-9\t{T}\t0\t1").pin == "a_B-9"
    assert rejected(f"{'9' * 33}\t{T}\t0\t1").code == "bad_pin"
    assert rejected(f"1 1\t{T}\t0\t1").reason == "PIN tidak valid: '1 1'."
    # a long bad field is quoted cut to 40 characters
    assert rejected(f"{'x' * 45}!\t{T}\t0\t1").reason == f"PIN tidak valid: {'x' * 40!r}."


def test_empty_verify_before_a_workcode() -> None:
    rec = record(f"11\t{T}\t0\t\tw")
    assert (rec.verify_type, rec.workcode) == (0, "w")


def test_workcode_is_cut_to_its_column() -> None:
    assert record(f"11\t{T}\t0\t1\t{'w' * 32}").workcode == "w" * 32
    assert record(f"11\t{T}\t0\t1\t{'w' * 33}").workcode == "w" * 32


# --- times ----------------------------------------------------------------------------------


def test_bad_time_reason() -> None:
    bad = rejected("11\t2025-02-30 07:00:00\t0\t1")
    assert bad == RejectedLine("11\t2025-02-30 07:00:00\t0\t1",
                               "Format tanggal/waktu tidak valid: '2025-02-30 07:00:00' (harus "
                               "YYYY-MM-DD HH:MM:SS).", "bad_time")


@pytest.mark.parametrize("when", ["1970-01-01 00:00:00", "2099-12-31 23:59:59"])
def test_time_range_inside(when: str) -> None:
    assert record(f"11\t{when}\t0\t1").local_time == dt.datetime.strptime(when,
                                                                          "%Y-%m-%d %H:%M:%S")


@pytest.mark.parametrize("when", ["1969-12-31 23:59:59", "2100-01-01 00:00:00",
                                  "0001-01-01 00:00:00", "9999-12-31 23:59:59"])
def test_time_range_outside(when: str) -> None:
    bad = rejected(f"11\t{when}\t0\t1")
    assert bad.code == "bad_time"
    assert bad.reason == f"Tanggal di luar rentang yang mungkin: {when} (jam mesin rusak?)."


# --- line limits and bytes -------------------------------------------------------------------


def test_line_length_limit() -> None:
    head = f"11\t{T}\t0\t1\t0\t"
    exact = head + "0" * (512 - len(head))
    assert len(exact) == 512 and record(exact).raw == exact
    longer = exact + "0"
    assert rejected(longer) == RejectedLine(
        longer, "Baris terlalu panjang: 513 karakter, maksimal 512.", "line_too_long")


def test_nul_byte_is_a_bad_line() -> None:
    assert rejected(f"11\t{T}\t0\t1\t0\x00") == RejectedLine(
        f"11\t{T}\t0\t1\t0\x00", "Baris berisi byte NUL (data rusak).", "bad_bytes")


def test_storable() -> None:
    assert storable("a\x00b") == "a\\x00b"
    assert storable("a" * 4096) == "a" * 4096
    assert storable("a" * 4097) == "a" * 4096 + "[+1]"
    assert storable("abcdef", 4) == "abcd[+2]"
    assert storable("abcd", 4) == "abcd"
    assert storable("x" * 5000, None) == "x" * 5000
    assert storable("x" * 9, 4) == "xxxx[+5]"


def test_storable_raw_keeps_an_overflow_whole_and_cuts_a_line() -> None:
    long_line = "z" * 5000
    assert RejectedLine(long_line, "", "line_too_long").storable_raw() == "z" * 4096 + "[+904]"
    assert RejectedLine(long_line, "", "too_many_lines").storable_raw() == long_line
    assert RejectedLine("a\x00", "", "too_many_lines").storable_raw() == "a\\x00"
    # every other code is cut, whatever its spelling sorts like
    for code in ("unknown_pin", "bad_time", "".join(["too_many", "_lines_"])):
        assert RejectedLine(long_line, "", code).storable_raw() == "z" * 4096 + "[+904]"


def test_split_lines_crlf_lf_cr_and_blank_lines() -> None:
    assert list(split_lines("a\r\nb\nc\rd\r\n\r\n  \n\te\n")) == ["a", "b", "c", "d", "\te"]
    assert list(split_lines("")) == []


def test_split_batch_and_overflow() -> None:
    assert split_batch("a\nb\nc\n", 2) == (["a", "b"], ["c"])
    assert split_batch("a\nb\n", 2) == (["a", "b"], [])
    assert too_many_lines(["c", "d"], 2) == RejectedLine(
        "c\nd", "Melebihi batas 2 baris per kiriman: 2 baris disimpan tanpa diproses.",
        "too_many_lines")


def test_bounded_int() -> None:
    assert bounded_int("5", 5, 5) == 5
    assert bounded_int("4", 5, 9) is None and bounded_int("10", 5, 9) is None
    assert bounded_int(" 7 ", 0, 9) == 7
    assert bounded_int("seven", 0, 9) is None and bounded_int("", 0, 9) is None


def test_parse_attlog_keeps_order_and_skips_blank_lines() -> None:
    items = parse_attlog(f"11\t{T}\t0\t1\r\n\r\nbad\n12\t{T}\t1\t1")
    assert [getattr(i, "pin", None) for i in items] == ["11", None, "12"]


# --- plausibility window ----------------------------------------------------------------------


NOW = dt.datetime(2026, 11, 20, 12, 0)


def at(when: dt.datetime) -> AttlogRecord:
    return record(f"11\t{when:%Y-%m-%d %H:%M:%S}\t0\t1")


def test_window_defaults_and_clamps() -> None:
    assert PunchWindow() == PunchWindow(dt.timedelta(days=1), dt.timedelta(days=90))
    assert PunchWindow.of(24, 90) == PunchWindow()
    assert PunchWindow.of(0, 1) == PunchWindow(dt.timedelta(0), dt.timedelta(days=1))
    assert PunchWindow.of(-1, 0) == PunchWindow(dt.timedelta(0), dt.timedelta(days=1))
    assert PunchWindow.of(168, 3660) == PunchWindow(dt.timedelta(hours=168),
                                                    dt.timedelta(days=3660))
    assert PunchWindow.of(169, 3661) == PunchWindow(dt.timedelta(hours=168),
                                                    dt.timedelta(days=3660))
    assert PunchWindow.of(2, 2) == PunchWindow(dt.timedelta(hours=2), dt.timedelta(days=2))


def test_window_future_edge() -> None:
    window = PunchWindow()
    edge = at(NOW + dt.timedelta(days=1))
    assert check_window(edge, NOW, window) is edge
    late = at(NOW + dt.timedelta(days=1, seconds=1))
    assert check_window(late, NOW, window) == RejectedLine(
        late.raw, "Waktu absen 2026-11-21 12:00:01 lebih dari 24 jam di depan jam server.",
        "future_time")
    assert check_window(at(NOW + dt.timedelta(days=2)), NOW, window).code == "future_time"  # type: ignore[union-attr]
    half = PunchWindow(dt.timedelta(minutes=90), dt.timedelta(days=1))
    assert check_window(at(NOW + dt.timedelta(hours=2)), NOW, half).reason == (  # type: ignore[union-attr]
        "Waktu absen 2026-11-20 14:00:00 lebih dari 1.5 jam di depan jam server.")


def test_window_age_edge() -> None:
    window = PunchWindow()
    edge = at(NOW - dt.timedelta(days=90))
    assert check_window(edge, NOW, window) is edge
    old = at(NOW - dt.timedelta(days=90, seconds=1))
    assert check_window(old, NOW, window) == RejectedLine(
        old.raw, "Waktu absen 2026-08-22 11:59:59 lebih lama dari 90 hari.", "old_time")
    # a dead clock battery
    assert check_window(at(dt.datetime(2000, 1, 1)), NOW, window).code == "old_time"  # type: ignore[union-attr]


def test_window_passes_rejections_through() -> None:
    bad = RejectedLine("x", "r", "field_count")
    assert check_window(bad, NOW, PunchWindow()) is bad


def test_read_attlog_applies_the_window() -> None:
    items = read_attlog([f"11\t{NOW:%Y-%m-%d %H:%M:%S}\t0\t1", "11\t2000-01-01 07:00:00\t0\t1",
                         "x"], NOW, PunchWindow())
    assert [getattr(i, "code", "ok") for i in items] == ["ok", "old_time", "field_count"]


# --- OPERLOG --------------------------------------------------------------------------------


def test_key_values() -> None:
    assert parse_key_values(" PIN = 11 \tName=Budi=S\t=x\tNoValue\tCard=") == {
        "PIN": "11", "Name": "Budi=S", "Card": ""}


@pytest.mark.parametrize(("pri", "expected"), [
    ("", 0), ("0", 0), ("1", 1), ("14", 14), ("2147483647", 2147483647), ("2147483648", 0),
    ("-1", 0), ("-2147483648", 0), ("x", 0),
])
def test_user_privilege(pri: str, expected: int) -> None:
    rec = parse_operlog_line(f"USER PIN=11\tName=Budi\tPri={pri}")
    assert isinstance(rec, UserRecord) and rec.privilege == expected


def test_user_line_without_pri_and_lower_case_head() -> None:
    rec = parse_operlog_line("user PIN=7\tName=Ani")
    assert rec == UserRecord("7", "Ani", 0, "", "user PIN=7\tName=Ani")


def test_user_name_and_card_are_cleaned_and_cut() -> None:
    rec = parse_operlog_line(f"USER PIN=7\tName=Budi\x00  Santoso\x1b\tCard={'9' * 70}")
    assert isinstance(rec, UserRecord)
    assert (rec.name, rec.card) == ("Budi Santoso", "9" * 64)
    long_name = parse_operlog_line(f"USER PIN=7\tName={'n' * 250}")
    assert isinstance(long_name, UserRecord) and long_name.name == "n" * 200
    assert clean_text("a\u2028b\tc", 3) == "a b"


def test_operlog_other_lines_and_bad_pins() -> None:
    assert parse_operlog_line("OPLOG 4\t0\t2025-08-27 10:00:00\t0\t0\t0\t0") is None
    # other records naming a PIN, whichever side of USER they sort on
    assert parse_operlog_line("USERPIC PIN=11\tFileName=11.jpg\tSize=4\tContent=AAAA") is None
    assert parse_operlog_line("BIOPHOTO PIN=11\tFileName=11.jpg") is None
    assert parse_operlog_line("FP PIN=11\tFID=0\tSize=4\tValid=1\tTMP=AAAA\x00\xff") is None
    assert parse_operlog_line("USER Name=x") == RejectedLine(
        "USER Name=x", "Baris USER tanpa PIN yang valid: ''.", "bad_pin")
    assert parse_operlog_line(f"USER PIN={'1' * 33}").code == "bad_pin"  # type: ignore[union-attr]


# --- handshake and replies ------------------------------------------------------------------


def test_handshake_new_firmware_exact() -> None:
    assert handshake_reply("SN1", attlog_stamp=12, operlog_stamp=3, tz_offset_hours=8,
                           pushver="2.4.1") == (
        "GET OPTION FROM: SN1\nATTLOGStamp=12\nOPERLOGStamp=3\nATTPHOTOStamp=0\n"
        "ErrorDelay=30\nDelay=10\nTransTimes=00:00;14:05\nTransInterval=1\n"
        "TransFlag=TransData AttLog OpLog\nTimeZone=8\nRealtime=1\nEncrypt=0\nServerVer=2.4.1\n")


def test_handshake_old_firmware_exact() -> None:
    expected = (
        "GET OPTION FROM: SN1\nStamp=12\nOpStamp=3\nPhotoStamp=0\n"
        "ErrorDelay=30\nDelay=10\nTransTimes=00:00;14:05\nTransInterval=1\n"
        "TransFlag=1111000000\nTimeZone=7\nRealtime=1\nEncrypt=0\nServerVer=2.4.1\n")
    assert handshake_reply("SN1", attlog_stamp=12, operlog_stamp=3, tz_offset_hours=7.0) == expected
    assert handshake_reply("SN1", attlog_stamp=12, operlog_stamp=3, tz_offset_hours=7,
                           pushver="") == expected


def test_handshake_stamps_are_named() -> None:
    # two stamps side by side: passing them by position is refused, not swapped
    with pytest.raises(TypeError):
        handshake_reply("S", 1, 2, 8)  # type: ignore[misc]


def test_handshake_zone_and_options() -> None:
    def tz_line(offset: float) -> str:
        reply = handshake_reply("S", attlog_stamp=0, operlog_stamp=0, tz_offset_hours=offset)
        return next(line for line in reply.splitlines() if line.startswith("TimeZone="))

    assert [tz_line(o) for o in (9, 0, 5.5, -3.5)] == [
        "TimeZone=9", "TimeZone=0", "TimeZone=5.5", "TimeZone=-3.5"]
    custom = handshake_reply("S", attlog_stamp=0, operlog_stamp=0, tz_offset_hours=8,
                             error_delay=60, delay=5, server_version="3.0")
    assert {"ErrorDelay=60", "Delay=5", "ServerVer=3.0"} <= set(custom.splitlines())


def test_upload_reply_and_stamps() -> None:
    assert upload_reply(0) == "OK:0" and upload_reply(17) == "OK:17"
    assert parse_stamp(None) is None
    assert parse_stamp("0") == 0 and parse_stamp(" 42 ") == 42
    assert parse_stamp("9223372036854775807") == 9223372036854775807
    assert parse_stamp("9223372036854775808") is None
    assert parse_stamp("-1") is None and parse_stamp("") is None and parse_stamp("1e3") is None


def test_serials_and_table_labels() -> None:
    assert valid_serial("CQZ-72_3.26") and valid_serial("A" * 64)
    assert not valid_serial("A" * 65)
    assert not valid_serial("") and not valid_serial(None) and not valid_serial("A B")
    assert not valid_serial("A\x00")
    assert [table_label(t) for t in ("ATTLOG", " operlog ", "attphoto", "BIODATA", "USERPIC",
                                     "ERRORLOG", "", "x" * 40, "ATTLOG2")] == [
        "ATTLOG", "OPERLOG", "ATTPHOTO", "BIODATA", "USERPIC", "ERRORLOG", "other", "other",
        "other"]


# --- commands ---------------------------------------------------------------------------------


def test_command_formats() -> None:
    assert format_command(7, "INFO") == "C:7:INFO"
    assert userinfo_update_command("11", " Budi\t\nSantoso ") == (
        "DATA UPDATE USERINFO PIN=11\tName=Budi Santoso\tPri=0")
    assert userinfo_update_command("11", "Ani", 14) == (
        "DATA UPDATE USERINFO PIN=11\tName=Ani\tPri=14")
    assert userinfo_delete_command("11") == "DATA DELETE USERINFO PIN=11"


def test_command_results_in_any_case_and_several_per_post() -> None:
    body = ("ID=1&Return=0&CMD=DATA\r\nid=2&return=-1002&cmd=DATA\n"
            "ID=3&Return=0&CMD=DATA&ID=4&Return=-1004&CMD=INFO\nReturn=5&ID=6\n")
    assert parse_devicecmd(body) == [
        CommandResult(1, 0, "DATA"), CommandResult(2, -1002, "DATA"),
        CommandResult(3, 0, "DATA"), CommandResult(4, -1004, "INFO"), CommandResult(6, 5, "")]
    first = parse_devicecmd("ID=1&Return=0&CMD=DATA\n")[0]
    assert isinstance(first, CommandResult) and first.raw == "ID=1&Return=0&CMD=DATA"
    # raw is not part of a result's identity
    assert CommandResult(1, 0, "DATA", "x") == CommandResult(1, 0, "DATA")


def test_command_result_defaults_and_bounds() -> None:
    assert parse_devicecmd("ID=7") == [CommandResult(7, 0, "")]
    assert parse_devicecmd("ID= 8 &Return=&CMD= DATA ") == [CommandResult(8, 0, "DATA")]
    assert parse_devicecmd(" id =0&Return=2147483647") == [CommandResult(0, 2147483647, "")]
    assert parse_devicecmd("ID=9223372036854775807&Return=-2147483648") == [
        CommandResult(9223372036854775807, -2147483648, "")]
    for line in ("ID=-1&Return=0", "ID=9223372036854775808", "ID=7&Return=2147483648",
                 "ID=7&Return=-2147483649", "ID=abc&Return=0", "Return=0&CMD=DATA", "garbage",
                 "&&&", "ID=7&Return=x"):
        [bad] = parse_devicecmd(line)
        assert bad == RejectedLine(line, "Hasil perintah tanpa ID/Return yang valid.",
                                   "bad_command_result"), line
    # a second result with an empty ID is a bad result, not dropped
    assert parse_devicecmd("ID=7&ID=") == [CommandResult(7, 0, ""), RejectedLine(
        "ID=7&ID=", "Hasil perintah tanpa ID/Return yang valid.", "bad_command_result")]


def test_command_result_line_limits() -> None:
    exact = "ID=1&Return=0&CMD=" + "D" * (512 - 18)
    assert len(exact) == 512 and parse_devicecmd(exact) == [CommandResult(1, 0, "D" * 494)]
    for line in (exact + "D", "ID=1&Return=0\x00"):
        assert parse_devicecmd(line) == [RejectedLine(
            line, "Hasil perintah terlalu panjang atau rusak.", "bad_command_result")]


def test_resend_policy() -> None:
    policy = ResendPolicy()
    assert policy == ResendPolicy(dt.timedelta(minutes=5), 3)
    sent = NOW - dt.timedelta(minutes=5)
    assert command_action("pending", None, 0, NOW, policy) == "send"
    for status in ("done", "failed", "unanswered"):
        assert command_action(status, sent, 1, NOW, policy) == "wait"
    assert command_action("sent", None, 1, NOW, policy) == "wait"
    assert command_action("sent", sent + dt.timedelta(seconds=1), 1, NOW, policy) == "wait"
    assert command_action("sent", sent, 1, NOW, policy) == "send"
    assert command_action("sent", sent, 3, NOW, policy) == "send"  # the third resend
    assert command_action("sent", sent, 4, NOW, policy) == "expire"
    never = ResendPolicy(dt.timedelta(seconds=1), 0)
    assert command_action("sent", sent, 1, NOW, never) == "expire"


# --- immutability ---------------------------------------------------------------------------


@pytest.mark.parametrize("value", [
    AttlogRecord("1", WHEN, 0, 0, "", ""), RejectedLine("", "", ""), PunchWindow(),
    UserRecord("1", "", 0, "", ""), CommandResult(1, 0, ""), ResendPolicy(),
])
def test_values_are_frozen(value: object) -> None:
    field = dataclasses.fields(value)[0].name  # type: ignore[arg-type]
    with pytest.raises(dataclasses.FrozenInstanceError):
        setattr(value, field, None)


def test_command_problem_names_why_a_command_did_not_take_effect() -> None:
    from attendance.domain.attlog import command_problem

    assert command_problem("unanswered", 4, None) == (
        "Mesin tidak menjawab setelah perintah dikirim 4 kali; periksa koneksi mesin lalu "
        "sinkronkan ulang.")
    assert command_problem("failed", 1, -1002) == "Mesin menolak perintah (kode -1002)."
    for status in ("pending", "sent", "done"):
        assert command_problem(status, 1, 0) is None

"""ATTLOG/OPERLOG parsing and the device replies (ZKTeco ADMS push protocol)."""

from __future__ import annotations

import datetime as dt

from attendance.domain.attlog import (
    AttlogRecord,
    CommandResult,
    RejectedLine,
    UserRecord,
    handshake_reply,
    parse_attlog,
    parse_attlog_line,
    parse_devicecmd,
    parse_operlog_line,
    parse_stamp,
    userinfo_update_command,
)


def test_full_record_with_reserved_fields() -> None:
    rec = parse_attlog_line("11\t2025-08-27 10:57:49\t0\t1\t0\t0\t0\t0\t0\t0")
    assert rec == AttlogRecord("11", dt.datetime(2025, 8, 27, 10, 57, 49), 0, 1, "0",
                               "11\t2025-08-27 10:57:49\t0\t1\t0\t0\t0\t0\t0\t0")


def test_crlf_lf_blank_lines_and_trailing_tab() -> None:
    body = "11\t2025-08-27 07:01:00\t0\t1\r\n\r\n12\t2025-08-27 07:02:00\t1\t15\t\n13\t2025-08-27 07:03:00\t0\t1\t0\t\t\n"
    recs = parse_attlog(body)
    assert [r.pin for r in recs if isinstance(r, AttlogRecord)] == ["11", "12", "13"]
    assert recs[1].verify_type == 15 and recs[1].status_code == 1  # type: ignore[union-attr]


def test_bad_date_is_rejected_with_reason() -> None:
    rec = parse_attlog_line("11\t2025-13-45 07:00:00\t0\t1")
    assert isinstance(rec, RejectedLine) and rec.code == "bad_time"
    assert "2025-13-45" in rec.reason


def test_wrong_field_count() -> None:
    for line in ("11", "11\t2025-08-27 07:00:00", "11\t2025-08-27 07:00:00\t0"):
        rec = parse_attlog_line(line)
        assert isinstance(rec, RejectedLine) and rec.code == "field_count", line


def test_bad_pin_and_status() -> None:
    assert parse_attlog_line("\t2025-08-27 07:00:00\t0\t1").code == "bad_pin"  # type: ignore[union-attr]
    assert parse_attlog_line("11\t2025-08-27 07:00:00\tx\t1").code == "bad_status"  # type: ignore[union-attr]


def test_handshake_reply_lines() -> None:
    reply = handshake_reply("ABC123", attlog_stamp=99, operlog_stamp=5, tz_offset_hours=8,
                            pushver="2.4.1")
    lines = reply.splitlines()
    assert lines[0] == "GET OPTION FROM: ABC123"
    assert "ATTLOGStamp=99" in lines and "OPERLOGStamp=5" in lines
    assert "TimeZone=8" in lines and "Realtime=1" in lines
    assert "TransFlag=TransData AttLog OpLog" in lines


def test_stamp() -> None:
    assert parse_stamp("123") == 123
    assert parse_stamp("x") is None and parse_stamp(None) is None and parse_stamp("-1") is None


def test_operlog_user_line() -> None:
    rec = parse_operlog_line("USER PIN=11\tName=Budi Santoso\tPri=0\tPasswd=\tCard=\tGrp=1")
    assert rec == UserRecord("11", "Budi Santoso", 0, "",
                             "USER PIN=11\tName=Budi Santoso\tPri=0\tPasswd=\tCard=\tGrp=1")
    assert parse_operlog_line("OPLOG 4\t0\t2025-08-27 10:00:00\t0\t0\t0\t0") is None
    assert isinstance(parse_operlog_line("USER Name=x"), RejectedLine)


def test_commands_and_results() -> None:
    assert (userinfo_update_command("11", "Budi\tSantoso")
            == "DATA UPDATE USERINFO PIN=11\tName=Budi Santoso\tPri=0")
    results = parse_devicecmd("ID=7&Return=0&CMD=DATA\nID=8&Return=-1002&CMD=DATA\ngarbage\n")
    assert results[:2] == [CommandResult(7, 0, "DATA"), CommandResult(8, -1002, "DATA")]
    assert isinstance(results[2], RejectedLine)

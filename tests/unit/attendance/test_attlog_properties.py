"""Property tests of the ADMS parser: arbitrary bodies (random bytes, field counts,
encodings, line endings, extreme numbers and dates) never raise, what is accepted always
fits its column, and a well-formed line is always read back as it was written."""

from __future__ import annotations

import datetime as dt

from hypothesis import given, settings
from hypothesis import strategies as st

from attendance.domain.attlog import (
    ATTLOG_TIME_FORMAT,
    EARLIEST_TIME,
    INT32_MAX,
    INT32_MIN,
    INT64_MAX,
    LATEST_TIME,
    MAX_LINE_CHARS,
    AttlogRecord,
    CommandResult,
    PunchWindow,
    RejectedLine,
    UserRecord,
    check_window,
    local_time,
    parse_attlog,
    parse_attlog_line,
    parse_devicecmd,
    parse_operlog_line,
    split_lines,
    storable,
)

CODES = {"field_count", "bad_pin", "bad_time", "bad_status", "bad_bytes", "line_too_long"}
PIN_ALPHABET = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ_-"

pins = st.text(PIN_ALPHABET, min_size=1, max_size=32)
times = st.datetimes(min_value=EARLIEST_TIME, max_value=LATEST_TIME - dt.timedelta(seconds=1)
                     ).map(lambda t: t.replace(microsecond=0))
int32 = st.integers(INT32_MIN, INT32_MAX)
extreme_ints = st.one_of(st.integers(), st.sampled_from(
    [INT32_MAX, INT32_MAX + 1, INT32_MIN, INT32_MIN - 1, INT64_MAX, INT64_MAX + 1, 255, -1]))
extreme_dates = st.sampled_from(["0001-01-01 00:00:00", "9999-12-31 23:59:59",
                                 "2000-01-01 00:00:00", "2099-12-31 23:59:59",
                                 "2026-02-29 07:00:00", "2026-13-01 07:00:00", ""])
endings = st.sampled_from(["\n", "\r\n", "\r"])
noise_text = st.text(st.characters(codec="utf-8"), max_size=80)
noise_field = st.one_of(noise_text, extreme_dates, extreme_ints.map(str), st.just("\x00"))
random_line = st.lists(noise_field, max_size=12).map("\t".join)
random_body = st.one_of(
    st.binary(max_size=600).map(lambda b: b.decode("utf-8", errors="replace")),
    st.binary(max_size=300).map(lambda b: b.decode("latin-1")),
    st.lists(st.tuples(random_line, endings), max_size=12).map(
        lambda ls: "".join(a + b for a, b in ls)),
)


@st.composite
def good_lines(draw: st.DrawFn) -> tuple[str, tuple[str, dt.datetime, int, int, str]]:
    """A well-formed row in one of the firmware shapes (4, 5, 7, 8 and 10 fields)."""
    pin, when, status, verify = draw(pins), draw(times), draw(int32), draw(int32)
    workcode = draw(st.text("0123456789", max_size=4))
    shape = draw(st.sampled_from([4, 5, 7, 8, 10]))
    fields = [pin, f"{when:%Y-%m-%d %H:%M:%S}", str(status), str(verify)]
    if shape == 4:
        workcode = ""
    elif shape == 8:  # a trailing tab and an empty workcode
        fields += ["", "0", "0", ""]
        workcode = ""
    else:
        fields += [workcode] + ["0"] * (shape - 5)
    return "\t".join(fields), (pin, when, status, verify, workcode)


def assert_fits_columns(item: AttlogRecord | RejectedLine) -> None:
    if isinstance(item, AttlogRecord):
        assert 1 <= len(item.pin) <= 32 and set(item.pin) <= set(PIN_ALPHABET)
        assert EARLIEST_TIME <= item.local_time < LATEST_TIME
        assert INT32_MIN <= item.status_code <= INT32_MAX
        assert INT32_MIN <= item.verify_type <= INT32_MAX
        assert len(item.workcode) <= 32 and len(item.raw) <= MAX_LINE_CHARS
        assert "\x00" not in item.raw
    else:
        assert item.code in CODES and item.reason and "\x00" not in item.reason


@settings(max_examples=300, deadline=None)
@given(random_body)
def test_any_body_parses_without_raising(body: str) -> None:
    items = parse_attlog(body)
    assert len(items) == len(list(split_lines(body)))
    for item in items:
        assert_fits_columns(item)


@settings(max_examples=300, deadline=None)
@given(random_line)
def test_any_line_parses_without_raising(line: str) -> None:
    assert_fits_columns(parse_attlog_line(line))


@settings(max_examples=200, deadline=None)
@given(st.lists(st.one_of(good_lines(), random_line.map(lambda x: (x, None))), max_size=15),
       endings)
def test_good_lines_always_read_back(lines: list[tuple[str, object]], ending: str) -> None:
    body = ending.join(line for line, _ in lines) + ending
    items = parse_attlog(body)
    read = [(i.pin, i.local_time, i.status_code, i.verify_type, i.workcode)
            for i in items if isinstance(i, AttlogRecord)]
    expected = [fields for _, fields in lines if fields is not None]
    for fields in expected:
        assert fields in read


@settings(max_examples=200, deadline=None)
@given(times, st.integers(0, 168), st.integers(1, 3660),
       st.integers(-400 * 86400, 400 * 86400))
def test_window_accepts_exactly_the_times_inside(now: dt.datetime, hours: int, days: int,
                                                 offset_s: int) -> None:
    window = PunchWindow.of(hours, days)
    when = now + dt.timedelta(seconds=offset_s)
    if not EARLIEST_TIME <= when < LATEST_TIME:
        return
    item = parse_attlog_line(f"11\t{when:%Y-%m-%d %H:%M:%S}\t0\t1")
    out = check_window(item, now, window)
    inside = now - window.max_age <= when <= now + window.max_future
    assert isinstance(out, AttlogRecord) == inside
    if not inside:
        assert isinstance(out, RejectedLine) and out.code in {"future_time", "old_time"}


@settings(max_examples=300, deadline=None)
@given(random_body)
def test_any_devicecmd_body(body: str) -> None:
    for item in parse_devicecmd(body):
        if isinstance(item, CommandResult):
            assert 0 <= item.command_id <= INT64_MAX
            assert INT32_MIN <= item.return_code <= INT32_MAX
        else:
            assert item.code == "bad_command_result"


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.integers(0, INT64_MAX), int32,
                          st.sampled_from(["ID", "id", "Id"]),
                          st.sampled_from(["Return", "return", "RETURN"])), min_size=1,
                max_size=5), st.booleans())
def test_devicecmd_results_round_trip(results: list[tuple[int, int, str, str]],
                                      one_line: bool) -> None:
    parts = [f"{k}={i}&{r}={code}&CMD=DATA" for i, code, k, r in results]
    body = "&".join(parts) if one_line else "\n".join(parts)
    assert parse_devicecmd(body) == [CommandResult(i, code, "DATA") for i, code, _, _ in results]


@settings(max_examples=300, deadline=None)
@given(st.one_of(random_line, random_line.map(lambda x: "USER " + x),
                 st.tuples(pins, noise_text, noise_text, extreme_ints).map(
                     lambda t: f"USER PIN={t[0]}\tName={t[1]}\tCard={t[2]}\tPri={t[3]}")))
def test_any_operlog_line(line: str) -> None:
    item = parse_operlog_line(line)
    if isinstance(item, UserRecord):
        assert 0 <= item.privilege <= INT32_MAX
        assert len(item.name) <= 200 and len(item.card) <= 64
        assert all(c.isprintable() for c in item.name + item.card)
    elif isinstance(item, RejectedLine):
        assert item.code == "bad_pin"


@settings(max_examples=200, deadline=None)
@given(st.text(st.characters(codec="utf-8"), max_size=6000), st.integers(1, 5000))
def test_storable_never_keeps_nul_and_is_bounded(text: str, limit: int) -> None:
    out = storable(text, limit)
    assert "\x00" not in out
    escaped = text.replace("\x00", "\\x00")
    assert out == escaped if len(escaped) <= limit else out.startswith(escaped[:limit])


def _strptime_or_none(when: str) -> dt.datetime | None:
    try:
        return dt.datetime.strptime(when, ATTLOG_TIME_FORMAT)
    except ValueError:
        return None


def _local_time_or_none(when: str) -> dt.datetime | None:
    try:
        return local_time(when)
    except ValueError:
        return None


# pieces of the time format, near and off it: digits of every width, pads, signs, Unicode
# digits and white space
_time_piece = st.one_of(
    st.integers(min_value=0, max_value=99999).map(str),
    st.integers(min_value=0, max_value=99).map(lambda n: f"{n:02d}"),
    st.sampled_from(["-", ":", " ", "  ", "\t", "T", " 5", "٣", "+07", ".5", "", "a"]),
)
_near_time = st.lists(_time_piece, min_size=1, max_size=12).map("".join)
_well_formed = st.datetimes(min_value=dt.datetime(1000, 1, 1)).map(
    lambda t: t.strftime(ATTLOG_TIME_FORMAT))


@settings(max_examples=2000, deadline=None)
@given(st.one_of(_well_formed, _near_time, st.text(max_size=30)))
def test_attlog_time_reads_as_strptime_does(when: str) -> None:
    """``local_time`` (a compiled pattern, for speed) accepts and refuses exactly what
    ``strptime`` with ``ATTLOG_TIME_FORMAT`` does, and reads the same time."""
    assert _local_time_or_none(when) == _strptime_or_none(when)


def test_attlog_time_edges_read_as_strptime_does() -> None:
    for when in ["2026-11-24 07:30:00", "2026-1-5 7:3:9", "2026-11- 5 07:30:00",
                 "2026-11-24   07:30:00", "2026-02-29 07:30:00", "2024-02-29 07:30:00",
                 "2026-11-24 24:00:00", "2026-11-24 07:60:00", "2026-11-24 07:30:60",
                 "2026-11-24 07:30:61", "2026-13-01 07:30:00", "2026-11-31 07:30:00",
                 "2026-11-24T07:30:00", "2026-11-24 07:30:00.5", "26-11-24 07:30:00",
                 "٢٠٢٦-١١-٢٤ ٠٧:٣٠:٠٠", "2026-11-24 07:30", ""]:
        assert _local_time_or_none(when) == _strptime_or_none(when), when

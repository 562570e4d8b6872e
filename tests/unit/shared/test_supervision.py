"""The one supervision rule (``ekinerja_shared.supervision``) at its edges: the first and the
last day of an assignment and the days around them, overlapping assignments, the absent
supervisor him/herself, a third official, oneself, and no transitivity; ``team_on`` agrees
with ``may_supervise`` on any roster (property test)."""

from __future__ import annotations

import datetime as dt

from hypothesis import given
from hypothesis import strategies as st

from tests.unit.domain_values import mutable_dataclasses

from ekinerja_shared.supervision import (
    DIRECT,
    ActingAssignment,
    ActingKind,
    SupervisorLink,
    acting_for,
    may_supervise,
    may_view,
    principals_on,
    stands_for,
    supervisor_on,
    supervisors_of,
    team_on,
)

START, END = dt.date(2026, 3, 10), dt.date(2026, 3, 13)
BEFORE, AFTER = START - dt.timedelta(days=1), END + dt.timedelta(days=1)
# STAFF and STAFF2 report to KASUBAG, KASUBAG to KABAG; STAFF2 is the Kasubag's Plh
PLH = ActingAssignment("KASUBAG", "STAFF2", ActingKind.PLH, START, END)
ROSTER = {"STAFF": "KASUBAG", "STAFF2": "KASUBAG", "KASUBAG": "KABAG", "KABAG": None}


def test_an_assignment_counts_from_its_first_to_its_last_day_inclusive() -> None:
    for day in (START, START + dt.timedelta(days=1), END):
        assert stands_for("STAFF2", "KASUBAG", [PLH], day=day) == "plh"
        assert may_supervise("STAFF2", "STAFF", ["KASUBAG"], [PLH], day=day)
        assert team_on("STAFF2", ROSTER, [PLH], day) == {"STAFF"}
    for day in (BEFORE, AFTER):
        assert stands_for("STAFF2", "KASUBAG", [PLH], day=day) is None
        assert not may_supervise("STAFF2", "STAFF", ["KASUBAG"], [PLH], day=day)
        assert team_on("STAFF2", ROSTER, [PLH], day) == set()
    assert stands_for("STAFF2", "KASUBAG", [PLH]) is None  # no day: no acting


def test_the_absent_supervisor_keeps_the_team_and_is_not_supervised_by_the_plh() -> None:
    assert stands_for("KASUBAG", "KASUBAG", [PLH], day=START) == DIRECT
    assert team_on("KASUBAG", ROSTER, [PLH], START) == {"STAFF", "STAFF2"}
    assert may_supervise("KASUBAG", "STAFF", ["KASUBAG"], [PLH], day=START)
    # the Plh of the Kasubag is not the Kasubag's boss, nor the Plh's own
    assert not may_supervise("STAFF2", "KASUBAG", ["KABAG"], [PLH], day=START)
    assert not may_supervise("STAFF2", "STAFF2", ["KASUBAG"], [PLH], day=START)
    assert may_view("STAFF2", "STAFF2", ["KASUBAG"], [PLH], day=AFTER)  # own data, always
    assert supervisors_of("KASUBAG", [PLH], START) == {"KASUBAG", "STAFF2"}
    assert supervisors_of("KASUBAG", [PLH], AFTER) == {"KASUBAG"}
    assert supervisors_of(None, [PLH], START) == set()


def test_a_third_official_and_the_chain_above_do_not_supervise() -> None:
    for who in ("OTHER", "KABAG"):
        assert not may_supervise(who, "STAFF", ["KASUBAG"], [PLH], day=START)
        assert team_on(who, {"STAFF": "KASUBAG"}, [PLH], START) == set()
    # not transitive: the Plh of the Kabag is not the Plh of the Kasubag
    plt_kabag = ActingAssignment("KABAG", "OTHER", ActingKind.PLT, START, END)
    assert team_on("OTHER", ROSTER, [PLH, plt_kabag], START) == {"KASUBAG"}
    assert not may_supervise("OTHER", "STAFF", ["KASUBAG"], [PLH, plt_kabag], day=START)
    assert stands_for("KABAG", None, [plt_kabag], day=START) is None


def test_overlapping_assignments_all_count() -> None:
    second = ActingAssignment("KASUBAG", "OTHER", ActingKind.PLT, END, END + dt.timedelta(days=5))
    other_post = ActingAssignment("KABAG", "STAFF2", ActingKind.PLT, END, AFTER)
    both = [PLH, second, other_post]
    assert acting_for("KASUBAG", both, END) == {"STAFF2", "OTHER"}
    assert acting_for("KASUBAG", both, AFTER) == {"OTHER"}
    assert principals_on("STAFF2", both, END) == {"KASUBAG", "KABAG"}
    assert team_on("STAFF2", ROSTER, both, END) == {"STAFF", "KASUBAG"}
    assert team_on("STAFF2", ROSTER, both, AFTER) == {"KASUBAG"}
    assert stands_for("OTHER", "KASUBAG", both, day=AFTER) == "plt"


def test_the_direct_supervisor_on_a_day_follows_the_links() -> None:
    links = [SupervisorLink(dt.date(2026, 3, 10), "KABAG"),
             SupervisorLink(dt.date(2026, 1, 1), "KASUBAG")]
    assert supervisor_on(links, dt.date(2026, 3, 9)) == "KASUBAG"
    assert supervisor_on(links, dt.date(2026, 3, 10)) == "KABAG"
    assert supervisor_on(links, dt.date(2025, 12, 1)) == "KASUBAG"  # before the first link
    assert supervisor_on([], dt.date(2026, 3, 9)) is None


NIPS = st.sampled_from(["A", "B", "C", "D", "E"])
DAYS = st.integers(0, 6).map(lambda n: START + dt.timedelta(days=n))


@st.composite
def assignments(draw: st.DrawFn) -> ActingAssignment:
    start = draw(DAYS)
    return ActingAssignment(draw(NIPS), draw(NIPS), draw(st.sampled_from(ActingKind)), start,
                            start + dt.timedelta(days=draw(st.integers(0, 3))))


@given(st.dictionaries(NIPS, st.one_of(st.none(), NIPS)), st.lists(assignments(), max_size=4),
       NIPS, DAYS)
def test_the_team_is_exactly_whom_the_caller_may_supervise(roster: dict[str, str | None],
                                                           acting: list[ActingAssignment],
                                                           caller: str, day: dt.date) -> None:
    expected = {nip for nip, sup in roster.items()
                if may_supervise(caller, nip, [sup], acting, day=day)}
    assert team_on(caller, roster, acting, day) == expected
    assert caller not in expected


def test_names_that_sort_around_each_other_do_not_stand_for_one_another() -> None:
    # the rule compares NIPs for equality only: a NIP sorting before or after another's
    # is no relation (ZED sorts after STAFF2, KABAG before KASUBAG)
    assert stands_for("ZED", "KASUBAG", [PLH], day=START) is None
    other_post = ActingAssignment("KABAG", "STAFF2", ActingKind.PLT, START, END)
    assert acting_for("KABAG", [PLH, other_post], START) == {"STAFF2"}
    assert acting_for("AAA", [PLH, other_post], START) == set()
    for viewer, employee in (("A", "B"), ("B", "A")):
        assert may_view(viewer, employee, [None], [PLH], day=START) is False
    assert may_supervise("STAFF", "STAFF", ["KASUBAG"], [PLH], day=START) is False
    # the assignments may be named, the day must be
    assert stands_for("STAFF2", "KASUBAG", assignments=[PLH], day=START) == "plh"


def test_the_latest_link_stays_in_effect_after_its_date() -> None:
    links = [SupervisorLink(dt.date(2026, 1, 1), "KASUBAG"),
             SupervisorLink(dt.date(2026, 3, 10), "KABAG")]
    assert supervisor_on(links, dt.date(2026, 4, 1)) == "KABAG"
    assert supervisor_on(links, dt.date(2026, 2, 1)) == "KASUBAG"


def test_links_and_assignments_are_immutable() -> None:
    assert mutable_dataclasses("ekinerja_shared.supervision") == set()

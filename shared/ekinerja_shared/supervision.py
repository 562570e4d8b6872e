"""Who supervises whom on a given day: the one rule every service applies (pure, no I/O).

An employee's supervisor on day D is their direct supervisor in the directory on D
(``supervisor_on``: the latest ``SupervisorLink`` in effect), and also whoever acts for that
supervisor on D under an acting assignment (Plt: a vacant post; Plh: the official is away),
from its first to its last day inclusive. The principal keeps their own standing during a
Plh/Plt (an absent official does not lose their team); nobody supervises themselves, and
acting is not transitive (the Plh of a Plh's principal is not the Plh of the principal's
own supervisor; a Plh of the Kasubag is not the Kasubag's boss).

Activity owns the assignments (HR records them there) and publishes them
(``ActingAssignmentUpserted``); attendance and scoring keep copies and apply the same rule to
their team views and score audiences.
"""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

DIRECT = "direct"


class ActingKind(enum.StrEnum):
    PLT = "plt"  # pelaksana tugas: a vacant post
    PLH = "plh"  # pelaksana harian: the official is away


@dataclass(frozen=True)
class SupervisorLink:
    """From ``effective_from`` on, ``supervisor_nip`` is the employee's direct supervisor."""

    effective_from: dt.date
    supervisor_nip: str | None


@dataclass(frozen=True)
class ActingAssignment:
    """``acting_nip`` exercises ``principal_nip``'s supervisory role from ``start`` to
    ``end`` (both inclusive)."""

    principal_nip: str
    acting_nip: str
    kind: ActingKind
    start: dt.date
    end: dt.date

    def covers(self, day: dt.date) -> bool:
        return self.start <= day <= self.end


def supervisor_on(links: Iterable[SupervisorLink], day: dt.date) -> str | None:
    """The direct supervisor on ``day``: the latest link in effect; before the first known
    link the first one applies (the directory knew no earlier supervisor)."""
    ordered = sorted(links, key=lambda link: link.effective_from)
    if not ordered:
        return None
    current = ordered[0]
    for link in ordered:
        if link.effective_from <= day:
            current = link
    return current.supervisor_nip


def principals_on(acting_nip: str, assignments: Iterable[ActingAssignment],
                  day: dt.date) -> set[str]:
    """The officials ``acting_nip`` stands in for on ``day``."""
    return {a.principal_nip for a in assignments
            if a.acting_nip == acting_nip and a.covers(day)}


def acting_for(principal_nip: str, assignments: Iterable[ActingAssignment],
               day: dt.date) -> set[str]:
    """Who stands in for ``principal_nip`` on ``day`` (several overlapping assignments all
    count)."""
    return {a.acting_nip for a in assignments
            if a.principal_nip == principal_nip and a.covers(day)}


def stands_for(caller_nip: str, supervisor_nip: str | None,
               assignments: Iterable[ActingAssignment] = (), *,
               day: dt.date | None = None) -> str | None:
    """How ``caller_nip`` stands for ``supervisor_nip``: ``direct`` (it is them), the acting
    kind of an assignment in force on ``day`` (``plt``/``plh``), or None. Without a day no
    acting assignment counts."""
    if supervisor_nip is None:
        return None
    if caller_nip == supervisor_nip:
        return DIRECT
    if day is not None:
        for a in assignments:
            if a.acting_nip == caller_nip and a.principal_nip == supervisor_nip \
                    and a.covers(day):
                return a.kind.value
    return None


def supervisors_of(supervisor_nip: str | None, assignments: Iterable[ActingAssignment],
                   day: dt.date) -> set[str]:
    """Everyone who supervises an employee whose direct supervisor is ``supervisor_nip``
    on ``day``: that supervisor and whoever acts for them that day."""
    if supervisor_nip is None:
        return set()
    return {supervisor_nip} | acting_for(supervisor_nip, assignments, day)


def may_supervise(caller_nip: str, employee_nip: str, supervisors: Iterable[str | None],
                  assignments: Iterable[ActingAssignment] = (), *, day: dt.date) -> bool:
    """``caller_nip`` may act as the supervisor of ``employee_nip`` on ``day``: they stand
    for one of ``supervisors`` (the employee's supervisors of record, usually one), and are
    not the employee."""
    if caller_nip == employee_nip:
        return False
    assignments = list(assignments)
    return any(stands_for(caller_nip, s, assignments, day=day) is not None
               for s in supervisors)


def may_view(viewer_nip: str, employee_nip: str, supervisors: Iterable[str | None],
             assignments: Iterable[ActingAssignment] = (), *, day: dt.date) -> bool:
    """An employee's own data is seen by the employee and by whoever may supervise them
    on ``day``."""
    return viewer_nip == employee_nip or may_supervise(viewer_nip, employee_nip, supervisors,
                                                       assignments, day=day)


def team_on(caller_nip: str, supervisor_of: Mapping[str, str | None],
            assignments: Iterable[ActingAssignment], day: dt.date) -> set[str]:
    """The employees ``caller_nip`` supervises on ``day``, among ``supervisor_of`` (each
    employee's direct supervisor on that day): their own direct reports and those of the
    officials they act for; never the caller."""
    principals = {caller_nip} | principals_on(caller_nip, assignments, day)
    return {nip for nip, sup in supervisor_of.items()
            if sup in principals and nip != caller_nip}

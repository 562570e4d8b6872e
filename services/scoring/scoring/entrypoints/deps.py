"""Typed dependencies of scoring's routes: the runtime and the authorization decisions
particular to scoring (the shared ones are ``MemberDep``, ``TenantHrDep``, ``ReaderDep``)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from ekinerja_shared.http import allow, allow_self_or, runtime_of
from ekinerja_shared.identity import Caller, Role

from ..runtime import ScoringRuntime

RuntimeDep = Annotated[ScoringRuntime, Depends(runtime_of)]

TPP_READ_SCOPE = "tpp:read"
"""The grant of a machine client (payroll) that may download the TPP export."""

ScoreReaderDep = Annotated[Caller, Depends(allow_self_or(Role.EMPLOYEE, Role.SUPERVISOR,
                                                         Role.HR, Role.LEADER))]
"""One employee's score: the employee, whoever supervises them today (refined in the
route from the directory copy and the Plt/Plh assignments: a Plh holds no ``supervisor``
role of their own, so any person of the regency passes here), HR, leader, operator."""
TppExportDep = Annotated[Caller, Depends(allow(Role.HR, Role.LEADER, scope=TPP_READ_SCOPE))]
"""The TPP export: HR, leader, operator, or a machine client of the regency with
``tpp:read``."""

ACTOR_MAX = 64  # the width of the columns that record who acted


def acting(caller: Caller) -> str:
    """Who is recorded as having acted (policy, compliance, month close/reopen): the
    person's NIP, else the token's subject (the platform operator, a client)."""
    return (caller.nip or caller.subject)[:ACTOR_MAX]

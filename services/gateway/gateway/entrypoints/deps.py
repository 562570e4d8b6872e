"""Typed dependencies of the gateway's routes: the runtime, and the authorization decisions
the gateway's own routes share (gateway.domain.access has the rules)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from ekinerja_shared.http import allow, runtime_of
from ekinerja_shared.identity import Caller, Role

from ..domain.access import ROSTER_WRITE
from ..runtime import GatewayRuntime

RuntimeDep = Annotated[GatewayRuntime, Depends(runtime_of)]

OperatorDep = Annotated[Caller, Depends(allow(Role.OPERATOR))]
"""The platform operator (creates and changes regencies)."""
RosterWriterDep = Annotated[Caller, Depends(allow(Role.HR, scope=ROSTER_WRITE))]
"""The regency's HR, the operator, or a machine client of the regency with the roster
scope (SIMPEG)."""

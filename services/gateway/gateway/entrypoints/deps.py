"""Typed dependencies of the gateway's routes: the runtime, and the authorization decisions
the gateway's own routes share (gateway.domain.access has the rules)."""

from __future__ import annotations

import logging
from typing import Annotated

from fastapi import Depends, Request

from ekinerja_shared.http import CallerDep, allow, runtime_of
from ekinerja_shared.identity import Caller, Role

from ..domain.access import ROSTER_WRITE
from ..runtime import GatewayRuntime

RuntimeDep = Annotated[GatewayRuntime, Depends(runtime_of)]

OperatorDep = Annotated[Caller, Depends(allow(Role.OPERATOR))]
"""The platform operator (creates and changes regencies)."""
RosterWriterDep = Annotated[Caller, Depends(allow(Role.HR, scope=ROSTER_WRITE))]
"""The regency's HR, the operator, or a machine client of the regency with the roster
scope (SIMPEG)."""

audit_log = logging.getLogger("ekinerja.audit")


async def audit_operator(request: Request, caller: CallerDep) -> None:
    """Cross-regency access is audited: every request of the platform operator (or of the
    break-glass admin token) to the gateway's directory and scores is logged on the
    ``ekinerja.audit`` logger, with the regency, the route and the source address."""
    if caller.is_operator:
        audit_log.info(
            "operator access: %s %s %s tenant=%s from %s", caller.subject, request.method,
            request.url.path, request.path_params.get("tenant_id", "-"),
            request.client.host if request.client else "-")

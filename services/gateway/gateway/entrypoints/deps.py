"""Typed dependencies of the gateway's routes."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from ekinerja_shared.http import runtime_of

from ..runtime import GatewayRuntime

RuntimeDep = Annotated[GatewayRuntime, Depends(runtime_of)]

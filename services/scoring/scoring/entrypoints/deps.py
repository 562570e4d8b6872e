"""Typed dependencies of scoring's routes."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from ekinerja_shared.http import runtime_of

from ..runtime import ScoringRuntime

RuntimeDep = Annotated[ScoringRuntime, Depends(runtime_of)]

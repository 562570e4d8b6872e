"""Typed dependencies of the activity routes: the runtime and the service's defaults."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from ekinerja_shared.http import runtime_of

from ..runtime import ActivityRuntime
from ..service_layer.tenants import Config

RuntimeDep = Annotated[ActivityRuntime, Depends(runtime_of)]


def _config(rt: RuntimeDep) -> Config:
    return rt.config


ConfigDep = Annotated[Config, Depends(_config)]

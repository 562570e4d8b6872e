"""cProfile for the services a benchmark starts (py-spy is not installed here). Put this
directory on PYTHONPATH and set EK_CPROFILE_DIR: every Python process started with that
environment (the four services of ``running_system``) profiles its main thread and writes
``<EK_CPROFILE_DIR>/<program>-<pid>.prof`` (read it with ``pstats``) when its server has
stopped (a service whose shutdown then hangs is killed before ``atexit`` runs) or at exit.
Nothing happens without EK_CPROFILE_DIR."""

from __future__ import annotations

import atexit
import cProfile
import os
import sys
from pathlib import Path
from typing import Any

_target = os.environ.get("EK_CPROFILE_DIR")
if _target:
    _profile = cProfile.Profile()
    _done = False

    def _dump() -> None:
        global _done
        if _done:
            return
        _done = True
        _profile.disable()
        main = Path(sys.argv[0]) if sys.argv and sys.argv[0] else Path("python")
        name = main.parent.name if main.name == "__main__.py" else main.stem
        _profile.dump_stats(str(Path(_target) / f"{name}-{os.getpid()}.prof"))

    try:
        import uvicorn.server

        _serve = uvicorn.server.Server.serve

        async def _serve_then_dump(self: Any, *args: Any, **kwargs: Any) -> None:
            try:
                await _serve(self, *args, **kwargs)
            finally:
                _dump()

        uvicorn.server.Server.serve = _serve_then_dump  # type: ignore[method-assign]
    except ImportError:
        pass
    atexit.register(_dump)
    _profile.enable()

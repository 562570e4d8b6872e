"""cProfile for the services a benchmark starts (py-spy is not installed here). Put this
directory on PYTHONPATH and set EK_CPROFILE_DIR: every Python process started with that
environment (the four services of ``running_system``) profiles itself from start to exit
and writes ``<EK_CPROFILE_DIR>/<program>-<pid>.prof`` (read it with ``pstats``).
Nothing happens without EK_CPROFILE_DIR."""

from __future__ import annotations

import atexit
import cProfile
import os
import sys
from pathlib import Path

_target = os.environ.get("EK_CPROFILE_DIR")
if _target:
    _profile = cProfile.Profile()

    def _dump() -> None:
        _profile.disable()
        main = Path(sys.argv[0]) if sys.argv and sys.argv[0] else Path("python")
        name = main.parent.name if main.name == "__main__.py" else main.stem
        _profile.dump_stats(str(Path(_target) / f"{name}-{os.getpid()}.prof"))

    atexit.register(_dump)
    _profile.enable()

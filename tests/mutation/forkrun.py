"""Run pytest for one mutant in a forked child of a warm process.

Starting a fresh interpreter costs about 2-3 s of CPU per mutant (importing pytest, its
plugins, SQLAlchemy, FastAPI ...), far more than the domain tests themselves. The driver
imports those third-party modules once; each mutant's tests then run in a ``fork()`` of it
that drops every module of the project and of the tests first, so the project (and the
mutated file) is imported afresh from disk. The parent never imports project code.

The parent's objects are frozen out of the garbage collector (``gc.freeze``) before each
fork: otherwise a child's collections (pytest runs several at its end) walk the whole
inherited heap and copy every page they touch, which cost more than the tests themselves.
"""

from __future__ import annotations

import gc
import importlib
import json
import os
import signal
import sys
import tempfile
import time
import traceback
from pathlib import Path

PROJECT_PACKAGES = frozenset({"attendance", "activity", "scoring", "gateway", "ekinerja_shared",
                              "tests", "conftest"})


def _is_project(name: str, module: object, roots: tuple[str, ...]) -> bool:
    if name.split(".")[0] in PROJECT_PACKAGES:
        return True
    file = getattr(module, "__file__", None) or ""
    return any(file.startswith(root) for root in roots)


MODULES_MARK = "\n@@modules@@"


def pytest_script(pytest_args: list[str]) -> str:
    """A ``python -c`` script: pytest with these arguments, then the names of the imported
    modules printed after ``MODULES_MARK`` (read by ``modules_of``); exits with pytest's
    code."""
    return (
        "import json, sys, pytest\n"
        f"code = pytest.main({pytest_args!r})\n"
        f"print({MODULES_MARK!r} + json.dumps(sorted(sys.modules)))\n"
        "sys.exit(int(code))\n"
    )


def modules_of(stdout: str) -> list[str]:
    names: list[str] = json.loads(stdout.rsplit(MODULES_MARK, 1)[1])
    return names


def warm_up(names: list[str], roots: tuple[str, ...]) -> int:
    """Import into this process the third-party modules among ``names`` (those a test run
    imported, see ``pytest_script``); returns how many were imported."""
    imported = 0
    for name in names:
        if name.split(".")[0] in PROJECT_PACKAGES or name == "__main__" or name in sys.modules:
            continue
        try:
            module = importlib.import_module(name)
        except Exception:  # noqa: BLE001 - a module that cannot be imported alone is skipped
            continue
        if _is_project(name, module, roots):
            raise SystemExit(f"warm-up imported project module {name}")
        imported += 1
    return imported


class ForkRunner:
    """Runs the stages (pytest argument lists) in order, each in a forked child, stopping
    at the first failing stage; a stage longer than its timeout is killed (and counts as a
    killed mutant, as in cosmic-ray). ``calibrate`` sets each stage's timeout from an
    unmutated run."""

    def __init__(self, work: Path, sys_path: list[str], stages: list[list[str]],
                 timeout: float) -> None:
        self.work, self.sys_path, self.stages = work, sys_path, stages
        self.timeouts = [timeout] * len(stages)
        self.roots = (str(work),)

    def calibrate(self, factor: float, floor: float) -> tuple[list[float], str | None]:
        """Run the unmutated stages once; each stage's timeout becomes ``factor`` times the
        time it took, at least ``floor`` seconds. Returns the times and, when a stage
        failed, its output."""
        seconds: list[float] = []
        for i, args in enumerate(self.stages):
            started = time.monotonic()
            code, output = self._fork(args, started + self.timeouts[i])
            if code != 0:
                return seconds, output
            seconds.append(time.monotonic() - started)
        self.timeouts = [max(floor, factor * s) for s in seconds]
        return seconds, None

    def run(self) -> tuple[bool | None, str]:
        """(True: all passed / False: a test failed / None: timed out, output)."""
        outputs = []
        for args, timeout in zip(self.stages, self.timeouts, strict=True):
            code, output = self._fork(args, time.monotonic() + timeout)
            outputs.append(output)
            if code is None:
                return None, "timeout"
            if code != 0:
                return False, output
        return True, "".join(outputs)

    def _child(self, args: list[str], out: int) -> None:
        os.setsid()
        os.dup2(out, 1)
        os.dup2(out, 2)
        for name, module in list(sys.modules.items()):
            if _is_project(name, module, self.roots):
                del sys.modules[name]
        os.chdir(self.work)
        sys.path[:0] = self.sys_path
        import pytest

        code = pytest.main(args)
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(int(code))

    def _fork(self, args: list[str], deadline: float) -> tuple[int | None, str]:
        sys.stdout.flush()
        sys.stderr.flush()
        gc.freeze()  # cheap: moves the tracked objects to the permanent generation
        with tempfile.TemporaryFile() as out:
            pid = os.fork()
            if pid == 0:  # the child
                try:
                    self._child(args, out.fileno())
                except BaseException:  # noqa: BLE001 - report anything, never return
                    traceback.print_exc()
                    sys.stderr.flush()
                os._exit(3)
            while True:
                done, status = os.waitpid(pid, os.WNOHANG)
                if done:
                    break
                if time.monotonic() > deadline:
                    try:
                        os.killpg(pid, signal.SIGKILL)
                    except ProcessLookupError:
                        pass
                    os.waitpid(pid, 0)
                    return None, "timeout"
                time.sleep(0.01)
            out.seek(0)
            return os.waitstatus_to_exitcode(status), out.read().decode(errors="replace")

"""Profile a service process of a benchmark with py-spy (a dev dependency): ``record``
attaches to the running process for the load only, writes raw collapsed stacks, and
``summary`` turns them into the top frames by self and by inclusive share of the busy
samples (idle samples, the event loop waiting for I/O, are left out by ``--idle`` not
being given; ``EK_BENCH_PYSPY_IDLE=1`` keeps them, to see where the wall time waits).

    recorder = pyspy.record(pid, Path(".run/ingest-profile.txt"))
    ...                               # the load
    summary = pyspy.stop(recorder, Path(".run/ingest-profile.txt"))"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
from collections import Counter
from pathlib import Path
from typing import Any

RATE_HZ = 200
IDLE = os.environ.get("EK_BENCH_PYSPY_IDLE") == "1"  # also the samples waiting (I/O, locks)


def _py_spy() -> str:
    here = Path(sys.executable).with_name("py-spy")
    found = str(here) if here.exists() else shutil.which("py-spy")
    if not found:
        raise SystemExit("py-spy is missing: run `make setup` (it is a dev dependency)")
    return found


def record(pid: int, raw: Path) -> subprocess.Popen[bytes]:
    raw.parent.mkdir(parents=True, exist_ok=True)
    return subprocess.Popen([_py_spy(), "record", "--pid", str(pid), "--rate", str(RATE_HZ),
                             "--format", "raw", "--output", str(raw), "--nonblocking",
                             *(["--idle"] if IDLE else [])],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def _label(frame: str) -> str:
    """``evaluate_many (attendance/service_layer/evaluation.py:42)`` -> the function and
    its file from the package on (site-packages and the standard library shortened)."""
    name, _, where = frame.partition(" (")
    path = where.rstrip(")").rsplit(":", 1)[0]
    for anchor in ("site-packages/", "attendance/", "activity/", "scoring/", "gateway/",
                   "ekinerja_shared/", "python3.11/"):
        if anchor in path:
            path = path[path.rindex(anchor) + (len(anchor) if anchor.endswith("s/") or
                                               anchor.startswith("python") else 0):]
            break
    return f"{path}:{name}"


def summary(raw: Path, top: int = 40) -> dict[str, Any]:
    own: Counter[str] = Counter()
    incl: Counter[str] = Counter()
    total = 0
    for line in raw.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack or not count.isdigit():
            continue
        n = int(count)
        total += n
        frames = [_label(f) for f in stack.split(";")]
        own[frames[-1]] += n
        for f in set(frames):
            incl[f] += n

    def share(c: Counter[str], k: int) -> list[tuple[str, float]]:
        return [(f, round(100 * v / max(1, total), 1)) for f, v in c.most_common(k)]

    return {"profiler": "py-spy", "rate_hz": RATE_HZ, "idle_included": IDLE,
            "busy_samples": total,
            "self_pct_of_busy": share(own, top), "inclusive_pct_of_busy": share(incl, top)}


def stop(recorder: subprocess.Popen[bytes], raw: Path) -> dict[str, Any]:
    """End the recording (py-spy writes its file on SIGINT) and summarise it."""
    recorder.send_signal(signal.SIGINT)
    _, err = recorder.communicate(timeout=60)
    if not raw.exists():
        raise SystemExit(f"py-spy wrote no profile: {err.decode(errors='replace')[-2000:]}")
    return summary(raw)

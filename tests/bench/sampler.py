"""A small sampling profiler for a service process (py-spy is not installed here): runs
``python -m <module>`` in this process while a thread samples the main thread's stack every
few milliseconds (whatever runs there: the event loop, or SQLAlchemy's greenlet), and on
exit writes the top frames (counted from the last SIGUSR1 on) by self and by inclusive
share of the busy samples as JSON.
cProfile misattributes time across asyncio and greenlet switches; sampling does not.

Caveat: the sampling thread needs the GIL, which the main thread gives up at blocking calls
(socket and SSL writes, ``os.urandom``) sooner than at its switch interval (lowered here to
1 ms): self shares lean towards those calls; the inclusive shares of the service's own
functions (what a request or the relay spends below them) are the figures to read.

    .venv/bin/python tests/bench/sampler.py OUT.json -m attendance"""

from __future__ import annotations

import json
import runpy
import signal
import sys
import threading
import time
from collections import Counter
from pathlib import Path

INTERVAL_S = 0.005
IDLE = {"select", "poll", "epoll", "_run_once"}  # the asyncio loop waiting for I/O


def idle(code_file: str, name: str) -> bool:
    """The loop waiting: in a selector, or inside uvloop's C loop (no frame above
    ``asyncio.runners.run``)."""
    return name in IDLE or (name == "run" and code_file.endswith("asyncio/runners.py"))


def label(code_file: str, name: str, line: int) -> str:
    parts = Path(code_file).parts
    for anchor in ("site-packages", "attendance", "ekinerja_shared", "lib"):
        if anchor in parts:
            i = len(parts) - 1 - parts[::-1].index(anchor)
            return f"{'/'.join(parts[i + (anchor in ('site-packages', 'lib')):])}:{name}"
    return f"{code_file}:{name}"


def main() -> None:
    out, module = sys.argv[1], sys.argv[3]
    main_id = threading.get_ident()
    own: Counter[str] = Counter()
    incl: Counter[str] = Counter()
    counts = {"samples": 0, "idle": 0}
    stop = threading.Event()

    def sample() -> None:
        while not stop.wait(INTERVAL_S):
            frame = sys._current_frames().get(main_id)
            if frame is None:
                continue
            counts["samples"] += 1
            if idle(frame.f_code.co_filename, frame.f_code.co_name):
                counts["idle"] += 1
                continue
            own[label(frame.f_code.co_filename, frame.f_code.co_name, frame.f_lineno)] += 1
            seen = set()
            while frame is not None:
                key = label(frame.f_code.co_filename, frame.f_code.co_name, 0)
                if key not in seen:
                    seen.add(key)
                    incl[key] += 1
                frame = frame.f_back

    def reset(*_: object) -> None:  # SIGUSR1: count from now on (the load begins)
        own.clear()
        incl.clear()
        counts.update(samples=0, idle=0)

    signal.signal(signal.SIGUSR1, reset)
    sys.setswitchinterval(0.001)
    thread = threading.Thread(target=sample, daemon=True)
    started = time.monotonic()
    thread.start()
    sys.argv = [module]
    try:
        runpy.run_module(module, run_name="__main__", alter_sys=True)
    finally:
        stop.set()
        thread.join()
        busy = max(1, counts["samples"] - counts["idle"])

        def top(c: Counter[str], n: int) -> list[tuple[str, float]]:
            return [(k, round(100 * v / busy, 1)) for k, v in c.most_common(n)]

        Path(out).write_text(json.dumps({
            "wall_s": round(time.monotonic() - started, 1), "interval_s": INTERVAL_S,
            **counts, "busy_pct_of_samples": round(100 * busy / max(1, counts["samples"]), 1),
            "self_pct_of_busy": top(own, 40), "inclusive_pct_of_busy": top(incl, 60),
        }, indent=1))


if __name__ == "__main__":
    main()

"""`kit-mcp` (stdio) with a cProfile profiler that run.py --profile switches on after the warm-up calls, so the
profile holds the steady per-call path, not start-up and imports: SIGUSR1 starts it, SIGUSR2 stops it and writes
the stats to the file named first. Only the main thread (the event loop) is profiled.

Run: python benchmarks/profiled.py OUT.prof [kit-mcp options]
"""

from __future__ import annotations

import cProfile
import signal
import sys
from types import FrameType

from kit_mcp import cli

_profiler = cProfile.Profile()


def _start(signum: int, frame: FrameType | None) -> None:
    _profiler.enable()


def _stop(signum: int, frame: FrameType | None) -> None:
    _profiler.disable()
    _profiler.dump_stats(_out)


if __name__ == "__main__":
    _out = sys.argv.pop(1)
    signal.signal(signal.SIGUSR1, _start)
    signal.signal(signal.SIGUSR2, _stop)
    raise SystemExit(cli.main(sys.argv[1:]))

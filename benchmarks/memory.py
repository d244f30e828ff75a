"""The peak memory a benchmark reports for a process it started."""

from __future__ import annotations

import resource
import sys
from pathlib import Path


def peak_rss_mb() -> float:
    """This process's peak resident memory: on Linux its VmHWM, which starts anew with the program, where getrusage's
    ru_maxrss keeps the peak of the process it was forked from (a benchmark that runs its measurements in child
    processes would report its own peak for each of them)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    # Elsewhere getrusage's, with the forked-from peak in it: in bytes on macOS, in KB on the other systems.
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / 1024 / 1024 if sys.platform == "darwin" else peak / 1024

"""Peak resident memory of this process, resettable per configuration.

On Linux, writing "5" to /proc/self/clear_refs resets the kernel's high-water mark
(VmHWM), so each configuration reports its own peak rather than the largest one seen
so far. Where that is not possible the process-wide peak from getrusage is reported
and the scope says so.
"""

from __future__ import annotations

import resource
import sys
from dataclasses import asdict, dataclass

@dataclass(frozen=True)
class PeakMemory:
    peak_rss_mb: float
    scope: str  # "configuration" (reset before it) or "process" (since start)

    def to_dict(self) -> dict:
        return asdict(self)


def reset_peak(pid: int | str = "self") -> bool:
    """Reset the peak-RSS mark of process `pid`; return False where the OS does not allow it."""
    try:
        with open(f"/proc/{pid}/clear_refs", "w", encoding="ascii") as fh:
            fh.write("5")
        return True
    except OSError:
        return False


def status_kib(field: str, pid: int | str = "self") -> int | None:
    """A kB field of /proc/<pid>/status (VmHWM: peak RSS), or None where it cannot be read."""
    try:
        with open(f"/proc/{pid}/status", encoding="ascii") as fh:
            for line in fh:
                if line.startswith(field + ":"):
                    return int(line.split()[1])
    except OSError:
        return None
    return None


def peak_memory(was_reset: bool) -> PeakMemory:
    """The peak RSS since the last successful `reset_peak()` (or since start)."""
    hwm_kib = status_kib("VmHWM")
    if was_reset and hwm_kib is not None:
        return PeakMemory(peak_rss_mb=hwm_kib / 1024, scope="configuration")
    maxrss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    # ru_maxrss is KiB on Linux and bytes on macOS.
    mib = maxrss / (1024 * 1024) if sys.platform == "darwin" else maxrss / 1024
    return PeakMemory(peak_rss_mb=mib, scope="process")

"""Where the CPU goes during a benchmark: the server, the database, Redis, the load generator
itself, and the machine as a whole (Linux ``/proc``).

A load test on a small machine measures the machine as much as the server: the load
generator, PostgreSQL and Redis share its cores. Dividing each one's CPU seconds by the
votes cast says what one vote costs each part, and so what rate the cores could carry.
"""

from __future__ import annotations

import os
import resource
from dataclasses import dataclass
from typing import Any

_TICK = os.sysconf("SC_CLK_TCK")


def _stat(pid: int) -> list[str] | None:
    try:
        with open(f"/proc/{pid}/stat") as fh:
            return fh.read().rsplit(") ", 1)[1].split()
    except (OSError, IndexError):
        return None


def _comm(pid: int) -> str:
    try:
        with open(f"/proc/{pid}/comm") as fh:
            return fh.read().strip()
    except OSError:
        return ""


def _pids() -> list[int]:
    return [int(p) for p in os.listdir("/proc") if p.isdigit()]


def _seconds(fields: list[str], *, with_children: bool = False) -> float:
    # fields[11:15] are utime, stime, cutime, cstime (field 14 onwards in proc(5))
    ticks = int(fields[11]) + int(fields[12])
    if with_children:
        ticks += int(fields[13]) + int(fields[14])
    return ticks / _TICK


def process_group_seconds(pgid: int) -> dict[int, float]:
    """CPU seconds of each live process in a process group (a server and its workers)."""
    seconds = {}
    for pid in _pids():
        fields = _stat(pid)
        if fields is not None and int(fields[2]) == pgid:
            seconds[pid] = _seconds(fields)
    return seconds


def named_seconds(name: str) -> float:
    """CPU seconds of the processes called ``name``, with their exited children (PostgreSQL
    backends that ended are counted in the postmaster's children time)."""
    total = 0.0
    for pid in _pids():
        if _comm(pid) == name:
            fields = _stat(pid)
            if fields is not None:
                total += _seconds(fields, with_children=True)
    return total


def own_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def machine_seconds() -> tuple[float, float]:
    """(busy, stolen) CPU seconds of the whole machine since boot."""
    with open("/proc/stat") as fh:
        values = [int(v) for v in fh.readline().split()[1:]]
    idle = values[3] + values[4]  # idle, iowait
    steal = values[7] if len(values) > 7 else 0
    return (sum(values) - idle - steal) / _TICK, steal / _TICK


@dataclass
class CpuSnapshot:
    server: dict[int, float]  # per process of the server
    database: float
    redis: float
    load: float
    busy: float
    steal: float

    @classmethod
    def take(cls, server_pgid: int) -> CpuSnapshot:
        busy, steal = machine_seconds()
        return cls(
            server=process_group_seconds(server_pgid),
            database=named_seconds("postgres"),
            redis=named_seconds("redis-server"),
            load=own_seconds(),
            busy=busy,
            steal=steal,
        )


def per_vote_ms(before: CpuSnapshot, after: CpuSnapshot, votes: int, wall: float) -> dict[str, Any]:
    """Milliseconds of CPU per vote for each part; ``machine_cores`` and ``steal_cores`` are
    how many cores were busy (stolen by the hypervisor) on average during the run, and
    ``server_process_cores`` how many each server process used."""
    n = max(votes, 1)
    per_process = [after.server[p] - before.server.get(p, 0.0) for p in after.server]
    return {
        "server": round(1000 * sum(per_process) / n, 2),
        "database": round(1000 * (after.database - before.database) / n, 2),
        "redis": round(1000 * (after.redis - before.redis) / n, 2),
        "load_generator": round(1000 * (after.load - before.load) / n, 2),
        "machine": round(1000 * (after.busy - before.busy) / n, 2),
        "machine_cores": round((after.busy - before.busy) / wall, 2),
        "steal_cores": round((after.steal - before.steal) / wall, 2),
        # how evenly the work spread: cores used by each server process, busiest first
        "server_process_cores": sorted((round(s / wall, 2) for s in per_process), reverse=True),
    }

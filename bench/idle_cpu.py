"""Scenario 6: an idle `turnover serve --workers 2` (PostgreSQL, in-process relay, nothing
to deliver): the CPU each process uses while nobody calls it, read from /proc."""

import os
import time
from pathlib import Path

from bench.databases import bench_database
from bench.fixtures import seed_hotel
from bench.http_load import serving
from bench.process_memory import process_role, process_tree
from bench.stats import Check, ScenarioResult

TARGET_CPU_PERCENT = 2.0  # per worker, of one core
SETTLE_SECONDS = 3.0


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of `pid` so far (its threads included)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    # After the command name: state is field 3, utime 14 and stime 15 (1-based).
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def run(quick: bool) -> ScenarioResult:
    seconds = 3.0 if quick else 10.0
    with bench_database("postgresql") as url:
        seed_hotel("bench-idle", 20)
        with serving(url) as (_, pid):
            time.sleep(SETTLE_SECONDS)  # let the workers finish starting
            roles = {p: process_role(p) for p in process_tree(pid)}
            pids = list(roles)
            before = {p: cpu_seconds(p) for p in pids}
            started = time.monotonic()
            time.sleep(seconds)
            elapsed = time.monotonic() - started
            used = {p: cpu_seconds(p) - before[p] for p in pids}
    result = ScenarioResult(
        "idle",
        "6. Idle CPU of `turnover serve --workers 2` (PostgreSQL)",
        ["process", "CPU % of one core"],
    )
    worst = 0.0
    for p, spent in sorted(used.items()):
        percent = 100 * spent / elapsed
        role = roles[p]
        result.rows.append([f"{role} {p}", percent])
        if role == "worker":
            worst = max(worst, percent)
    result.figures["worst_worker_cpu_percent"] = worst
    result.checks.append(Check("busiest idle worker, % of a core", worst, "<=", TARGET_CPU_PERCENT))
    result.notes.append(f"{seconds:g} s with no request, after {SETTLE_SECONDS:g} s to settle")
    return result


if __name__ == "__main__":
    print(run(quick=False).table())

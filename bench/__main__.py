"""`python -m bench [--quick] [--only NAME ...]`: run the scenarios, print their tables,
record them in bench/results.json."""

import argparse
import os
import platform
import sqlite3
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import create_engine, text

from bench import (
    analytics,
    bulk_check_in,
    bulk_scaling,
    engine_overhead,
    housekeeping_work,
    http_load,
    idle_cpu,
    large_seed,
    relay_throughput,
    webhook_fanout,
)
from bench.databases import postgres_base_url
from bench.stats import RESULTS_PATH, ScenarioResult, write_results

# "http" also measures memory (scenario 5)
SCENARIOS = (
    "engine",
    "http",
    "bulk",
    "relay",
    "seed",
    "idle",
    "webhooks",
    "housekeeping",
    "analytics",
    "bulk_check_in",
)


def machine() -> dict[str, str]:
    cpu = "unknown"
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        for line in cpuinfo.read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    engine = create_engine(postgres_base_url())
    with engine.connect() as connection:
        postgres = connection.execute(text("show server_version")).scalar_one()
    engine.dispose()
    return {
        "cpu": f"{cpu}, {os.cpu_count()} cores",
        "python": platform.python_version(),
        "sqlite": sqlite3.sqlite_version,
        "postgresql": postgres,
        "os": platform.platform(),
    }


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="every scenario, small sizes")
    parser.add_argument("--only", nargs="+", choices=SCENARIOS, help="run only these")
    args = parser.parse_args()
    chosen = args.only or SCENARIOS
    meta = {
        "at": datetime.now(UTC).isoformat(timespec="seconds"),
        "command": "python -m bench " + " ".join(sys.argv[1:]),
        "quick": args.quick,
        "machine": machine(),
    }
    print(f"Turnover benchmarks ({'quick' if args.quick else 'full'}) on {meta['machine']}")
    results: list[ScenarioResult] = []
    for name in chosen:
        started = time.perf_counter()
        if name == "engine":
            produced = [engine_overhead.run(args.quick)]
        elif name == "http":
            produced = list(http_load.run(args.quick))
        elif name == "bulk":
            produced = [bulk_scaling.run(args.quick)]
        elif name == "relay":
            produced = [relay_throughput.run(args.quick)]
        elif name == "seed":
            produced = [large_seed.run(args.quick)]
        elif name == "idle":
            produced = [idle_cpu.run(args.quick)]
        elif name == "bulk_check_in":
            produced = [bulk_check_in.run(args.quick)]
        elif name == "analytics":
            produced = [analytics.run(args.quick)]
        elif name == "housekeeping":
            produced = [housekeeping_work.run(args.quick)]
        else:
            produced = [webhook_fanout.run(args.quick)]
        for result in produced:
            print(result.table(), flush=True)
        print(f"  ({time.perf_counter() - started:.1f} s)")
        results.extend(produced)
    write_results(results, meta)
    missed = [check.name for result in results for check in result.checks if not check.met]
    print(f"\nWritten to {RESULTS_PATH}. Targets not met: {', '.join(missed) or 'none'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

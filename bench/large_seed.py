"""Scenario 6: `turnover seed` of a large file (issue 11): 100,080 rooms and 100,000
bookings with a guest each, about 22 MB, on SQLite and PostgreSQL. Loaded in a process of
its own, so its peak memory is the command's; all or nothing, in batches."""

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from bench.databases import BACKENDS, database_url
from bench.stats import Check, ScenarioResult
from storage.database import create_tables, use_database

FULL_ROOMS, FULL_BOOKINGS = 100_080, 100_000
QUICK_ROOMS, QUICK_BOOKINGS = 2_080, 2_000
SECONDS_LIMIT = 30.0
MEMORY_LIMIT_MB = 300.0
HOTEL = "hotel-bench"
ROOM_STATES = ("READY_FOR_GUEST", "CHECKOUT_DIRTY", "CLEANED_UNINSPECTED", "OUT_OF_ORDER")


def seed_file(rooms: int, bookings: int) -> dict[str, Any]:
    """Half the bookings in house (their rooms OCCUPIED), the others confirmed, unassigned."""
    in_house = bookings // 2
    return {
        "hotels": [{"slug": HOTEL, "name": "Benchmark Hotel"}],
        "staff": [{"hotel": HOTEL, "username": "bench", "role": "manager"}],
        "rooms": [
            {
                "hotel": HOTEL,
                "room_number": n,
                "room_status": "OCCUPIED" if n <= in_house else ROOM_STATES[n % 4],
            }
            for n in range(1, rooms + 1)
        ],
        "bookings": [
            {
                "hotel": HOTEL,
                "booking_id": f"BK-{n:06d}",
                "status": "CHECKED_IN" if n <= in_house else "CONFIRMED",
                **({"room_number": n} if n <= in_house else {}),
                "guests": [{"first_name": "Mary", "last_name": f"Guest {n}"}],
            }
            for n in range(1, bookings + 1)
        ],
    }


def load_in_child(path: Path, url: str) -> dict[str, float]:
    """`turnover seed FILE` in a process of its own; its seconds and peak resident memory."""
    code = (
        "import json, resource, sys, time\n"
        "from pathlib import Path\n"
        "from cli.seed_command import run_seed\n"
        "started = time.perf_counter()\n"
        "run_seed(Path(sys.argv[1]), update=False)\n"
        "seconds = time.perf_counter() - started\n"
        "usage = resource.getrusage(resource.RUSAGE_SELF)\n"
        "figures = {'seconds': seconds, 'cpu_seconds': usage.ru_utime + usage.ru_stime,"
        " 'peak_mb': usage.ru_maxrss / 1024}\n"
        "print(json.dumps(figures))\n"
    )
    env = {**os.environ, "TURNOVER_DATABASE_URL": url}
    done = subprocess.run(
        [sys.executable, "-c", code, str(path)], env=env, capture_output=True, text=True
    )
    if done.returncode != 0:
        raise RuntimeError(f"turnover seed failed: {done.stdout}{done.stderr}")
    return json.loads(done.stdout.splitlines()[-1])


def run(quick: bool) -> ScenarioResult:
    rooms, bookings = (QUICK_ROOMS, QUICK_BOOKINGS) if quick else (FULL_ROOMS, FULL_BOOKINGS)
    result = ScenarioResult(
        "large_seed",
        f"6. turnover seed of {rooms:,} rooms and {bookings:,} bookings",
        ["database", "file MB", "seconds", "CPU seconds (this process)", "peak memory MB"],
    )
    with tempfile.TemporaryDirectory(prefix="turnover-seed-") as folder:
        path = Path(folder) / "large-seed.json"
        path.write_text(json.dumps(seed_file(rooms, bookings)), encoding="utf-8")
        size_mb = path.stat().st_size / 1e6
        for backend in BACKENDS:
            with database_url(backend) as url:
                create_tables(use_database(url))  # the schema is not what is measured
                figures = load_in_child(path, url)
            result.rows.append(
                [backend, size_mb, figures["seconds"], figures["cpu_seconds"], figures["peak_mb"]]
            )
            result.figures[backend] = {"file_mb": round(size_mb, 1), **figures}
            if not quick:
                result.checks += [
                    Check(f"{backend} seconds", figures["seconds"], "<", SECONDS_LIMIT),
                    Check(f"{backend} peak MB", figures["peak_mb"], "<", MEMORY_LIMIT_MB),
                ]
    result.notes.append(
        "seconds are wall time of the whole command (file read, checks, writes, commit); "
        "CPU seconds are the command's own, without the database server's"
    )
    return result


if __name__ == "__main__":
    print(run("--quick" in sys.argv).table())

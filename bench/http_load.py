"""Scenarios 2 and 5: checkouts through uvicorn (`turnover serve --workers 2`, PostgreSQL)
against an authenticated trivial GET on the same server and database, phases alternating;
and the peak resident memory of the API processes meanwhile."""

import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager

import httpx

from bench.databases import bench_database
from bench.fixtures import seed_hotel
from bench.process_memory import PeakRss
from bench.stats import Check, ScenarioResult, median, percentile

TARGET_SHARE = 0.25
WORKERS = 2


def run(quick: bool) -> tuple[ScenarioResult, ScenarioResult]:
    rounds, seconds, concurrency = (2, 0.5, 8) if quick else (5, 3.0, 16)
    with bench_database("postgresql") as url:
        hotel = seed_hotel("bench-http", 400 if quick else 6000)
        with serving(url) as (base_url, pid), PeakRss(pid) as memory:
            phases = _run_load(base_url, hotel, rounds, seconds, concurrency)
    return _http_result(phases, rounds, seconds, concurrency), _memory_result(memory)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def serving(database_url: str) -> Iterator[tuple[str, int]]:
    """`turnover serve --workers 2` on a free loopback port; yields (base URL, pid)."""
    port = _free_port()
    env = {**os.environ, "TURNOVER_DATABASE_URL": database_url}
    command = [sys.executable, "-c", "from cli.main import app; app()", "serve"]
    server = subprocess.Popen(
        [*command, "--port", str(port), "--workers", str(WORKERS)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base_url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if httpx.get(f"{base_url}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert server.poll() is None, "the API server exited"
            assert time.monotonic() < deadline, "the API server did not start"
            time.sleep(0.1)
        yield base_url, server.pid
    finally:
        server.terminate()
        server.wait(30)


def _run_load(
    base_url: str,
    hotel,
    rounds: int,
    seconds: float,
    concurrency: int,  # type: ignore[no-untyped-def]
) -> list[dict]:
    plan = {
        "base_url": base_url,
        "token": hotel.token,
        "slug": hotel.slug,
        "get_booking": hotel.booking_ids[-1],
        "checkout_bookings": hotel.booking_ids[:-1],
        "seconds": seconds,
        "concurrency": concurrency,
        "phases": ["get", "checkout"] * (rounds + 1),  # the first pair warms up
    }
    generator = subprocess.run(
        [sys.executable, "-m", "bench.load_generator"],
        input=json.dumps(plan),
        capture_output=True,
        text=True,
        check=True,
    )
    phases = [json.loads(line) for line in generator.stdout.splitlines()][2:]
    for phase in phases:
        assert phase["errors"] == 0, f"{phase['errors']} failed {phase['kind']} requests"
        assert not phase["exhausted"], "ran out of bookings to check out: seed more"
    return phases


def _http_result(
    phases: list[dict], rounds: int, seconds: float, concurrency: int
) -> ScenarioResult:
    result = ScenarioResult(
        "http",
        f"2. HTTP through uvicorn ({WORKERS} workers, PostgreSQL)",
        ["endpoint", "requests/s", "p50 ms", "p99 ms"],
    )
    for kind, label in (("get", "GET booking (trivial)"), ("checkout", "POST check-out")):
        mine = [p for p in phases if p["kind"] == kind]
        latencies = [latency for p in mine for latency in p["latencies"]]
        figures = {
            "requests_per_second": median([p["requests"] / p["seconds"] for p in mine]),
            "p50_ms": percentile(latencies, 0.5) * 1e3,
            "p99_ms": percentile(latencies, 0.99) * 1e3,
        }
        result.figures[kind] = figures
        result.rows.append(
            [label, figures["requests_per_second"], figures["p50_ms"], figures["p99_ms"]]
        )
    share = (
        result.figures["checkout"]["requests_per_second"]
        / result.figures["get"]["requests_per_second"]
    )
    result.figures["checkout_share_of_get"] = share
    result.checks.append(Check("checkout throughput / GET throughput", share, ">=", TARGET_SHARE))
    result.notes.append(
        f"{rounds} rounds of a GET phase then a checkout phase, {seconds:g} s each, "
        f"{concurrency} concurrent clients (httpx, asyncio) in a separate process; medians"
    )
    return result


def _memory_result(memory: PeakRss) -> ScenarioResult:
    result = ScenarioResult(
        "memory",
        "5. Memory: peak RSS of the API processes during scenario 2",
        ["process", "peak RSS MB"],
    )
    result.rows.append(["all API processes together", memory.peak_total_kb / 1024])
    for pid, kb in sorted(memory.peak_by_process_kb.items()):
        result.rows.append([f"{memory.roles[pid]} (pid {pid})", kb / 1024])
    result.figures = {
        "peak_total_mb": memory.peak_total_kb / 1024,
        "peak_by_process_mb": {
            str(pid): kb / 1024 for pid, kb in memory.peak_by_process_kb.items()
        },
    }
    result.notes.append("total sampled every 50 ms; per process: the kernel's VmHWM")
    return result

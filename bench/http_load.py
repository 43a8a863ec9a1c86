"""Scenarios 2 and 5: the API through uvicorn (`turnover serve --workers 2`, PostgreSQL),
driven by wrk; and the peak resident memory of the API processes meanwhile.

Three kinds of phase alternate: a bare Starlette hello world served the same way (the
yardstick: the load generator must drive it much faster than the API, or it is the
generator being measured), the API's authenticated trivial GET of a booking, and
`POST .../check-out/` of a different in-house booking each request. wrk (C, one thread,
an event loop) is the load generator; without it the scenario says so and is skipped.
"""

import json
import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx

from bench.databases import bench_database
from bench.fixtures import SeededHotel, seed_hotel
from bench.process_memory import PeakRss
from bench.stats import Check, ScenarioResult, median

TARGET_SHARE = 0.25  # checkouts/s as a share of the trivial GET's requests/s
# The trivial GET as a share of the hello world: above this, the load generator (or the
# machine) rather than the API may be what limits the GET.
GENERATOR_LIMIT_SHARE = 0.5
WORKERS = 2
WRK_THREADS = 1
SCRIPT = Path(__file__).with_name("wrk_phase.lua")
REPO = Path(__file__).parents[1]
KINDS = {
    "hello": "hello world (bare Starlette)",
    "get": "GET booking (trivial)",
    "checkout": "POST check-out",
}


def run(quick: bool) -> tuple[ScenarioResult, ScenarioResult]:
    rounds, seconds, connections = (1, 1.0, 8) if quick else (5, 3.0, 16)
    http, memory = _http_result(rounds, seconds, connections), _memory_result()
    if shutil.which("wrk") is None:
        for result in (http, memory):
            result.notes.append("skipped: wrk is not installed (Debian: apt-get install wrk)")
        return http, memory
    with bench_database("postgresql") as url:
        hotel = seed_hotel("bench-http", 1500 if quick else 8000)
        with serving(url) as (base_url, pid), hello_world() as hello_url, PeakRss(pid) as peak:
            phases = _run_phases(base_url, hello_url, hotel, rounds, seconds, connections)
    _fill_http(http, phases)
    _fill_memory(memory, peak)
    return http, memory


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def _server(command: list[str], env: dict[str, str] | None, ready_url: str) -> Iterator[int]:
    """Start a server process; yields its pid once `ready_url` answers 200."""
    server = subprocess.Popen(
        command, env=env, cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if httpx.get(ready_url, timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert server.poll() is None, f"{command} exited"
            assert time.monotonic() < deadline, f"{command} did not start"
            time.sleep(0.1)
        yield server.pid
    finally:
        server.terminate()
        server.wait(30)


@contextmanager
def serving(database_url: str) -> Iterator[tuple[str, int]]:
    """`turnover serve --workers 2` on a free loopback port; yields (base URL, pid)."""
    port = _free_port()
    env = {**os.environ, "TURNOVER_DATABASE_URL": database_url}
    command = [sys.executable, "-c", "from cli.main import app; app()", "serve"]
    command += ["--port", str(port), "--workers", str(WORKERS)]
    base_url = f"http://127.0.0.1:{port}"
    with _server(command, env, f"{base_url}/healthz") as pid:
        yield base_url, pid


@contextmanager
def hello_world() -> Iterator[str]:
    """bench/hello_world.py with the API's uvicorn settings; yields its URL."""
    port = _free_port()
    command = [sys.executable, "-m", "bench.hello_world", str(port), str(WORKERS)]
    url = f"http://127.0.0.1:{port}/"
    with _server(command, None, url):
        yield url


def _run_phases(
    base_url: str,
    hello_url: str,
    hotel: SeededHotel,
    rounds: int,
    seconds: float,
    connections: int,
) -> list[dict[str, Any]]:
    """`rounds` rounds of a hello-world, a GET and a checkout phase, after one round that
    warms up (not kept)."""
    get_url = f"{base_url}/api/staff/hotels/{hotel.slug}/bookings/{hotel.booking_ids[-1]}/"
    auth = f"Authorization: Bearer {hotel.token}"
    next_booking, last_booking = 1, len(hotel.booking_ids) - 1  # the last one is the GET's
    phases = []
    for round_number in range(rounds + 1):
        for kind in KINDS:
            if kind == "hello":
                phase = _wrk(hello_url, seconds, connections, ["plain"])
            elif kind == "get":
                phase = _wrk(get_url, seconds, connections, ["plain"], auth)
            else:
                arguments = ["checkout", hotel.slug, str(next_booking), str(WRK_THREADS)]
                phase = _wrk(base_url, seconds, connections, arguments, auth)
                next_booking += phase["sent_per_thread"] * WRK_THREADS
                assert next_booking <= last_booking, "ran out of bookings to check out: seed more"
            assert phase["errors"] == 0, f"{phase['errors']} failed {kind} requests"
            if round_number:
                phases.append({**phase, "kind": kind})
    return phases


def _wrk(
    url: str, seconds: float, connections: int, arguments: list[str], header: str | None = None
) -> dict[str, Any]:
    command = ["wrk", "-t", str(WRK_THREADS), "-c", str(connections), "-d", f"{seconds:g}s"]
    command += ["--timeout", "30s", "-s", str(SCRIPT)]
    if header:
        command += ["-H", header]
    finished = subprocess.run(
        [*command, url, "--", *arguments], capture_output=True, text=True, check=True
    )
    for line in finished.stdout.splitlines():
        if line.startswith("BENCH-JSON "):
            return json.loads(line.removeprefix("BENCH-JSON "))
    raise AssertionError(f"wrk printed no result: {finished.stdout} {finished.stderr}")


def _http_result(rounds: int, seconds: float, connections: int) -> ScenarioResult:
    result = ScenarioResult(
        "http",
        f"2. HTTP through uvicorn ({WORKERS} workers, PostgreSQL), driven by wrk",
        ["endpoint", "requests/s", "p50 ms", "p99 ms", "share"],
    )
    result.notes.append(
        f"{rounds} rounds of a hello-world, a GET and a checkout phase, {seconds:g} s each, "
        f"after a warm-up round; wrk, {WRK_THREADS} thread, {connections} connections, in its "
        "own process; medians. Share: hello world = 1, GET as a share of the hello world, "
        "checkouts as a share of the GET"
    )
    return result


def _fill_http(result: ScenarioResult, phases: list[dict[str, Any]]) -> None:
    for kind in KINDS:
        mine = [phase for phase in phases if phase["kind"] == kind]
        result.figures[kind] = {
            "requests_per_second": median([p["requests"] / p["seconds"] for p in mine]),
            "p50_ms": median([p["p50_ms"] for p in mine]),
            "p99_ms": median([p["p99_ms"] for p in mine]),
        }
    rate = {kind: result.figures[kind]["requests_per_second"] for kind in KINDS}
    shares = {
        "hello": 1.0,
        "get": rate["get"] / rate["hello"],
        "checkout": rate["checkout"] / rate["get"],
    }
    result.figures["get_share_of_hello_world"] = shares["get"]
    result.figures["checkout_share_of_get"] = shares["checkout"]
    for kind, label in KINDS.items():
        figures = result.figures[kind]
        row = [figures["requests_per_second"], figures["p50_ms"], figures["p99_ms"]]
        result.rows.append([label, *row, shares[kind]])
    result.checks.append(
        Check("GET throughput / hello-world throughput", shares["get"], "<=", GENERATOR_LIMIT_SHARE)
    )
    result.checks.append(
        Check("checkout throughput / GET throughput", shares["checkout"], ">=", TARGET_SHARE)
    )


def _memory_result() -> ScenarioResult:
    return ScenarioResult(
        "memory",
        "5. Memory: peak RSS of the API processes during scenario 2",
        ["process", "peak RSS MB"],
    )


def _fill_memory(result: ScenarioResult, memory: PeakRss) -> None:
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

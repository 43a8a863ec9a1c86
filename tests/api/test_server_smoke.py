"""Smoke set against a real uvicorn process: the seed's curl examples and its fetch() flow.

The server binds port 0 itself and reports the port it got, so parallel runs never clash.
"""

import json
import os
import shlex
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from admin.demo import DEMO_BOOKING, DEMO_HOTEL

SERVE_ON_FREE_PORT = """
import socket, sys, uvicorn
sock = socket.socket()
sock.bind(("127.0.0.1", 0))
print(sock.getsockname()[1], flush=True)
config = uvicorn.Config("api.app:create_app", factory=True, log_level="warning")
uvicorn.Server(config).run(sockets=[sock])
"""
# Generous: a busy machine may answer slowly, and no test here is about speed.
TIMEOUT_SECONDS = 60
# The console script `pip install` made, beside this interpreter.
TURNOVER = [str(Path(sys.executable).with_name("turnover"))]


@pytest.fixture
def server(tmp_path: Path) -> Iterator[tuple[str, dict[str, str]]]:
    """A real server on a fresh SQLite file; yields its base URL and the environment."""
    env = {
        **os.environ,
        "TURNOVER_DATABASE_URL": f"sqlite:///{tmp_path}/smoke.db",
        "TURNOVER_DEMO_CREDENTIALS_FILE": str(tmp_path / "demo-credentials.json"),
    }
    subprocess.run([*TURNOVER, "init-db"], env=env, check=True, capture_output=True)
    process = subprocess.Popen(
        [sys.executable, "-c", SERVE_ON_FREE_PORT], env=env, stdout=subprocess.PIPE, text=True
    )
    try:
        port = int(process.stdout.readline())
        base = f"http://127.0.0.1:{port}"
        wait_until_up(base)
        yield base, env
    finally:
        process.terminate()
        process.wait(timeout=TIMEOUT_SECONDS)


def wait_until_up(base: str) -> None:
    deadline = time.monotonic() + TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        try:
            if httpx.get(base + "/healthz", timeout=TIMEOUT_SECONDS).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.05)
    pytest.fail("server did not come up")


def demo(env: dict[str, str], port: int) -> tuple[str, dict[str, str]]:
    """Run `turnover demo`; return the curl line it prints and the tokens by username."""
    output = subprocess.run(
        [*TURNOVER, "demo", "--port", str(port)],
        env=env,
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    tokens = {  # the staff table: hotel, username, role, password, token
        line.split()[1]: line.split()[-1]
        for line in output.splitlines()
        if line.startswith("  hotel-")
    }
    (curl,) = [line.strip() for line in output.splitlines() if line.strip().startswith("curl ")]
    return curl, tokens


@pytest.mark.skipif(shutil.which("curl") is None, reason="needs the curl command")
def test_the_printed_curl_line_works_as_printed(server):
    base, env = server
    curl, _ = demo(env, int(base.rsplit(":", 1)[1]))

    result = subprocess.run([*shlex.split(curl), "-s"], capture_output=True, text=True, check=True)

    body = json.loads(result.stdout)
    assert body["message"] == "Booking checked out successfully"
    assert body["booking"]["booking_id"] == DEMO_BOOKING
    assert body["booking"]["status"] == "COMPLETED"
    assert body["booking"]["assigned_room"] == {"room_number": 101, "room_status": "CHECKOUT_DIRTY"}


def test_seed_examples_against_a_real_server(server):
    base, env = server
    _, tokens = demo(env, int(base.rsplit(":", 1)[1]))
    auth = {"Authorization": f"Bearer {tokens['anna']}", "Content-Type": "application/json"}
    hotel = f"{base}/api/staff/hotels/{DEMO_HOTEL}"
    with httpx.Client(timeout=TIMEOUT_SECONDS) as http:
        # checkoutBooking(): POST with Authorization and Content-Type JSON, no body.
        checkout = http.post(f"{hotel}/room-bookings/{DEMO_BOOKING}/check-out/", headers=auth)
        assert checkout.status_code == 200
        assert checkout.json()["booking"]["assigned_room"]["room_status"] == "CHECKOUT_DIRTY"
        # The same again, legacy path without the slash: no redirect, same booking.
        again = http.post(f"{hotel}/bookings/{DEMO_BOOKING}/checkout", headers=auth)
        assert again.status_code == 200
        assert again.json() == {
            "message": "Booking already checked out",
            "booking": checkout.json()["booking"],
        }

        # The seed's "Test Bulk Checkout (Safe)" example, body as the seed has it.
        bulk = http.post(
            f"{base}/api/staff/hotel/{DEMO_HOTEL}/rooms/checkout/",
            headers=auth,
            content='{\n    "room_ids": [1, 2, 3],\n    "destructive": false\n  }',
        )
        assert bulk.status_code == 200
        assert bulk.json() == {
            "detail": f"Processed 3 room(s) in hotel '{DEMO_HOTEL}'",
            "results": {
                "checked_out_bookings": [],
                "rooms_cleared": [103],
                "destructive_mode": False,
                "skipped": [
                    {
                        "room_id": number - 100,
                        "room_number": number,
                        "reason": f"Room {number} is {status} with no booking in house",
                    }
                    for number, status in ((101, "CHECKOUT_DIRTY"), (102, "READY_FOR_GUEST"))
                ],
                "errors": [],
            },
        }

        # What the fetch() example reads on failure: error.error.message.
        missing = http.post(f"{hotel}/room-bookings/BK-NOPE/check-out/", headers=auth)
        assert (missing.status_code, missing.json()["error"]["message"]) == (
            404,
            "Booking not found",
        )
        broken = http.post(
            f"{base}/api/staff/hotel/{DEMO_HOTEL}/rooms/checkout/", headers=auth, content="{oops"
        )
        assert (broken.status_code, broken.json()["error"]["code"]) == (422, "VALIDATION_ERROR")
        assert http.get(base + "/openapi.json").status_code == 200

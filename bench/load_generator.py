"""The HTTP load generator, run in its own process: `python -m bench.load_generator` reads
a JSON plan on stdin and prints one JSON result per phase.

A phase sends one kind of request ("get": an authenticated GET of one booking; "checkout":
POST .../check-out/ of the next unused booking) from `concurrency` clients for `seconds`.
"""

import asyncio
import json
import sys
import time
from collections.abc import Iterator
from typing import Any

import httpx


async def _phase(
    client: httpx.AsyncClient, plan: dict[str, Any], kind: str, bookings: Iterator[str]
) -> dict[str, Any]:
    slug, get_booking = plan["slug"], plan["get_booking"]
    latencies: list[float] = []
    errors = 0
    exhausted = False
    deadline = time.perf_counter() + plan["seconds"]

    async def worker() -> None:
        nonlocal errors, exhausted
        while time.perf_counter() < deadline:
            if kind == "get":
                request = client.get(f"/api/staff/hotels/{slug}/bookings/{get_booking}/")
            else:
                booking = next(bookings, None)
                if booking is None:
                    exhausted = True
                    return
                request = client.post(
                    f"/api/staff/hotels/{slug}/room-bookings/{booking}/check-out/"
                )
            start = time.perf_counter()
            answer = await request
            latencies.append(time.perf_counter() - start)
            if answer.status_code != 200 or (
                kind == "checkout"
                and answer.json()["message"] != "Booking checked out successfully"
            ):
                errors += 1

    start = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(plan["concurrency"])))
    elapsed = time.perf_counter() - start
    return {
        "kind": kind,
        "requests": len(latencies),
        "seconds": elapsed,
        "errors": errors,
        "exhausted": exhausted,
        "latencies": latencies,
    }


async def main() -> None:
    plan = json.load(sys.stdin)
    bookings = iter(plan["checkout_bookings"])
    limits = httpx.Limits(max_connections=plan["concurrency"])
    headers = {"Authorization": f"Bearer {plan['token']}"}
    async with httpx.AsyncClient(
        base_url=plan["base_url"], headers=headers, limits=limits, timeout=30
    ) as client:
        for kind in plan["phases"]:
            print(json.dumps(await _phase(client, plan, kind, bookings)), flush=True)


if __name__ == "__main__":
    asyncio.run(main())

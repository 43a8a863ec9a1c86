"""Client processes of the race test: each sends its list of requests over HTTP and returns
what came back. Only httpx here, so that a spawned process starts fast.

The checkout clients and the bulk client walk the same rooms in the same order and meet at
a barrier before each round, so the 2-3 requests for a booking (and the bulk request over
its room) arrive within milliseconds of each other.

A request that gets no answer (its worker was killed) or a 503 (the database was
unavailable; the answer says to retry) is sent again, as a client should; what came back
before is kept in `Answer.earlier` (0 for no answer).
"""

import time
from dataclasses import dataclass, field
from typing import Any

import httpx

TIMEOUT_SECONDS = 60.0
# A request is sent again until it is answered, for as long as this: a ceiling for a dead
# server, not a pace (a busy machine may keep a request from finishing between two kills).
RETRY_FOR_SECONDS = 180.0
RETRY_PAUSE_SECONDS = 0.1  # shorter than Retry-After: the test wants the race, not politeness
NO_ANSWER = 0

_barrier: Any = None


def init_client(barrier: Any) -> None:
    """ProcessPoolExecutor initializer: the barrier shared by the checkout and bulk clients."""
    global _barrier
    _barrier = barrier


@dataclass(frozen=True)
class Call:
    kind: str  # "checkout" | "bulk" | "housekeeping"
    method: str
    path: str
    target: str  # booking id, "bulk", or room number
    body: dict[str, Any] | None = None
    endpoint: str = ""  # "primary" | "legacy" for checkouts


@dataclass
class Answer:
    call: Call
    status: int
    body: Any
    seconds: float
    earlier: list[int] = field(default_factory=list)  # statuses of attempts sent again


@dataclass
class ClientPlan:
    token: str
    rounds: list[list[Call]] = field(default_factory=list)
    synchronized: bool = True  # waits at the barrier before each round


def run_client(base_url: str, plan: ClientPlan) -> list[Answer]:
    answers: list[Answer] = []
    headers = {"Authorization": f"Bearer {plan.token}"}
    with httpx.Client(base_url=base_url, headers=headers, timeout=TIMEOUT_SECONDS) as client:
        for calls in plan.rounds:
            if plan.synchronized:
                _barrier.wait(TIMEOUT_SECONDS)
            answers.extend(_send(client, call) for call in calls)
    return answers


def _send(client: httpx.Client, call: Call) -> Answer:
    earlier: list[int] = []
    give_up_at = time.monotonic() + RETRY_FOR_SECONDS
    while True:
        started = time.perf_counter()
        try:
            response = client.request(call.method, call.path, json=call.body)
        except httpx.TransportError:
            status = NO_ANSWER
        else:
            elapsed = time.perf_counter() - started
            status = response.status_code
            if not _retry_invited(response) or time.monotonic() > give_up_at:
                return Answer(call, status, _json(response), elapsed, earlier)
        earlier.append(status)
        assert time.monotonic() <= give_up_at, (
            f"{call.path}: no answer in {RETRY_FOR_SECONDS:.0f} s ({len(earlier)} tries)"
        )
        time.sleep(RETRY_PAUSE_SECONDS)


def _retry_invited(response: httpx.Response) -> bool:
    """A 503 DATABASE_UNAVAILABLE with Retry-After, as the API documents it."""
    if response.status_code != 503 or "retry-after" not in response.headers:
        return False
    body = _json(response)
    return isinstance(body, dict) and body.get("error", {}).get("code") == "DATABASE_UNAVAILABLE"


def _json(response: httpx.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        return response.text

"""Client processes of the race test: each sends its list of requests over HTTP and returns
what came back. Only httpx here, so that a spawned process starts fast.

The checkout clients and the bulk client walk the same rooms in the same order and meet at
a barrier before each round, so the 2-3 requests for a booking (and the bulk request over
its room) arrive within milliseconds of each other.
"""

import time
from dataclasses import dataclass, field
from typing import Any

import httpx

TIMEOUT_SECONDS = 60.0

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
            for call in calls:
                started = time.perf_counter()
                response = client.request(call.method, call.path, json=call.body)
                elapsed = time.perf_counter() - started
                answers.append(Answer(call, response.status_code, _json(response), elapsed))
    return answers


def _json(response: httpx.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        return response.text

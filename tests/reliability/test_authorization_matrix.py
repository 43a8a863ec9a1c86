"""Every endpoint of the OpenAPI document x every kind of caller, over real HTTP: the answer
is the one the access rules give, it is a status the document lists for that operation,
and a refused request changes nothing (every row of every table compared).

The endpoint list comes from the app's routes: a new endpoint fails
`test_the_matrix_covers_every_route` until it has a row in PROBES.
"""

import shutil
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
from fastapi.routing import APIRoute
from sqlmodel import SQLModel

from api.app import create_app
from config.settings import get_settings
from storage.models import Room
from storage.unit_of_work import UnitOfWork
from tests.api.conftest import OTHER_HOTEL, new_staff_token
from tests.conftest import HOTEL, rows, snapshot
from tests.realtime.fake_pusher import APP_ID, KEY, SECRET
from tests.realtime.live_server import running_app
from workflows.documentation.registry import MACHINES
from workflows.services import webhooks
from workflows.services.staff_accounts import new_token

PUBLIC, STAFF, MANAGER, SUPERUSER = "public", "hotel staff", "managers", "superuser only"
# A room event the machines give housekeeping roles: the matrix's "staff" is front desk.
HOUSEKEEPING = "housekeeping roles"
# Out-of-order periods: supervisors and managers (not the front desk).
SUPERVISION = "supervision roles"
CALLERS = [
    "no token",
    "malformed token",
    "unknown token",
    "other hotel's staff",
    "staff",
    "superuser",
]
SVG_STATUS = 200 if shutil.which("dot") else 501  # 501: Graphviz not installed
MACHINE = MACHINES[0].name
STAFF_BASE = "/api/staff/hotels/{hotel_slug}"


@dataclass(frozen=True)
class Probe:
    """One request to an endpoint, who may make it, and what an allowed caller gets."""

    method: str
    path: str  # the route's path template, as in the OpenAPI document
    access: str
    values: dict[str, Any] = field(default_factory=dict)  # path parameters
    json: Any = None
    form: dict[str, str] | None = None
    allowed_status: int = 200
    stream: bool = False

    @property
    def url(self) -> str:
        return self.path.format(hotel_slug=HOTEL, **self.values)

    def __str__(self) -> str:
        return f"{self.method} {self.url} {self.json or self.form or ''}".strip()


def _staff(method: str, path: str, access: str = STAFF, **kwargs: Any) -> Probe:
    return Probe(method, STAFF_BASE + path, access, **kwargs)


ROOM_101 = {"room_number": 101}
ANNA = {"username": "anna"}


def webhook_probes(base: str, access: str) -> list[Probe]:
    """Webhook 1 and its delivery 1 exist (`seeded_webhook`)."""
    hooks, one = base + "/webhooks/", {"webhook_id": 1}
    hook = hooks + "{webhook_id}/"
    new = {"url": "https://93.184.215.14/hook", "event_types": ["*"]}
    return [
        Probe("POST", hooks, access, json=new, allowed_status=201),
        Probe("GET", hooks, access),
        Probe("GET", hook, access, one),
        Probe("PATCH", hook, access, one, json={"enabled": False}),
        Probe("DELETE", hook, access, one, allowed_status=204),
        Probe("POST", hook + "rotate-secret/", access, one),
        Probe("POST", hook + "test/", access, one, allowed_status=202),
        Probe("GET", hook + "deliveries/", access, one),
        Probe(
            "POST",
            hook + "deliveries/{delivery_id}/retry/",
            access,
            {**one, "delivery_id": 1},
            allowed_status=202,
        ),
        Probe(
            "POST",
            hook + "replay/",
            access,
            one,
            json={"since": "2020-01-01T00:00:00Z"},
            allowed_status=202,
        ),
    ]


PROBES = [
    Probe("GET", "/healthz", PUBLIC),
    Probe("GET", "/api/workflows/", PUBLIC),
    Probe("GET", "/api/workflows/{name}/", PUBLIC, {"name": MACHINE}),
    Probe("GET", "/api/workflows/{name}/diagram.mmd", PUBLIC, {"name": MACHINE}),
    Probe(
        "GET",
        "/api/workflows/{name}/diagram.svg",
        PUBLIC,
        {"name": MACHINE},
        allowed_status=SVG_STATUS,
    ),
    _staff("POST", "/room-bookings/{booking_id}/check-out/", values={"booking_id": "BK-1"}),
    _staff("POST", "/bookings/{booking_id}/checkout/", values={"booking_id": "BK-1"}),
    _staff("POST", "/room-bookings/{booking_id}/check-in/", values={"booking_id": "BK-2"}, json={}),
    _staff(
        "POST",
        "/room-bookings/{booking_id}/cancel/",
        values={"booking_id": "BK-3"},
        json={"note": "x"},
    ),
    _staff("POST", "/room-bookings/{booking_id}/no-show/", values={"booking_id": "BK-3"}),
    _staff("GET", "/bookings/"),
    _staff("GET", "/bookings/{booking_id}/", values={"booking_id": "BK-1"}),
    _staff("GET", "/rooms/"),
    _staff("GET", "/rooms/{room_number}/", values=ROOM_101),
    _staff("GET", "/rooms/{room_number}/history/", values=ROOM_101),
    _staff("GET", "/rooms/{room_number}/diagram.mmd", values=ROOM_101),
    _staff("GET", "/rooms/{room_number}/diagram.svg", values=ROOM_101, allowed_status=SVG_STATUS),
    _staff(
        "POST",
        "/rooms/{room_number}/transitions/",
        access=HOUSEKEEPING,
        values={"room_number": 104},
        json={"event": "start_cleaning"},
    ),
    # force_checkout is no housekeeping event: refused here even for a superuser (409), it
    # exists only as destructive bulk checkout below.
    _staff(
        "POST",
        "/rooms/{room_number}/transitions/",
        values=ROOM_101,
        json={"event": "force_checkout"},
        allowed_status=409,
    ),
    _staff("GET", "/events/", stream=True),
    # The front desk (docs/front-desk.md).
    _staff("GET", "/arrivals/"),
    _staff("GET", "/departures/"),
    _staff("GET", "/in-house/"),
    _staff("GET", "/bookings/{booking_id}/history/", values={"booking_id": "BK-1"}),
    Probe(
        "POST",
        "/api/staff/hotel/{hotel_slug}/bookings/check-in/",
        STAFF,
        json={"bookings": [{"booking_id": "BK-2"}]},
    ),
    _staff(
        "POST",
        "/room-bookings/{booking_id}/move/",
        values={"booking_id": "BK-1"},
        json={"to_room_number": 102},
    ),
    _staff("POST", "/room-bookings/{booking_id}/revert-check-in/", values={"booking_id": "BK-1"}),
    _staff(
        "POST",
        "/rooms/{room_number}/out-of-order/",
        access=SUPERVISION,
        values={"room_number": 104},
        json={"from": "2099-01-01", "to": "2099-01-02", "reason": "x"},
        allowed_status=201,
    ),
    _staff("GET", "/rooms/{room_number}/out-of-order/", values={"room_number": 104}),
    # No period 999: 404 PERIOD_NOT_FOUND for whoever may ask.
    _staff(
        "PATCH",
        "/rooms/{room_number}/out-of-order/{period_id}/",
        access=SUPERVISION,
        values={"room_number": 104, "period_id": 999},
        json={"to": "2099-01-01"},
        allowed_status=404,
    ),
    _staff(
        "POST",
        "/rooms/{room_number}/out-of-order/{period_id}/cancel/",
        access=SUPERVISION,
        values={"room_number": 104, "period_id": 999},
        allowed_status=404,
    ),
    # BK-1 is in house: nothing to reinstate (409 UNDO_NOT_ALLOWED) for whoever may ask.
    _staff(
        "POST",
        "/room-bookings/{booking_id}/reinstate/",
        values={"booking_id": "BK-1"},
        allowed_status=409,
    ),
    # Housekeeping work: planning and assigning are a supervisor's or a manager's.
    _staff("POST", "/housekeeping/plan/", access=HOUSEKEEPING, json={}),
    _staff(
        "POST",
        "/housekeeping/assign/",
        access=HOUSEKEEPING,
        json={"task_ids": [999], "assignee": "anna"},
        allowed_status=409,  # anna is front desk: NOT_HOUSEKEEPING_STAFF
    ),
    _staff("GET", "/housekeeping/tasks/"),
    _staff(
        "POST",
        "/housekeeping/tasks/{task_id}/transitions/",
        values={"task_id": 999},
        json={"event": "start"},
        allowed_status=404,
    ),
    _staff("POST", "/rooms/{room_number}/flags/", values=ROOM_101, json={"make_up_room": True}),
    Probe("POST", "/api/staff/hotel/{hotel_slug}/rooms/checkout/", STAFF, json={"room_ids": []}),
    Probe(
        "POST",
        "/api/staff/hotel/{hotel_slug}/rooms/checkout/",
        SUPERUSER,
        json={"room_ids": [], "destructive": True},
    ),
    # Staff management: managers and superusers (here: the superuser), on another member.
    _staff("GET", "/staff/", access=MANAGER),
    _staff("POST", "/staff/", access=MANAGER, json={"username": "nora"}, allowed_status=201),
    _staff("GET", "/staff/{username}/", access=MANAGER, values=ANNA),
    _staff("PATCH", "/staff/{username}/", access=MANAGER, values=ANNA, json={"role": "manager"}),
    _staff("GET", "/staff/{username}/tokens/", access=MANAGER, values=ANNA),
    _staff(
        "POST",
        "/staff/{username}/tokens/",
        access=MANAGER,
        values=ANNA,
        json={},
        allowed_status=201,
    ),
    _staff(
        "DELETE",
        "/staff/{username}/tokens/{token_id}/",
        access=MANAGER,
        values={**ANNA, "token_id": 999},
        allowed_status=404,  # anna has no such token
    ),
    # The hotel is named by the channel in the body, not the path.
    Probe(
        "POST",
        "/api/pusher/auth",
        STAFF,
        form={"socket_id": "1234.5678", "channel_name": f"private-hotel-{HOTEL}"},
    ),
    *webhook_probes(STAFF_BASE, MANAGER),
    # Supervisors and managers (the matrix's staff is front desk: refused).
    _staff("GET", "/analytics/turnover/", access=MANAGER),
]


def expected(probe: Probe, caller: str) -> tuple[int, str | None]:
    """(status, error code) the access rules give `caller`."""
    if probe.access == PUBLIC:
        return probe.allowed_status, None
    if caller in ("no token", "malformed token", "unknown token"):
        return 401, "NOT_AUTHENTICATED"
    if caller == "other hotel's staff" or (
        probe.access in (MANAGER, SUPERUSER, HOUSEKEEPING, SUPERVISION) and caller == "staff"
    ):
        return 403, "PERMISSION_DENIED"
    return probe.allowed_status, None


def api_routes(routes: list[Any]) -> Iterator[APIRoute]:
    """Every APIRoute, also inside included routers (FastAPI >= 0.16x wraps them)."""
    for route in routes:
        if isinstance(route, APIRoute):
            yield route
        elif hasattr(route, "original_router"):
            yield from api_routes(route.original_router.routes)


def test_the_matrix_covers_every_route() -> None:
    app = create_app()
    routes = {
        (method, route.path)
        for route in api_routes(app.routes)
        if route.include_in_schema
        for method in route.methods
    }
    documented = {
        (method.upper(), path) for path, item in app.openapi()["paths"].items() for method in item
    }
    assert len(routes) >= len(PROBES) - 2  # the walk found the routes at all
    assert routes == documented
    assert {(probe.method, probe.path) for probe in PROBES} == routes


# --- running it -------------------------------------------------------------------------


@pytest.fixture
def callers(hotel: str) -> dict[str, dict[str, str]]:
    """The Authorization header of each kind of caller."""
    with_token = {
        "unknown token": new_token(),
        "other hotel's staff": new_staff_token(OTHER_HOTEL, "sean"),
        "staff": new_staff_token(HOTEL, "maria"),
        "superuser": new_staff_token(HOTEL, "root", superuser=True),
    }
    headers = {caller: {"Authorization": f"Bearer {token}"} for caller, token in with_token.items()}
    return {"no token": {}, "malformed token": {"Authorization": "Bearer"}, **headers}


@pytest.fixture
def live_api(hotel: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[httpx.Client]:
    """The app on a real port, Pusher configured (for /api/pusher/auth) and no relay in the
    process: nothing but the requests may write."""
    settings = {"PUSHER_APP_ID": APP_ID, "PUSHER_KEY": KEY, "PUSHER_SECRET": SECRET}
    # The "unknown token" caller fails on every probe: no throttling of failures here (the
    # throttle has its own tests).
    quiet = {
        "PUSHER_PRIVATE": "1",
        "RELAY_IN_PROCESS": "0",
        "WEBHOOKS_IN_PROCESS": "0",
        "AUTH_MAX_FAILURES_PER_ADDRESS": "0",
    }
    for name, value in {**settings, **quiet}.items():
        monkeypatch.setenv(f"TURNOVER_{name}", value)
    get_settings.cache_clear()
    try:
        with running_app() as base_url, httpx.Client(base_url=base_url, timeout=60) as client:
            yield client
    finally:
        get_settings.cache_clear()


def send(client: httpx.Client, probe: Probe, headers: dict[str, str]) -> tuple[int, Any]:
    with client.stream(
        probe.method, probe.url, headers=headers, json=probe.json, data=probe.form
    ) as response:
        if probe.stream and response.status_code == 200:
            return 200, response.headers["content-type"]  # an endless stream: headers only
        response.read()
        try:
            return response.status_code, response.json()
        except ValueError:
            return response.status_code, response.text


def with_room_ids(probe: Probe) -> Probe:
    """Bulk checkout probes ask for room 101 by its id (known only once seeded)."""
    if probe.json is None or "room_ids" not in probe.json:
        return probe
    room_101 = next(r.id for r in rows(Room) if r.hotel_id == 1 and r.room_number == 101)
    return Probe(**{**vars(probe), "json": {**probe.json, "room_ids": [room_101]}})


def restore(saved: dict[str, list[dict]]) -> None:
    """Put every table back as `saved` (after an allowed request changed something)."""
    tables = SQLModel.metadata.sorted_tables
    with UnitOfWork() as uow:
        for table in reversed(tables):
            uow.session.execute(table.delete())
        for table in tables:
            if saved[table.name]:
                uow.session.execute(table.insert(), saved[table.name])
        uow.commit()


def documented_statuses(document: dict[str, Any], probe: Probe) -> set[int]:
    operation = document["paths"][probe.path][probe.method.lower()]
    return {int(status) for status in operation["responses"]}


@pytest.fixture
def seeded_webhook(hotel: str) -> None:
    endpoint = webhooks.create_endpoint(
        hotel_slug=HOTEL, url="https://93.184.215.14/hook", event_types=["*"]
    ).endpoint
    webhooks.send_test(hotel_slug=HOTEL, endpoint_id=endpoint.id)  # type: ignore[arg-type]


def test_every_endpoint_for_every_caller(
    live_api: httpx.Client, callers: dict[str, dict[str, str]], seeded_webhook: None
) -> None:
    document = live_api.get("/openapi.json").json()
    before = snapshot()
    problems = []
    statuses: Counter[int] = Counter()
    for probe in map(with_room_ids, PROBES):
        for caller in CALLERS:
            status, body = send(live_api, probe, callers[caller])
            statuses[status] += 1
            want_status, want_code = expected(probe, caller)
            code = body.get("error", {}).get("code") if isinstance(body, dict) else None
            if (status, code if want_code else None) != (want_status, want_code):
                problems.append(f"{probe} as {caller}: {status} {body}, wanted {want_status}")
            if status not in documented_statuses(document, probe):
                problems.append(f"{probe} as {caller}: {status} is not documented")
            if status >= 400 and snapshot() != before:
                problems.append(f"{probe} as {caller}: refused ({status}) but changed data")
            if status < 400:
                restore(before)
    by_status = dict(sorted(statuses.items()))
    print(f"\nauthorization matrix: {sum(statuses.values())} requests, by status: {by_status}")
    assert problems == []

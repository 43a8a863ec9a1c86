"""Races on PostgreSQL with real processes: `turnover serve --workers 2`, several client
processes, every in-house booking checked out 2-3 times at once through the primary and
the legacy endpoint while a bulk checkout sweeps the same rooms and housekeeping works on
the dirty rooms. Afterwards the database alone must show that each booking was checked
out exactly once and that rooms, bookings and guests agree.

Counts are printed (`pytest -s`) and recorded in docs/reliability.md.
"""

import itertools
import multiprocessing
import random
import time
from collections import Counter, defaultdict
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from storage.database import get_engine
from storage.models import Booking, Guest, OutboxEvent, Room, TransitionLog
from tests.conftest import HOTEL, rows, seed
from tests.reliability.race_clients import Answer, Call, ClientPlan, init_client, run_client
from tests.reliability.server_process import turnover_server
from tests.reliability.worker_kill import KillMidRequest

pytestmark = pytest.mark.postgres

BOOKINGS = 240
DIRTY_ROOMS = 40
ROUND_SIZE = 10  # bookings per synchronized round
CHECKOUT_CLIENTS = 3
HOUSEKEEPING_CLIENTS = 2
STAFF_TOKEN = "race-staff-token-0123456789"
PRIMARY = f"/api/staff/hotels/{HOTEL}/room-bookings/{{}}/check-out/"
LEGACY = f"/api/staff/hotels/{HOTEL}/bookings/{{}}/checkout/"
BULK = f"/api/staff/hotel/{HOTEL}/rooms/checkout/"
TRANSITIONS = f"/api/staff/hotels/{HOTEL}/rooms/{{}}/transitions/"
# Each dirty room goes round twice, inspection failing once; both housekeeping clients
# send the same events, so one of each pair finds the room already moved on.
HOUSEKEEPING_EVENTS = [
    "start_cleaning",
    "finish_cleaning",
    "fail_inspection",
    "start_cleaning",
    "finish_cleaning",
    "pass_inspection",
]
SUCCESS = "Booking checked out successfully"
IDEMPOTENT = "Booking already checked out"


def booking_ref(n: int) -> str:
    return f"RACE-{n:04d}"


def in_house_room(n: int) -> int:
    return 1000 + n


def dirty_room(n: int) -> int:
    return 2000 + n


def race_hotel() -> dict[str, Any]:
    """BOOKINGS in-house bookings (one guest each, every other room with a chat and an open
    order for the hooks to clear) and DIRTY_ROOMS rooms waiting for housekeeping."""
    occupied = [in_house_room(n) for n in range(BOOKINGS)]
    return {
        "hotels": [{"slug": HOTEL}],
        "staff": [{"hotel": HOTEL, "username": "racer", "token": STAFF_TOKEN, "role": "manager"}],
        "rooms": [
            *({"hotel": HOTEL, "room_number": r, "room_status": "OCCUPIED"} for r in occupied),
            *(
                {"hotel": HOTEL, "room_number": dirty_room(n), "room_status": "CHECKOUT_DIRTY"}
                for n in range(DIRTY_ROOMS)
            ),
        ],
        "bookings": [
            {
                "hotel": HOTEL,
                "booking_id": booking_ref(n),
                "status": "CHECKED_IN",
                "room_number": in_house_room(n),
                "guests": [{"first_name": f"Guest {n}"}],
            }
            for n in range(BOOKINGS)
        ],
        "chat_sessions": [{"hotel": HOTEL, "room_number": r} for r in occupied[::2]],
        "room_service_orders": [{"hotel": HOTEL, "room_number": r} for r in occupied[::2]],
    }


def checkout_plans(room_ids: dict[int, int]) -> tuple[list[ClientPlan], ClientPlan]:
    """Booking n gets 2 or 3 requests, spread over the checkout clients, the endpoint
    alternating; each round of ROUND_SIZE rooms also goes to the bulk client."""
    clients = [ClientPlan(STAFF_TOKEN) for _ in range(CHECKOUT_CLIENTS)]
    bulk = ClientPlan(STAFF_TOKEN)
    for start in range(0, BOOKINGS, ROUND_SIZE):
        round_calls: list[list[Call]] = [[] for _ in clients]
        numbers = range(start, min(start + ROUND_SIZE, BOOKINGS))
        for n in numbers:
            for j in range(2 + n % 2):
                endpoint = "primary" if (n + j) % 2 == 0 else "legacy"
                path = (PRIMARY if endpoint == "primary" else LEGACY).format(booking_ref(n))
                call = Call("checkout", "POST", path, booking_ref(n), endpoint=endpoint)
                round_calls[(n + j) % CHECKOUT_CLIENTS].append(call)
        for plan, calls in zip(clients, round_calls, strict=True):
            plan.rounds.append(calls)
        body = {"room_ids": [room_ids[in_house_room(n)] for n in numbers], "destructive": False}
        bulk.rounds.append([Call("bulk", "POST", BULK, "bulk", body)])
    return clients, bulk


def housekeeping_plans() -> list[ClientPlan]:
    calls = [
        Call("housekeeping", "POST", TRANSITIONS.format(room), str(room), {"event": event})
        for room in (dirty_room(n) for n in range(DIRTY_ROOMS))
        for event in HOUSEKEEPING_EVENTS
    ]
    return [
        ClientPlan(STAFF_TOKEN, [calls], synchronized=False) for _ in range(HOUSEKEEPING_CLIENTS)
    ]


def run_clients(base_url: str, plans: list[ClientPlan], synchronized: int) -> list[Answer]:
    context = multiprocessing.get_context("spawn")
    barrier = context.Barrier(synchronized)
    with ProcessPoolExecutor(
        len(plans), mp_context=context, initializer=init_client, initargs=(barrier,)
    ) as pool:
        futures = [pool.submit(run_client, base_url, plan) for plan in plans]
        return [answer for future in futures for answer in future.result(timeout=300)]


def database_url() -> str:
    return get_engine().url.render_as_string(hide_password=False)


def room_ids_by_number() -> dict[int, int]:
    return {room.room_number: room.id for room in rows(Room)}  # type: ignore[misc]


# --- the invariants, read from the database ----------------------------------------------


def invariant_violations() -> list[str]:
    """Every rule the race must not break, as human-readable violations (empty = fine)."""
    bookings = rows(Booking)
    rooms = {room.id: room for room in rows(Room)}
    log = rows(TransitionLog)
    events = rows(OutboxEvent)
    problems: list[str] = []

    booking_checkouts = Counter(
        e.entity_ref for e in log if e.entity_kind == "booking" and e.event == "check_out"
    )
    checkout_events = Counter(
        e.payload["booking_id"] for e in events if e.event_name == "booking-checked-out"
    )
    for booking in bookings:
        ref = booking.booking_id
        if booking.status != "COMPLETED" or booking.checked_out_at is None:
            problems.append(f"{ref} is {booking.status}, not COMPLETED")
        if booking_checkouts[ref] != 1:
            problems.append(f"{ref} has {booking_checkouts[ref]} check_out log rows")
        if checkout_events[ref] != 1:
            problems.append(f"{ref} has {checkout_events[ref]} booking-checked-out events")

    in_house = Counter(b.assigned_room_id for b in bookings if b.status == "CHECKED_IN")
    for room in rooms.values():
        occupied = room.room_status == "OCCUPIED"
        if occupied != (in_house[room.id] == 1):
            problems.append(
                f"room {room.room_number} is {room.room_status} with {in_house[room.id]} "
                "in-house bookings"
            )
        if room.is_occupied != occupied:
            problems.append(f"room {room.room_number}: is_occupied disagrees with its status")
    for guest in rows(Guest):
        if guest.room_id is not None and in_house[guest.room_id] == 0:
            problems.append(f"guest {guest.id} points to room {rooms[guest.room_id].room_number}")
    problems += _broken_room_histories(rooms, log)
    return problems


def _broken_room_histories(rooms: dict[int, Room], log: list[TransitionLog]) -> list[str]:
    """Each room's log is one unbroken chain of states ending in the room's status."""
    by_room: dict[int, list[TransitionLog]] = defaultdict(list)
    for entry in log:
        if entry.entity_kind == "room":
            by_room[entry.entity_id].append(entry)
    problems = []
    for room_id, entries in by_room.items():
        chain = [entries[0].from_state] + [e.to_state for e in entries]
        linked = all(a.to_state == b.from_state for a, b in itertools.pairwise(entries))
        if not linked or chain[-1] != rooms[room_id].room_status:
            problems.append(f"room {rooms[room_id].room_number}: broken history {chain}")
    return problems


# --- the answers --------------------------------------------------------------------------


def unexpected_answers(answers: list[Answer]) -> list[str]:
    """Checkouts: the success body or the idempotent one; bulk: 200 without room errors;
    housekeeping: done, or refused because the other client moved the room first."""
    problems = []
    for answer in answers:
        call, body = answer.call, answer.body
        if call.kind == "checkout":
            ok = (
                answer.status == 200
                and body["message"] in (SUCCESS, IDEMPOTENT)
                and body["booking"]["booking_id"] == call.target
                and body["booking"]["status"] == "COMPLETED"
                and body["booking"]["assigned_room"]["room_status"] != "OCCUPIED"
            )
        elif call.kind == "bulk":
            ok = answer.status == 200 and body["results"]["errors"] == []
        else:
            ok = answer.status == 200 or (
                answer.status == 409 and body["error"]["code"] == "TRANSITION_NOT_ALLOWED"
            )
        if not ok:
            problems.append(f"{call.method} {call.path} -> {answer.status} {body}")
    return problems


def checked_out_by(answers: list[Answer]) -> Counter[str]:
    """How many requests say they did each booking's checkout (must be exactly one)."""
    done: Counter[str] = Counter()
    for answer in answers:
        if answer.status != 200:
            continue
        if answer.call.kind == "checkout" and answer.body["message"] == SUCCESS:
            done[answer.call.target] += 1
        elif answer.call.kind == "bulk":
            done.update(answer.body["results"]["checked_out_bookings"])
    return done


def race_figures(answers: list[Answer], seconds: float) -> dict[str, Any]:
    kinds = Counter(a.call.kind for a in answers)
    checkouts = [a for a in answers if a.call.kind == "checkout"]
    bulk = [a for a in answers if a.call.kind == "bulk" and a.status == 200]
    bulk_asked = sum(len(a.call.body["room_ids"]) for a in bulk)  # type: ignore[index]
    bulk_did = sum(len(a.body["results"]["checked_out_bookings"]) for a in bulk)
    housekeeping = [a for a in answers if a.call.kind == "housekeeping"]
    return {
        "requests": len(answers),
        "checkout requests (primary/legacy)": (
            f"{len(checkouts)} ({sum(a.call.endpoint == 'primary' for a in checkouts)}/"
            f"{sum(a.call.endpoint == 'legacy' for a in checkouts)})"
        ),
        "checkouts done by a single request": sum(
            a.status == 200 and a.body["message"] == SUCCESS for a in checkouts
        ),
        "idempotent answers (already checked out)": sum(
            a.status == 200 and a.body["message"] == IDEMPOTENT for a in checkouts
        ),
        "bulk requests / rooms / bookings it checked out": f"{kinds['bulk']} / {bulk_asked} / "
        f"{bulk_did}",
        "housekeeping requests (done / refused, moved first)": (
            f"{len(housekeeping)} ({sum(a.status == 200 for a in housekeeping)} / "
            f"{sum(a.status == 409 for a in housekeeping)})"
        ),
        "5xx answers (also ones retried)": sum(
            status >= 500 for a in answers for status in [a.status, *a.earlier]
        ),
        "requests that got no answer (sent again)": sum(a.earlier.count(0) for a in answers),
        "slowest request (s)": round(max(a.seconds for a in answers), 2),
        "wall time of the race (s)": round(seconds, 1),
    }


def wait_for_relay(timeout: float = 120.0) -> Counter[str]:
    deadline = time.monotonic() + timeout
    while True:
        statuses = Counter(event.status for event in rows(OutboxEvent))
        if set(statuses) == {"DELIVERED"} or time.monotonic() > deadline:
            return statuses
        time.sleep(0.2)


def test_concurrent_checkouts_bulk_and_housekeeping_over_two_workers(
    postgres_database: str, tmp_path: Path
) -> None:
    seed(race_hotel())
    room_ids = room_ids_by_number()
    checkout_clients, bulk_client = checkout_plans(room_ids)
    plans = [*checkout_clients, bulk_client, *housekeeping_plans()]
    server_log = tmp_path / "server.log"
    env = {"TURNOVER_RELAY_POLL_SECONDS": "0.2"}

    with turnover_server(database_url(), server_log, workers=2, env=env) as base_url:
        started = time.monotonic()
        answers = run_clients(base_url, plans, synchronized=CHECKOUT_CLIENTS + 1)
        seconds = time.monotonic() - started
        relayed = wait_for_relay()

    figures = race_figures(answers, seconds)
    violations = invariant_violations()
    figures["invariant violations"] = len(violations)
    print("\nrace figures:", *(f"  {name}: {value}" for name, value in figures.items()), sep="\n")

    server_output = server_log.read_text()
    assert server_output.count("Started server process") == 2, server_output[-3000:]
    assert unexpected_answers(answers) == []
    assert violations == []
    done = checked_out_by(answers)
    assert sorted(done) == sorted(booking_ref(n) for n in range(BOOKINGS))
    assert set(done.values()) == {1}, "a booking reported as checked out by two requests"
    # Every housekeeping 200 is one logged move of a dirty room, and no other move happened.
    housekeeping_done = sum(a.call.kind == "housekeeping" and a.status == 200 for a in answers)
    dirty_ids = {room_ids[dirty_room(n)] for n in range(DIRTY_ROOMS)}
    room_moves = sum(
        e.entity_kind == "room" and e.entity_id in dirty_ids for e in rows(TransitionLog)
    )
    assert room_moves == housekeeping_done > 0
    assert relayed == Counter({"DELIVERED": len(rows(OutboxEvent))})  # both workers' relays
    assert "Traceback" not in server_output
    assert figures["idempotent answers (already checked out)"] > 0  # the race did happen
    assert figures["5xx answers (also ones retried)"] == 0
    assert figures["requests that got no answer (sent again)"] == 0


# --- bulk against bulk, and a worker killed mid-request ------------------------------------

BULK_BOOKINGS = 150
BULK_ROUND = 50  # rooms per bulk request, as in the deadlock of issue 11
BULK_CLIENTS = 4  # rooms in ascending, descending and two random orders


def bulk_booking(n: int) -> str:
    return f"BULK-{n:04d}"


def bulk_race_hotel() -> dict[str, Any]:
    rooms = [in_house_room(n) for n in range(BULK_BOOKINGS)]
    return {
        "hotels": [{"slug": HOTEL}],
        "staff": [{"hotel": HOTEL, "username": "racer", "token": STAFF_TOKEN, "role": "manager"}],
        "rooms": [{"hotel": HOTEL, "room_number": r, "room_status": "OCCUPIED"} for r in rooms],
        "bookings": [
            {
                "hotel": HOTEL,
                "booking_id": bulk_booking(n),
                "status": "CHECKED_IN",
                "room_number": in_house_room(n),
                "guests": [{"first_name": f"Guest {n}"}],
            }
            for n in range(BULK_BOOKINGS)
        ],
        "chat_sessions": [{"hotel": HOTEL, "room_number": r} for r in rooms[::2]],
        "room_service_orders": [{"hotel": HOTEL, "room_number": r} for r in rooms[::3]],
    }


def bulk_against_bulk_plans(room_ids: dict[int, int]) -> list[ClientPlan]:
    """Each round: four bulk checkouts over the same 50 rooms in ascending, descending and
    two random orders, and single checkouts of 10 of their bookings, all at once."""
    shuffle = random.Random(11)
    bulks = [ClientPlan(STAFF_TOKEN) for _ in range(BULK_CLIENTS)]
    singles = ClientPlan(STAFF_TOKEN)
    for start in range(0, BULK_BOOKINGS, BULK_ROUND):
        numbers = list(range(start, start + BULK_ROUND))
        ids = [room_ids[in_house_room(n)] for n in numbers]
        orders = [ids, ids[::-1], shuffle.sample(ids, len(ids)), shuffle.sample(ids, len(ids))]
        for plan, order in zip(bulks, orders, strict=True):
            body = {"room_ids": order, "destructive": False}
            plan.rounds.append([Call("bulk", "POST", BULK, "bulk", body)])
        singles.rounds.append(
            [
                Call(
                    "checkout",
                    "POST",
                    PRIMARY.format(bulk_booking(n)),
                    bulk_booking(n),
                    None,
                    "primary",
                )
                for n in shuffle.sample(numbers, 10)
            ]
        )
    return [*bulks, singles]


def test_bulk_checkouts_against_each_other_and_a_worker_killed_mid_request(
    postgres_database: str, tmp_path: Path
) -> None:
    """Found (issue 11): two bulk checkouts over the same rooms in opposite orders
    deadlocked, one answering 500. Here four meet in every round, with single checkouts,
    and in the second round the worker serving one of them is killed while its request
    waits for a row: its clients get no answer and send again. Still no 5xx, no
    invariant broken, every booking checked out once, and the worker is replaced."""
    seed(bulk_race_hotel())
    room_ids = room_ids_by_number()
    plans = bulk_against_bulk_plans(room_ids)
    held = next(b for b in rows(Booking) if b.booking_id == bulk_booking(BULK_ROUND + 7))
    server_log = tmp_path / "server.log"
    env = {"TURNOVER_RELAY_POLL_SECONDS": "0.2", "TURNOVER_RELAY_LEASE_SECONDS": "3"}

    with turnover_server(database_url(), server_log, workers=2, env=env) as base_url:
        killer = KillMidRequest(held.id, server_log).start()  # type: ignore[arg-type]
        started = time.monotonic()
        answers = run_clients(base_url, plans, synchronized=len(plans))
        seconds = time.monotonic() - started
        killer.join()
        relayed = wait_for_relay(timeout=60)

    figures = race_figures(answers, seconds)
    violations = invariant_violations()
    figures["invariant violations"] = len(violations)
    figures["workers killed / started"] = (
        f"{len(killer.killed)} / {server_log.read_text().count('Started server process')}"
    )
    print("\nbulk race figures:", *(f"  {k}: {v}" for k, v in figures.items()), sep="\n")

    server_output = server_log.read_text()
    assert len(killer.killed) == 1
    assert f"Child process [{killer.killed[0]}] died" in server_output
    assert server_output.count("Started server process") == 3, server_output[-3000:]
    assert figures["5xx answers (also ones retried)"] == 0
    assert figures["requests that got no answer (sent again)"] >= 1
    assert unexpected_answers(answers) == []
    assert violations == []
    done = checked_out_by(answers)
    # A request killed after its COMMIT did the checkout, but no answer says so: the one
    # sent again finds it done. Never two answers for one booking.
    assert set(done.values()) == {1}
    assert len(done) <= BULK_BOOKINGS
    assert relayed == Counter({"DELIVERED": len(rows(OutboxEvent))})

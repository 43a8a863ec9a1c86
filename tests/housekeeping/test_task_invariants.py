"""Model-based test: random sequences of task events, room events, check-ins, checkouts
(ordinary and destructive), room moves, the front desk's undo (revert a check-in,
reinstate a checkout) and daily plans run against the real services; after every step
a room and its tasks agree (the invariants of docs/housekeeping.md, checked in the
database).

TURNOVER_MODEL_EXAMPLES / TURNOVER_MODEL_STEPS scale the run, TURNOVER_MODEL_RANDOM=1
draws new sequences instead of CI's fixed ones (as tests/reliability/test_model_based.py).
"""

import os
from collections import Counter

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    rule,
    run_state_machine_as_test,
)
from sqlmodel import select

from storage.models import ACTIVE_TASK_STATUSES, Booking, HousekeepingTask, Room
from storage.unit_of_work import UnitOfWork
from tests.conftest import ADMIN, ANNA, seed
from tests.reliability.test_model_based import empty_database
from workflows.machines.actors import Actor, Role
from workflows.machines.errors import DomainError
from workflows.machines.housekeeping_task import HousekeepingTaskLifecycle
from workflows.machines.room_turnover import RoomTurnover
from workflows.services.bulk_checkout import bulk_checkout
from workflows.services.check_in import check_in_booking
from workflows.services.checkout import BookingRef, checkout_booking
from workflows.services.front_desk import move_booking, reinstate_booking, revert_check_in
from workflows.services.housekeeping import RoomRef, transition_room
from workflows.services.housekeeping_plan import plan_day
from workflows.services.housekeeping_tasks import transition_task

HOTEL = "hotel-inv"
ROOMS = (101, 102, 103)
BOOKINGS = 12
EXAMPLES = int(os.environ.get("TURNOVER_MODEL_EXAMPLES", "25"))
STEPS = int(os.environ.get("TURNOVER_MODEL_STEPS", "40"))
RANDOM = os.environ.get("TURNOVER_MODEL_RANDOM") == "1"
SUPERVISOR = Actor(username="sue", role=Role.SUPERVISOR)
TASK_EVENTS = HousekeepingTaskLifecycle.directly
ROOM_EVENTS = RoomTurnover.directly

outcomes: Counter[tuple[str, str]] = Counter()


def agreement_problems() -> list[str]:
    """Every way a room and its tasks disagree, as sentences (empty: they agree)."""
    with UnitOfWork(write=False) as uow:
        rooms = list(uow.session.exec(select(Room)))
        tasks = list(uow.session.exec(select(HousekeepingTask)))
    problems = []
    for room in rooms:
        active = [t for t in tasks if t.room_id == room.id and t.status in ACTIVE_TASK_STATUSES]
        problems += [
            f"room {room.room_number} ({room.room_status}): {p}" for p in _check(room, active)
        ]
    return problems


def _check(room: Room, active: list[HousekeepingTask]) -> list[str]:
    cleaning = [t for t in active if t.kind in ("DEPARTURE", "TOUCH_UP")]
    inspections = [t for t in active if t.kind == "INSPECTION"]
    stayovers = [t for t in active if t.kind == "STAYOVER"]
    state = room.room_status
    wrong = []
    if len(cleaning) > 1 or len(inspections) > 1:
        wrong.append("two open cleanings or inspections")
    if state == "CHECKOUT_DIRTY" and [t.status for t in cleaning] != ["OPEN"]:
        wrong.append(f"dirty, cleaning tasks {[t.status for t in cleaning]} (want one OPEN)")
    if state == "CLEANING_IN_PROGRESS" and [t.status for t in cleaning] not in (
        ["IN_PROGRESS"],
        ["PAUSED"],
    ):
        wrong.append(f"being cleaned, cleaning tasks {[t.status for t in cleaning]}")
    if state == "CLEANED_UNINSPECTED" and (cleaning or len(inspections) != 1):
        wrong.append("cleaned, but not exactly one inspection and no cleaning")
    if inspections and state != "CLEANED_UNINSPECTED":
        wrong.append("an open inspection of a room not waiting for one")
    if cleaning and state not in ("CHECKOUT_DIRTY", "CLEANING_IN_PROGRESS"):
        wrong.append("an open cleaning of a room not dirty")
    if stayovers and state != "OCCUPIED":
        wrong.append("an open stayover of a room nobody stays in")
    return wrong


class RoomsAndTasks(RuleBasedStateMachine):
    @initialize()
    def a_small_hotel(self) -> None:
        empty_database()
        seed(
            {
                "hotels": [{"slug": HOTEL}],
                "rooms": [{"hotel": HOTEL, "room_number": n} for n in ROOMS],
                "bookings": [
                    {"hotel": HOTEL, "booking_id": f"BK-{i}", "status": "CONFIRMED"}
                    for i in range(BOOKINGS)
                ],
            }
        )

    def attempt(self, name: str, operation) -> None:  # type: ignore[no-untyped-def]
        try:
            operation()
        except DomainError as refused:
            outcomes[name, refused.code] += 1
        else:
            outcomes[name, "ok"] += 1

    @rule(booking=st.integers(0, BOOKINGS - 1), room=st.sampled_from(ROOMS))
    def check_in(self, booking: int, room: int) -> None:
        ref = BookingRef(HOTEL, f"BK-{booking}")
        self.attempt(
            "check_in", lambda: check_in_booking(booking=ref, performed_by=ANNA, room_number=room)
        )

    @rule(room=st.sampled_from(ROOMS))
    def check_out(self, room: int) -> None:
        booking = in_house_booking(room)
        if booking is None:
            outcomes["checkout", "nobody in"] += 1
            return
        ref = BookingRef(HOTEL, booking)
        self.attempt("checkout", lambda: checkout_booking(booking=ref, performed_by=ANNA))

    @rule(booking=st.integers(0, BOOKINGS - 1))
    def check_in_to_a_ready_room(self, booking: int) -> None:
        ready = ready_rooms()
        if not ready:
            outcomes["check_in", "no ready room"] += 1
            return
        self.check_in(booking, ready[0])

    @rule(booking=st.integers(0, BOOKINGS - 1))
    def check_in_then_move(self, booking: int) -> None:
        """A guest checked in to a ready room who asks for another one (rooms are seldom
        ready when a random guest asks)."""
        ready = ready_rooms()
        if len(ready) < 2:
            outcomes["move", "too few ready rooms"] += 1
            return
        self.check_in(booking, ready[0])
        if in_house_booking(ready[0]) == f"BK-{booking}":
            self.move(ready[0], ready[1], ready=False)

    @rule(room=st.sampled_from(ROOMS), to=st.sampled_from(ROOMS), ready=st.booleans())
    def move(self, room: int, to: int, ready: bool) -> None:
        """To `to`, or (`ready`) to a READY_FOR_GUEST room when there is one."""
        booking = in_house_booking(room)
        if booking is None:
            outcomes["move", "nobody in"] += 1
            return
        if ready:
            to = next(iter(ready_rooms()), to)
        ref = BookingRef(HOTEL, booking)
        self.attempt(
            "move", lambda: move_booking(booking=ref, to_room_number=to, performed_by=ANNA)
        )

    @rule(room=st.sampled_from(ROOMS))
    def revert_check_in(self, room: int) -> None:
        booking = in_house_booking(room)
        if booking is None:
            outcomes["revert_check_in", "nobody in"] += 1
            return
        ref = BookingRef(HOTEL, booking)
        self.attempt("revert_check_in", lambda: revert_check_in(booking=ref, performed_by=ANNA))

    @rule(room=st.sampled_from(ROOMS))
    def reinstate(self, room: int) -> None:
        booking = last_checked_out_booking(room)
        if booking is None and in_house_booking(room) is not None:
            self.check_out(room)  # a checkout by mistake, undone at once
            booking = last_checked_out_booking(room)
        if booking is None:
            outcomes["reinstate", "no checkout"] += 1
            return
        ref = BookingRef(HOTEL, booking)
        self.attempt("reinstate", lambda: reinstate_booking(booking=ref, performed_by=ANNA))

    @rule(room=st.sampled_from(ROOMS))
    def destructive_checkout(self, room: int) -> None:
        room_id = room_id_of(room)
        self.attempt(
            "destructive checkout",
            lambda: bulk_checkout(
                hotel_slug=HOTEL, room_ids=[room_id], destructive=True, performed_by=ADMIN
            ),
        )

    @rule()
    def plan(self) -> None:
        self.attempt("plan", lambda: plan_day(hotel_slug=HOTEL, performed_by=SUPERVISOR))

    @rule(room=st.sampled_from(ROOMS), event=st.sampled_from(ROOM_EVENTS))
    def room_event(self, room: int, event: str) -> None:
        ref = RoomRef(HOTEL, room)
        self.attempt(
            f"room {event}", lambda: transition_room(room=ref, event=event, performed_by=ANNA)
        )

    @rule(
        pick=st.integers(0, 30),
        event=st.sampled_from(TASK_EVENTS),
        note=st.sampled_from([None, "guest asked"]),
    )
    def task_event(self, pick: int, event: str, note: str | None) -> None:
        ids = task_ids()
        if not ids:
            outcomes["task", "no tasks"] += 1
            return
        task_id = ids[pick % len(ids)]
        self.attempt(
            f"task {event}",
            lambda: transition_task(
                hotel_slug=HOTEL, task_id=task_id, event=event, performed_by=ANNA, note=note
            ),
        )

    @rule(room=st.sampled_from(ROOMS))
    def advance(self, room: int) -> None:
        """The next natural step of the room's open work (start, finish, pass)."""
        found = active_task_of(room)
        if found is None:
            outcomes["advance", "no open task"] += 1
            return
        task_id, kind, status = found
        step = {"OPEN": "start", "PAUSED": "resume", "IN_PROGRESS": "finish"}[status]
        if kind == "INSPECTION":
            step = "pass_inspection"
        self.attempt(
            f"task {step}",
            lambda: transition_task(
                hotel_slug=HOTEL, task_id=task_id, event=step, performed_by=ANNA
            ),
        )

    @invariant()
    def rooms_and_tasks_agree(self) -> None:
        assert agreement_problems() == []


def in_house_booking(room_number: int) -> str | None:
    with UnitOfWork(write=False) as uow:
        query = (
            select(Booking.booking_id)
            .join(Room, Booking.assigned_room_id == Room.id)  # type: ignore[arg-type]
            .where(Room.room_number == room_number, Booking.status == "CHECKED_IN")
        )
        return uow.session.exec(query).first()


def last_checked_out_booking(room_number: int) -> str | None:
    with UnitOfWork(write=False) as uow:
        query = (
            select(Booking.booking_id)
            .join(Room, Booking.assigned_room_id == Room.id)  # type: ignore[arg-type]
            .where(Room.room_number == room_number, Booking.status == "COMPLETED")
            .order_by(Booking.checked_out_at.desc())  # type: ignore[union-attr]
        )
        return uow.session.exec(query).first()


def ready_rooms() -> list[int]:
    with UnitOfWork(write=False) as uow:
        query = select(Room.room_number).where(Room.room_status == "READY_FOR_GUEST")
        return sorted(uow.session.exec(query))


def room_id_of(room_number: int) -> int:
    with UnitOfWork(write=False) as uow:
        found = uow.session.exec(select(Room.id).where(Room.room_number == room_number)).one()
        return found  # type: ignore[return-value]


def task_ids() -> list[int]:
    """Active tasks first (events on finished ones are refused, which is tested too)."""
    with UnitOfWork(write=False) as uow:
        query = select(HousekeepingTask).order_by(HousekeepingTask.id)  # type: ignore[arg-type]
        tasks = list(uow.session.exec(query))
    active = [t.id for t in tasks if t.status in ACTIVE_TASK_STATUSES]
    return [*active, *active, *(t.id for t in tasks)]  # type: ignore[list-item]


def active_task_of(room_number: int) -> tuple[int, str, str] | None:
    with UnitOfWork(write=False) as uow:
        query = (
            select(HousekeepingTask)
            .join(Room, HousekeepingTask.room_id == Room.id)  # type: ignore[arg-type]
            .where(
                Room.room_number == room_number,
                HousekeepingTask.status.in_(ACTIVE_TASK_STATUSES),  # type: ignore[attr-defined]
                HousekeepingTask.kind != "STAYOVER",
            )
            .order_by(HousekeepingTask.id)  # type: ignore[arg-type]
        )
        task = uow.session.exec(query).first()
        return (task.id, task.kind, task.status) if task else None  # type: ignore[return-value]


def test_rooms_and_tasks_always_agree(database: str) -> None:
    outcomes.clear()
    run_state_machine_as_test(
        RoomsAndTasks,
        settings=settings(
            max_examples=EXAMPLES,
            stateful_step_count=STEPS,
            deadline=None,
            derandomize=not RANDOM,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
        ),
    )
    succeeded = {name for (name, outcome), _ in outcomes.items() if outcome == "ok"}
    # The interesting paths really ran.
    wanted = {
        "checkout",
        "task start",
        "task finish",
        "task pass_inspection",
        "room start_cleaning",
        "move",
        "revert_check_in",
        "reinstate",
    }
    assert wanted <= succeeded, str(sorted(outcomes.items()))

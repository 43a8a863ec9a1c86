"""What the engine does to be fast changes nothing a caller sees: machines share the
callbacks python-statemachine resolved for their class, the recorder writes with Core
statements (the state column once per transition), and bulk checkout rolls rooms back in
groups before redoing them one by one."""

from collections.abc import Iterator
from contextlib import contextmanager
from types import SimpleNamespace
from typing import Any

import pytest
from sqlalchemy import event
from sqlmodel import select
from statemachine import StateChart
from statemachine.callbacks import CallbacksRegistry

from storage.database import get_engine
from storage.models import Booking, Hotel, Room, TransitionLog
from storage.unit_of_work import UnitOfWork
from tests.conftest import ANNA, HOTEL, log, outbox, rows, seed
from workflows.documentation.registry import MACHINES
from workflows.machines.base import TransitionContext, TurnoverMachine
from workflows.machines.booking_lifecycle import BookingLifecycle
from workflows.machines.errors import ConcurrentTransition
from workflows.machines.room_turnover import CHECKOUT_HOOKS, RoomTurnover
from workflows.services import bulk_checkout as bulk_module
from workflows.services.bulk_checkout import bulk_checkout
from workflows.services.checkout import BookingRef, checkout_booking


def _stand_in_machine(machine: type[TurnoverMachine]) -> TurnoverMachine:
    """A machine on a stand-in row (no database): enough to build it."""
    initial = machine.initial_state
    assert initial is not None
    row = SimpleNamespace(id=1, **{machine.status_field: initial.value})
    ctx = TransitionContext(None, Hotel(id=1, slug="h", name="h"), ANNA, "test")  # type: ignore[arg-type]
    return machine(row, ctx)  # type: ignore[arg-type]


def _callbacks_by_key(registry: CallbacksRegistry) -> dict[str, list[tuple[str, Any]]]:
    """Each group's callbacks in the order they run: (name, the spec they come from)."""
    return {
        key: [(wrapper.unique_key.rsplit("@", 1)[0], wrapper.meta) for wrapper in executor]
        for key, executor in registry._registry.items()
        if executor.items
    }


@pytest.mark.parametrize("entry", MACHINES, ids=[entry.name for entry in MACHINES])
def test_a_machine_runs_the_callbacks_the_library_resolves_for_it(entry: Any) -> None:
    _stand_in_machine(entry.machine)  # the first of its class: resolved by the library
    machine = _stand_in_machine(entry.machine)
    shared = machine._callbacks
    machine._callbacks = CallbacksRegistry()
    StateChart._register_callbacks(machine, [])  # the library's own resolution, for this one
    assert _callbacks_by_key(shared) == _callbacks_by_key(machine._callbacks)


@contextmanager
def statements() -> Iterator[list[str]]:
    seen: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        seen.append(" ".join(statement.split()))

    engine = get_engine()
    event.listen(engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", record)


def test_a_checkout_writes_each_state_column_once(hotel: str) -> None:
    with statements() as seen:
        checkout_booking(booking=BookingRef(HOTEL, "BK-1"), performed_by=ANNA)
    updates = [s for s in seen if s.startswith("UPDATE")]
    writing_status = [s for s in updates if " SET status=" in s or "room_status=" in s]
    # the compare-and-sets, and nothing else, write the two state columns
    assert len(writing_status) == 2
    assert all("status = " in s.split(" WHERE ", 1)[1] for s in writing_status)
    inserted = [s.split(" ")[2] for s in seen if s.startswith("INSERT")]
    # every audit row in one INSERT, every outbox row in another (the departure task's too)
    assert (inserted.count("transitionlog"), inserted.count("outboxevent")) == (1, 1)
    booking = next(b for b in rows(Booking) if b.booking_id == "BK-1")
    room = next(r for r in rows(Room) if r.id == booking.assigned_room_id)
    assert (booking.status, booking.checked_out_at is not None) == ("COMPLETED", True)
    assert (room.room_status, room.is_occupied, room.fcm_token) == ("CHECKOUT_DIRTY", False, None)
    assert room.turnover_notes.endswith("staff_api by anna: checked out booking BK-1")


def test_hooks_run_between_the_claim_and_the_records_in_their_declared_order(
    hotel: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    ran: list[str] = []

    def trace_hook(name: str) -> Any:
        real = getattr(RoomTurnover, name)

        def traced(self: RoomTurnover) -> None:
            ran.append(name)
            real(self)

        return traced

    def trace_recorder(name: str) -> Any:
        real = getattr(RoomTurnover, name)

        def traced(self: RoomTurnover, event: str, source: Any, target: Any) -> None:
            ran.append(name)
            real(self, event, source, target)

        return traced

    for name in CHECKOUT_HOOKS:
        monkeypatch.setattr(RoomTurnover, name, trace_hook(name))
    for name in ("before_transition", "after_transition"):
        monkeypatch.setattr(RoomTurnover, name, trace_recorder(name))
    checkout_booking(booking=BookingRef(HOTEL, "BK-1"), performed_by=ANNA)
    assert ran == ["before_transition", *CHECKOUT_HOOKS, "after_transition"]


def test_two_machines_of_one_class_each_act_on_their_own_row(hotel: str) -> None:
    with UnitOfWork() as uow:
        session = uow.session
        hotel_row = session.exec(select(Hotel).where(Hotel.slug == HOTEL)).one()
        booking = session.exec(select(Booking).where(Booking.booking_id == "BK-1")).one()
        room = session.get(Room, booking.assigned_room_id)
        ghost = session.exec(
            select(Room).where(Room.hotel_id == hotel_row.id, Room.room_number == 103)
        ).one()
        ctx = TransitionContext(session, hotel_row, ANNA, "test")
        of_booking = BookingLifecycle(booking, ctx, room=room)
        without_room = BookingLifecycle(booking, ctx, room=None)
        ghost_machine = RoomTurnover(ghost, ctx)
        assert "check_out" not in [e.id for e in without_room.enabled_events()]
        assert "check_out" in [e.id for e in of_booking.enabled_events()]
        of_booking.fire("check_out")
        assert ghost_machine.clear_ghost_room()
        uow.commit()
    assert [entry[:4] for entry in log() if entry[1] == "check_out"] == [
        ("BK-1", "check_out", "CHECKED_IN", "COMPLETED"),
        ("101", "check_out", "OCCUPIED", "CHECKOUT_DIRTY"),
        ("103", "check_out", "OCCUPIED", "CHECKOUT_DIRTY"),
    ]


def test_a_transition_fired_with_send_is_recorded_at_once(hotel: str) -> None:
    """`fire` writes the audit and outbox rows when it returns; a bare `send` (outside any
    `fire`) writes them itself."""
    with UnitOfWork() as uow:
        session = uow.session
        hotel_row = session.exec(select(Hotel).where(Hotel.slug == HOTEL)).one()
        room = session.exec(
            select(Room).where(Room.hotel_id == hotel_row.id, Room.room_number == 104)
        ).one()
        RoomTurnover(room, TransitionContext(session, hotel_row, ANNA, "test")).send(
            "start_cleaning"
        )
        uow.commit()
    assert [entry[:4] for entry in log()] == [
        ("104", "start_cleaning", "CHECKOUT_DIRTY", "CLEANING_IN_PROGRESS")
    ]
    assert [name for name, _ in outbox()] == ["room-status-changed"]


def test_a_failed_transition_leaves_the_loaded_row_as_the_database_has_it(
    hotel: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(self: RoomTurnover) -> None:
        raise ConcurrentTransition("lost")

    monkeypatch.setattr(RoomTurnover, "delete_open_orders", broken)
    with UnitOfWork() as uow:
        session = uow.session
        hotel_row = session.exec(select(Hotel).where(Hotel.slug == HOTEL)).one()
        booking = session.exec(select(Booking).where(Booking.booking_id == "BK-1")).one()
        room = session.get(Room, booking.assigned_room_id)
        assert room is not None
        ctx = TransitionContext(session, hotel_row, ANNA, "test")
        with pytest.raises(ConcurrentTransition), uow.savepoint():
            BookingLifecycle(booking, ctx, room=room).fire("check_out")
        loaded = (booking.status, booking.checked_out_at, room.room_status, room.is_occupied)
        session.expire_all()
        assert loaded == (booking.status, booking.checked_out_at, room.room_status, True)
        assert loaded[:3] == ("CHECKED_IN", None, "OCCUPIED")


def _in_house_hotel(rooms: int) -> dict[str, Any]:
    numbers = range(1, rooms + 1)
    return {
        "hotels": [{"slug": HOTEL}],
        "rooms": [{"hotel": HOTEL, "room_number": n, "room_status": "OCCUPIED"} for n in numbers],
        "bookings": [
            {"hotel": HOTEL, "booking_id": f"BK-{n}", "status": "CHECKED_IN", "room_number": n}
            for n in numbers
        ],
    }


def test_bulk_checkout_undoes_only_the_failing_room_of_a_group(
    database: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    seed(_in_house_hotel(rooms=7))
    monkeypatch.setattr(bulk_module, "ROOMS_PER_SAVEPOINT", 3)  # groups 1-3, 4-6, 7
    real = RoomTurnover.detach_guests

    def fail_in_room_5(self: RoomTurnover) -> None:
        if self.model.room_number == 5:
            raise ConcurrentTransition("room 5 changed meanwhile")
        real(self)

    monkeypatch.setattr(RoomTurnover, "detach_guests", fail_in_room_5)
    ids = [room.id for room in sorted(rows(Room), key=lambda r: r.room_number)]

    result = bulk_checkout(hotel_slug=HOTEL, room_ids=ids[::-1], performed_by=ANNA)

    assert [(e.room_id, e.code) for e in result.errors] == [(ids[4], "CONCURRENT_UPDATE")]
    assert result.checked_out_bookings == [f"BK-{n}" for n in (7, 6, 4, 3, 2, 1)]
    statuses = {r.room_number: r.room_status for r in rows(Room)}
    assert statuses == {n: "OCCUPIED" if n == 5 else "CHECKOUT_DIRTY" for n in range(1, 8)}
    booking_logs = [e.entity_ref for e in rows(TransitionLog) if e.entity_kind == "booking"]
    assert booking_logs == [f"BK-{n}" for n in (1, 2, 3, 4, 6, 7)]  # each once, in room order
    # each room's events in the order its transitions happened, none of room 5
    events = ("booking-checked-out", "room-status-changed", "task-created")
    expected = [(event, n) for n in (1, 2, 3, 4, 6, 7) for event in events]
    assert [(name, payload["room_number"]) for name, payload in outbox()] == expected

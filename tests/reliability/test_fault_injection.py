"""Fault injection: a failure inside a write operation, in any transition hook or while
writing an outbox row, leaves the database exactly as it was (every table compared) and no
outbox row for the operation, so the relay has nothing to publish. Failures at COMMIT:
test_failed_commit.py."""

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from sqlalchemy import event

import workflows.machines.recorder as transition_recorder
from storage.database import get_engine
from storage.models import Room
from tests.conftest import ANNA, HOTEL, log, outbox, rows, snapshot
from tests.reliability.operations import OPERATIONS, room_ids
from workflows.machines.base import TurnoverMachine, hook_names
from workflows.machines.booking_lifecycle import BookingLifecycle
from workflows.machines.errors import ConcurrentTransition
from workflows.machines.room_turnover import RoomTurnover
from workflows.services.bulk_checkout import bulk_checkout


class InjectedFault(Exception):
    """Stands for anything going wrong: a bug in a hook, a lost connection, a full disk."""


# Which operations run each transition that has hooks. Collapsing primary and legacy
# checkout for the room's hooks is safe: they differ only in the `source` string.
RUN_BY: dict[tuple[str, str], list[str]] = {
    ("BookingLifecycle", "check_in"): ["check-in", "bulk check-in"],
    ("RoomTurnover", "check_in"): ["check-in", "move"],
    ("BookingLifecycle", "check_out"): [
        "checkout (primary)",
        "checkout (legacy)",
        "bulk checkout",
        "destructive bulk checkout",
    ],
    ("RoomTurnover", "check_out"): ["checkout (primary)", "bulk checkout", "move"],
    ("RoomTurnover", "force_checkout"): ["destructive bulk checkout"],
    ("BookingLifecycle", "move"): ["move"],
    ("BookingLifecycle", "revert_check_in"): ["revert check-in"],
    ("RoomTurnover", "revert_check_in"): ["revert check-in"],
    ("BookingLifecycle", "reinstate"): ["reinstate"],
    ("RoomTurnover", "reinstate"): ["reinstate"],
    # The analytics' interval hook (record_turnover_interval): no operation reaches these
    # from the seeded hotel in one unit of work yet, so its failure is not injected here.
    ("RoomTurnover", "finish_cleaning"): [],
    ("RoomTurnover", "pass_inspection"): [],
}
MACHINES: list[type[TurnoverMachine]] = [BookingLifecycle, RoomTurnover]


def transitions_with_hooks() -> dict[tuple[str, str], list[str]]:
    """(machine, event) -> its `on=` hooks, read from the machines themselves."""
    found: dict[tuple[str, str], list[str]] = {}
    for machine in MACHINES:
        for state in machine.states:
            for transition in state.transitions:
                hooks = hook_names(transition)
                if hooks:
                    found[(machine.__name__, transition.event)] = hooks
    return found


def hook_cases() -> list[Any]:
    cases = []
    for (machine_name, transition_event), hooks in transitions_with_hooks().items():
        for hook in hooks:
            for operation in RUN_BY.get((machine_name, transition_event), []):
                name = f"{machine_name}.{hook}-{operation}"
                cases.append(pytest.param(machine_name, hook, operation, id=name))
    return cases


def test_every_transition_with_hooks_has_an_operation_that_runs_it() -> None:
    """A new hooked transition must be added to RUN_BY, or its hooks go untested here."""
    assert set(transitions_with_hooks()) == set(RUN_BY)


def assert_unchanged_by(operation: str, before: dict) -> None:
    after = snapshot()
    assert after == before, f"{operation} left a trace after failing"


@pytest.mark.parametrize(("machine_name", "hook", "operation"), hook_cases())
def test_failing_hook_leaves_everything_as_it_was(
    hotel: str, monkeypatch: pytest.MonkeyPatch, machine_name: str, hook: str, operation: str
) -> None:
    calls: list[str] = []

    def broken_hook(self: TurnoverMachine, *args: Any, **kwargs: Any) -> None:
        calls.append(hook)
        raise InjectedFault(f"{hook} failed")

    machine = next(m for m in MACHINES if m.__name__ == machine_name)
    monkeypatch.setattr(machine, hook, broken_hook)
    before = snapshot()
    with pytest.raises(InjectedFault):
        OPERATIONS[operation]()
    assert calls == [hook]  # the fault was reached (no vacuous pass)
    assert_unchanged_by(operation, before)


@contextmanager
def failing_outbox_writes(nth: int, *, at: str) -> Iterator[list[int]]:
    """Fail the `nth` outbox write: when the row is built ("build") or inserted ("insert":
    the INSERT statement carrying it fails)."""
    writes: list[int] = []

    def count_and_maybe_fail() -> None:
        writes.append(1)
        if len(writes) == nth:
            raise InjectedFault(f"outbox write {nth} failed")

    if at == "build":
        real = transition_recorder.outbox_row

        def build(*args: Any) -> dict[str, Any]:
            count_and_maybe_fail()
            return real(*args)

        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(transition_recorder, "outbox_row", build)
            yield writes
        return

    def before_execute(
        _conn: Any, _cursor: Any, statement: str, params: Any, _ctx: Any, many: bool
    ) -> None:
        if statement.startswith("INSERT INTO outboxevent"):
            for _ in params if many else [params]:
                count_and_maybe_fail()

    engine = get_engine()
    event.listen(engine, "before_cursor_execute", before_execute)
    try:
        yield writes
    finally:
        event.remove(engine, "before_cursor_execute", before_execute)


OUTBOX_CASES = [
    pytest.param(operation, nth, at, id=f"{operation}-write{nth}-{at}")
    for operation in OPERATIONS
    for nth in (1, 2)
    for at in ("build", "insert")
    if nth == 1 or operation not in ("housekeeping", "cancel", "no-show")  # one write only
]


@pytest.mark.parametrize(("operation", "nth", "at"), OUTBOX_CASES)
def test_failing_outbox_write_leaves_everything_as_it_was(
    hotel: str, operation: str, nth: int, at: str
) -> None:
    before = snapshot()
    with failing_outbox_writes(nth, at=at) as writes, pytest.raises(InjectedFault):
        OPERATIONS[operation]()
    assert len(writes) == nth
    assert_unchanged_by(operation, before)


def test_bulk_checkout_rolls_back_only_the_room_that_failed(
    hotel: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A refusal inside one room's savepoint (here a lost race) undoes that room alone."""
    real = RoomTurnover.delete_open_orders

    def lose_race_in_room_101(self: RoomTurnover) -> None:
        if self.model.room_number == 101:
            raise ConcurrentTransition("room 101 changed meanwhile")
        real(self)

    monkeypatch.setattr(RoomTurnover, "delete_open_orders", lose_race_in_room_101)
    before = {name: table for name, table in snapshot().items()}
    result = bulk_checkout(hotel_slug=HOTEL, room_ids=room_ids(101, 103), performed_by=ANNA)

    assert [(e.code, e.room_id) for e in result.errors] == [("CONCURRENT_UPDATE", room_ids(101)[0])]
    assert result.rooms_cleared == [103] and result.checked_out_bookings == []
    statuses = {room.room_number: room.room_status for room in rows(Room) if room.hotel_id == 1}
    assert statuses[101] == "OCCUPIED" and statuses[103] == "CHECKOUT_DIRTY"
    after = snapshot()
    for table in ("booking", "guest", "guestchatsession", "conversation", "roomserviceorder"):
        assert after[table] == before[table], table
    room_entry, task_entry = log()  # room 103's checkout, and the departure task it opened
    assert room_entry[:4] == ("103", "check_out", "OCCUPIED", "CHECKOUT_DIRTY")
    assert task_entry[0].startswith("103/DEPARTURE/") and task_entry[1:4] == ("create", "", "OPEN")
    assert [name for name, _ in outbox()] == ["room-status-changed", "task-created"]

"""A task and its room move together, whichever is used, and every step is recorded."""

import pytest

from storage.models import TransitionLog
from tests.conftest import log, outbox, rows, snapshot
from tests.housekeeping.helpers import (
    check_out,
    room_event,
    room_status,
    task_event,
    tasks_of,
)
from workflows.machines.errors import TransitionRefused


def test_checkout_opens_the_departure_task_in_the_same_transaction(hotel: str) -> None:
    check_out("BK-1")

    assert tasks_of(101) == [("DEPARTURE", "OPEN")]
    names = [name for name, _ in outbox()]
    assert names == ["booking-checked-out", "room-status-changed", "task-created"]
    created = outbox()[-1][1]
    assert created["room_number"] == 101 and created["kind"] == "DEPARTURE"
    assert created["status"] == "OPEN" and created["assignee"] is None
    assert created["room_flags"] == {
        "do_not_disturb": False,
        "make_up_room": False,
        "service_declined": False,
    }
    entry = rows(TransitionLog)[-1]
    assert (entry.entity_kind, entry.event, entry.from_state, entry.to_state) == (
        "task",
        "create",
        "",
        "OPEN",
    )


def test_working_the_tasks_moves_the_room_to_ready(hotel: str) -> None:
    check_out("BK-1")
    task_event(101, "DEPARTURE", "start")
    assert room_status(101) == "CLEANING_IN_PROGRESS"
    task_event(101, "DEPARTURE", "pause")
    assert room_status(101) == "CLEANING_IN_PROGRESS"
    task_event(101, "DEPARTURE", "resume")
    view = task_event(101, "DEPARTURE", "finish")
    assert view.task.status == "DONE" and view.task.finished_at is not None
    assert room_status(101) == "CLEANED_UNINSPECTED"
    assert tasks_of(101) == [("DEPARTURE", "DONE"), ("INSPECTION", "OPEN")]

    task_event(101, "INSPECTION", "fail_inspection", note="hair in the sink")
    assert room_status(101) == "CHECKOUT_DIRTY"
    assert tasks_of(101)[-2:] == [("INSPECTION", "FAILED"), ("TOUCH_UP", "OPEN")]

    task_event(101, "TOUCH_UP", "start")
    assert room_status(101) == "CLEANING_IN_PROGRESS"
    task_event(101, "TOUCH_UP", "finish")
    task_event(101, "INSPECTION", "pass_inspection")
    assert room_status(101) == "READY_FOR_GUEST"
    assert tasks_of(101) == [
        ("DEPARTURE", "DONE"),
        ("INSPECTION", "FAILED"),
        ("TOUCH_UP", "DONE"),
        ("INSPECTION", "DONE"),
    ]


def test_each_task_event_drives_the_room_once_and_never_back(hotel: str) -> None:
    check_out("BK-1")
    before = len(log())
    task_event(101, "DEPARTURE", "start")
    added = log()[before:]
    assert [(ref, event) for ref, event, *_ in added] == [
        ("101/DEPARTURE/" + added[0][0].split("/")[-1], "start"),
        ("101", "start_cleaning"),
    ]


def test_room_events_fired_directly_move_the_tasks(hotel: str) -> None:
    check_out("BK-1")
    room_event(101, "start_cleaning")
    assert tasks_of(101) == [("DEPARTURE", "IN_PROGRESS")]
    room_event(101, "finish_cleaning")
    assert tasks_of(101) == [("DEPARTURE", "DONE"), ("INSPECTION", "OPEN")]
    room_event(101, "fail_inspection")
    assert tasks_of(101)[1:] == [("INSPECTION", "FAILED"), ("TOUCH_UP", "OPEN")]
    room_event(101, "take_out_of_order")
    assert tasks_of(101)[2:] == [("TOUCH_UP", "CANCELLED")]
    room_event(101, "return_to_service")
    assert tasks_of(101)[3:] == [("TOUCH_UP", "OPEN")]
    room_event(101, "start_cleaning")
    room_event(101, "finish_cleaning")
    room_event(101, "pass_inspection")
    assert room_status(101) == "READY_FOR_GUEST"
    assert tasks_of(101)[3:] == [("TOUCH_UP", "DONE"), ("INSPECTION", "DONE")]


def test_a_paused_cleaning_finished_from_the_room_is_resumed_first(hotel: str) -> None:
    check_out("BK-1")
    task_event(101, "DEPARTURE", "start")
    task_event(101, "DEPARTURE", "pause")
    room_event(101, "finish_cleaning")
    assert tasks_of(101) == [("DEPARTURE", "DONE"), ("INSPECTION", "OPEN")]


def test_a_room_dirty_before_tasks_existed_gets_one_when_its_cleaning_starts(hotel: str) -> None:
    room_event(104, "start_cleaning")
    assert tasks_of(104) == [("DEPARTURE", "IN_PROGRESS")]


def test_a_refused_room_move_rolls_the_task_back(hotel: str) -> None:
    check_out("BK-1")
    room_event(101, "take_out_of_order")
    room_event(101, "return_to_service")
    room_event(101, "take_out_of_order")
    before = snapshot()
    with pytest.raises(TransitionRefused):
        task_event(101, "TOUCH_UP", "start")  # cancelled with the room out of order
    assert snapshot() == before


@pytest.mark.parametrize(
    ("kind_event", "code"),
    [
        (("DEPARTURE", "pass_inspection"), "TASK_KIND_MISMATCH"),
        (("DEPARTURE", "cancel"), "TASK_KIND_MISMATCH"),
        (("DEPARTURE", "skip"), "TASK_KIND_MISMATCH"),
        (("DEPARTURE", "finish"), "TRANSITION_NOT_ALLOWED"),
        (("DEPARTURE", "resume"), "TRANSITION_NOT_ALLOWED"),
        (("DEPARTURE", "convert_to_departure"), "TRANSITION_NOT_ALLOWED"),
    ],
)
def test_refusals_say_why(hotel: str, kind_event: tuple[str, str], code: str) -> None:
    check_out("BK-1")
    before = snapshot()
    with pytest.raises(TransitionRefused) as refused:
        task_event(101, *kind_event)
    assert refused.value.code == code
    assert snapshot() == before


def test_an_inspection_is_not_finished(hotel: str) -> None:
    check_out("BK-1")
    task_event(101, "DEPARTURE", "start")
    task_event(101, "DEPARTURE", "finish")
    task_event(101, "INSPECTION", "start")
    with pytest.raises(TransitionRefused) as refused:
        task_event(101, "INSPECTION", "finish")
    assert refused.value.code == "TASK_KIND_MISMATCH"

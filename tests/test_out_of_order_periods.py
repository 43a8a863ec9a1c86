"""Out-of-order periods: scheduling with its clashes, the scheduler starting and ending them
on the hotel's days (clock injected), shortening and cancelling."""

from collections import Counter
from datetime import date
from typing import Any

import pytest

from storage.models import OutOfOrderPeriod, Room, TransitionLog
from tests.conftest import outbox, rows, seed
from tests.front_desk_hotel import HOTEL, NOW, at, front_desk_hotel
from workers.scheduler import Job, Scheduler
from workflows.machines.actors import Actor, Role
from workflows.machines.errors import DomainError
from workflows.services.checkout import BookingRef, checkout_booking
from workflows.services.out_of_order import (
    apply_due_periods,
    cancel_period,
    list_periods,
    schedule_period,
    shorten_period,
)

SUPERVISOR = Actor(username="sinead", role=Role.SUPERVISOR)
DESK = Actor(username="anna", role=Role.FRONT_DESK)


@pytest.fixture
def desk_hotel(database: str) -> str:
    seed(front_desk_hotel())
    return HOTEL


def schedule(room_number: int, first: str, last: str, **more: Any) -> OutOfOrderPeriod:
    kwargs = dict(
        hotel_slug=HOTEL,
        room_number=room_number,
        starts_on=date.fromisoformat(f"2026-{first}"),
        ends_on=date.fromisoformat(f"2026-{last}"),
        reason="repainting",
        performed_by=SUPERVISOR,
        now=NOW,
    )
    return schedule_period(**{**kwargs, **more}).period


def room_status(number: int) -> str:
    return next(r.room_status for r in rows(Room) if r.room_number == number and r.hotel_id == 1)


def period_status(period_id: int) -> str:
    return next(p.status for p in rows(OutOfOrderPeriod) if p.id == period_id)


def ticks(now: Any) -> int:
    return Scheduler([Job("periods", apply_due_periods)], clock=lambda: now).tick()["periods"]


def refused(code: str, call: Any, **kwargs: Any) -> str:
    with pytest.raises(DomainError) as raised:
        call(**kwargs)
    assert raised.value.code == code, raised.value.message
    return raised.value.message


def test_the_scheduler_starts_and_ends_a_period_on_the_hotels_days(desk_hotel: str):
    period = schedule(201, "12-05", "12-06")
    assert (period.status, room_status(201)) == ("SCHEDULED", "READY_FOR_GUEST")
    assert ticks(at(4, 23, 59)) == 0
    assert ticks(at(5, 0, 0)) == 1
    assert (period_status(period.id), room_status(201)) == ("ACTIVE", "OUT_OF_ORDER")
    assert ticks(at(5, 0, 1)) == 0  # each change once
    assert ticks(at(6, 23, 59)) == 0
    assert ticks(at(7, 0, 0)) == 1
    assert (period_status(period.id), room_status(201)) == ("ENDED", "CHECKOUT_DIRTY")
    events = [name for name, _ in outbox() if not name.startswith("task-")]
    assert events == [
        "out-of-order-period-started",
        "room-status-changed",
        "out-of-order-period-ended",
        "room-status-changed",
    ]
    room_log = [(e.event, e.actor) for e in rows(TransitionLog) if e.entity_kind == "room"]
    assert room_log == [("take_out_of_order", "system"), ("return_to_service", "system")]


def test_a_period_starting_today_starts_at_once(desk_hotel: str):
    period = schedule(305, "12-03", "12-03")
    assert (period.status, room_status(305)) == ("ACTIVE", "OUT_OF_ORDER")
    assert ticks(at(3, 23)) == 0
    assert ticks(at(4, 0)) == 1
    assert room_status(305) == "CHECKOUT_DIRTY"


def test_a_period_waits_for_a_room_still_occupied_on_its_first_day(desk_hotel: str):
    # BK-IN leaves room 110 today: the period may start today, once the guest is out.
    period = schedule(110, "12-03", "12-04")
    assert (period.status, room_status(110)) == ("SCHEDULED", "OCCUPIED")
    assert ticks(at(3, 11)) == 0
    checkout_booking(booking=BookingRef(HOTEL, "BK-IN"), performed_by=DESK)
    assert ticks(at(3, 12)) == 1
    assert (period_status(period.id), room_status(110)) == ("ACTIVE", "OUT_OF_ORDER")


def test_periods_clash_with_bookings_and_other_periods(desk_hotel: str):
    # BK-A2 has room 102 from the 3rd to the 4th (leaving on the 4th).
    message = refused("PERIOD_CLASH", schedule, room_number=102, first="12-03", last="12-03")
    assert "BK-A2" in message
    refused("PERIOD_CLASH", schedule, room_number=102, first="12-03", last="12-09")
    schedule(102, "12-04", "12-05")  # its departure day is free
    message = refused("PERIOD_CLASH", schedule, room_number=102, first="12-05", last="12-06")
    assert "already has out-of-order period" in message
    schedule(102, "12-06", "12-06")


@pytest.mark.parametrize(
    ("kwargs", "code"),
    [
        ({"first": "12-02", "last": "12-04"}, "VALIDATION_ERROR"),  # yesterday
        ({"performed_by": DESK}, "PERMISSION_DENIED"),
        ({"room_number": 999}, "ROOM_NOT_FOUND"),
    ],
)
def test_scheduling_refusals(desk_hotel: str, kwargs: dict, code: str):
    call = {"room_number": 201, "first": "12-05", "last": "12-06", **kwargs}
    refused(code, schedule, **call)
    assert rows(OutOfOrderPeriod) == []


def test_shorten_and_cancel(desk_hotel: str):
    common = dict(hotel_slug=HOTEL, room_number=201, performed_by=SUPERVISOR)
    later = schedule(201, "12-10", "12-12")
    assert cancel_period(**common, period_id=later.id, now=NOW).period.status == "CANCELLED"
    active = schedule(201, "12-03", "12-09")
    refused(
        "VALIDATION_ERROR",
        shorten_period,
        **common,
        period_id=active.id,
        ends_on=date(2026, 12, 10),
        now=NOW,
    )
    view = shorten_period(**common, period_id=active.id, ends_on=date(2026, 12, 4), now=NOW)
    assert (view.period.status, view.period.ends_on) == ("ACTIVE", date(2026, 12, 4))
    assert ticks(at(5)) == 1
    assert room_status(201) == "CHECKOUT_DIRTY"
    again = schedule(201, "12-05", "12-08", now=at(5))
    assert room_status(201) == "OUT_OF_ORDER"
    ended = cancel_period(**common, period_id=again.id, now=at(6))
    assert (ended.period.status, ended.room.room_status) == ("ENDED", "CHECKOUT_DIRTY")
    refused("TRANSITION_NOT_ALLOWED", cancel_period, **common, period_id=again.id, now=at(6))
    refused("PERIOD_NOT_FOUND", cancel_period, **common, period_id=999, now=at(6))
    listed = list_periods(hotel_slug=HOTEL, room_number=201, limit=50, offset=0)
    assert [v.period.status for v in listed.items] == ["CANCELLED", "ENDED", "ENDED"]


@pytest.mark.parametrize(
    ("timezone", "first", "before", "after"),
    [
        ("Pacific/Auckland", "2026-12-04", at(3, 10, 59), at(3, 11, 0)),
        ("America/Los_Angeles", "2026-12-03", at(3, 7, 59), at(3, 8, 0)),
    ],
)
def test_the_scheduler_follows_the_hotels_midnight(database: str, timezone, first, before, after):
    seed(
        {
            "hotels": [{"slug": "far-away", "timezone": timezone}],
            "rooms": [{"hotel": "far-away", "room_number": 1, "room_status": "READY_FOR_GUEST"}],
        }
    )
    schedule_period(
        hotel_slug="far-away",
        room_number=1,
        starts_on=date.fromisoformat(first),
        ends_on=date.fromisoformat(first),
        reason="",
        performed_by=SUPERVISOR,
        now=at(2, 12),
    )
    assert ticks(before) == 0
    assert ticks(after) == 1
    assert Counter(p.status for p in rows(OutOfOrderPeriod)) == {"ACTIVE": 1}


def test_a_failing_job_does_not_stop_the_others(sqlite_database: str):
    def broken(now: Any) -> int:
        raise RuntimeError("boom")

    scheduler = Scheduler([Job("broken", broken), Job("fine", lambda now: 2)], clock=lambda: NOW)
    assert scheduler.tick() == {"broken": 0, "fine": 2}


def test_turnover_tick_applies_what_is_due(desk_hotel: str):
    """A period from long ago to far ahead (written as stored data) is due whatever the
    wall clock says: one tick starts it, the next finds nothing."""
    from typer.testing import CliRunner

    from cli.main import app
    from storage.unit_of_work import UnitOfWork

    with UnitOfWork() as uow:
        room = next(r for r in rows(Room) if r.room_number == 201)
        uow.session.add(
            OutOfOrderPeriod(
                hotel_id=room.hotel_id,
                room_id=room.id,  # type: ignore[arg-type]
                starts_on=date(2020, 1, 1),
                ends_on=date(2099, 1, 1),
                created_by="sinead",
            )
        )
        uow.commit()
    first = CliRunner().invoke(app, ["tick"])
    assert first.exit_code == 0, first.output
    assert "out-of-order periods: 1 change(s)" in first.output.splitlines()
    assert room_status(201) == "OUT_OF_ORDER"
    again = CliRunner().invoke(app, ["tick"]).output.splitlines()
    assert "out-of-order periods: 0 change(s)" in again
    assert "housekeeping plan: 0 change(s)" in again  # the day's plan (if due) ran once


def test_auto_assign_passes_over_a_room_going_out_of_order_during_the_stay(desk_hotel: str):
    from workflows.services.bulk_check_in import CheckInRequestItem, bulk_check_in

    schedule(101, "12-05", "12-05")  # BK-A1 stays the 3rd to the 5th (leaves that morning)
    schedule(201, "12-04", "12-04")  # ... but is there on the 4th
    result = bulk_check_in(
        hotel_slug=HOTEL,
        bookings=[CheckInRequestItem("BK-A1")],
        auto_assign=True,
        performed_by=DESK,
        now=NOW,
    )
    assert [(a.booking_id, a.room_number) for a in result.assigned_rooms] == [("BK-A1", 101)]
    result = bulk_check_in(
        hotel_slug=HOTEL,
        bookings=[CheckInRequestItem("BK-A3")],  # the 3rd to the 6th
        auto_assign=True,
        performed_by=DESK,
        now=NOW,
    )
    assert [(a.booking_id, a.room_number) for a in result.assigned_rooms] == [("BK-A3", 305)]


def test_a_named_room_out_of_order_during_the_stay_is_refused(desk_hotel: str):
    from workflows.services.check_in import check_in_booking
    from workflows.services.front_desk import move_booking

    schedule(101, "12-04", "12-04")  # BK-A1 stays the 3rd to the 5th
    schedule(201, "12-05", "12-06")  # ... and leaves 201 free on the morning of the 5th
    a1 = BookingRef(HOTEL, "BK-A1")
    message = refused(
        "ROOM_OUT_OF_ORDER", check_in_booking, booking=a1, room_number=101,
        performed_by=DESK, now=NOW,
    )  # fmt: skip
    assert "out of order during the stay" in message
    assert room_status(101) == "READY_FOR_GUEST"
    check_in_booking(booking=a1, room_number=201, performed_by=DESK, now=NOW)
    a3 = BookingRef(HOTEL, "BK-A3")  # the 3rd to the 6th
    check_in_booking(booking=a3, room_number=305, performed_by=DESK, now=NOW)
    refused(
        "ROOM_OUT_OF_ORDER", move_booking, booking=a3, to_room_number=101,
        performed_by=DESK, now=NOW,
    )  # fmt: skip
    assert (room_status(305), room_status(101)) == ("OCCUPIED", "READY_FOR_GUEST")


def test_cancelling_a_period_that_started_today_ends_it_today(desk_hotel: str):
    period = schedule(201, "12-03", "12-09")
    assert room_status(201) == "OUT_OF_ORDER"
    view = cancel_period(
        hotel_slug=HOTEL, room_number=201, period_id=period.id, performed_by=SUPERVISOR, now=NOW
    )
    assert (view.period.status, view.period.starts_on, view.period.ends_on) == (
        "ENDED", date(2026, 12, 3), date(2026, 12, 3),
    )  # fmt: skip
    assert room_status(201) == "CHECKOUT_DIRTY"  # back in service now, to be cleaned
    assert ticks(at(4)) == 0


def test_a_period_waiting_for_its_occupied_room_says_so(desk_hotel: str):
    period = schedule(110, "12-03", "12-04")  # BK-IN leaves 110 today
    [view] = list_periods(hotel_slug=HOTEL, room_number=110, limit=10, offset=0, now=NOW).items
    assert view.period.status == "SCHEDULED"
    assert view.waiting_reason is not None and "110 is OCCUPIED" in view.waiting_reason
    assert ticks(at(3, 11)) == 0  # still occupied
    checkout_booking(booking=BookingRef(HOTEL, "BK-IN"), performed_by=DESK)
    assert ticks(at(3, 12)) == 1
    [view] = list_periods(hotel_slug=HOTEL, room_number=110, limit=10, offset=0, now=NOW).items
    assert (view.period.id, view.period.status, view.waiting_reason) == (period.id, "ACTIVE", None)

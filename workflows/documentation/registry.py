"""Every machine of the project, under the name the docs pages and the API use.

Adding a machine here gives it a docs page (`turnover diagrams`) and `/api/workflows/{name}/`
without touching the generator. Each entry also says who may fire each event and through
which service, which the machine class alone cannot know.
"""

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from workflows.machines.base import TurnoverMachine
from workflows.machines.booking_lifecycle import BookingLifecycle
from workflows.machines.housekeeping_task import HousekeepingTaskLifecycle
from workflows.machines.out_of_order_period import OutOfOrderPeriodMachine
from workflows.machines.room_turnover import RoomTurnover
from workflows.services.booking_changes import cancel_booking, mark_no_show
from workflows.services.bulk_check_in import bulk_check_in
from workflows.services.bulk_checkout import bulk_checkout
from workflows.services.check_in import check_in_booking
from workflows.services.checkout import checkout_booking
from workflows.services.front_desk import move_booking, reinstate_booking, revert_check_in
from workflows.services.housekeeping import transition_room
from workflows.services.housekeeping_tasks import transition_task
from workflows.services.out_of_order import (
    apply_due_periods,
    cancel_period,
    schedule_period,
    shorten_period,
)


class Firer(StrEnum):
    STAFF = "staff"  # any staff member of the room's or booking's hotel
    SUPERUSER = "superuser"  # superusers only (a guard checks it)
    BOOKING_SERVICES = "booking services"  # fired by a booking's check-in or checkout
    SCHEDULER = "scheduler and supervisors"  # the scheduler on the day; staff early or late
    ROOM_MACHINE = "the room machine"  # follows its room (a checkout, a room event)


@dataclass(frozen=True)
class FiredBy:
    who: Firer
    services: tuple[Callable[..., Any], ...] = ()

    @property
    def service_names(self) -> list[str]:
        return [f"{service.__module__}.{service.__name__}" for service in self.services]


@dataclass(frozen=True)
class RegisteredMachine:
    name: str  # kebab-case: the docs page and the API path segment
    machine: type[TurnoverMachine]
    fired_by: Mapping[str, FiredBy]

    @property
    def title(self) -> str:
        return self.name.replace("-", " ").capitalize()


def _booking_fired_by() -> dict[str, FiredBy]:
    return {
        "check_in": FiredBy(Firer.STAFF, (check_in_booking, bulk_check_in)),
        "check_out": FiredBy(Firer.STAFF, (checkout_booking, bulk_checkout)),
        "cancel": FiredBy(Firer.STAFF, (cancel_booking,)),
        "mark_no_show": FiredBy(Firer.STAFF, (mark_no_show,)),
        "move": FiredBy(Firer.STAFF, (move_booking,)),
        "revert_check_in": FiredBy(Firer.STAFF, (revert_check_in,)),
        "reinstate": FiredBy(Firer.STAFF, (reinstate_booking,)),
    }


def _room_fired_by() -> dict[str, FiredBy]:
    fired_by = {
        "check_in": FiredBy(
            Firer.BOOKING_SERVICES, (check_in_booking, bulk_check_in, move_booking)
        ),
        "check_out": FiredBy(
            Firer.BOOKING_SERVICES, (checkout_booking, bulk_checkout, move_booking)
        ),
        "revert_check_in": FiredBy(Firer.BOOKING_SERVICES, (revert_check_in,)),
        "reinstate": FiredBy(Firer.BOOKING_SERVICES, (reinstate_booking,)),
    }
    for event in RoomTurnover.directly:
        fired_by[event] = FiredBy(Firer.STAFF, (transition_room,))
    fired_by["force_checkout"] = FiredBy(Firer.SUPERUSER, (bulk_checkout,))
    return fired_by


def _period_fired_by() -> dict[str, FiredBy]:
    return {
        "start": FiredBy(Firer.SCHEDULER, (apply_due_periods, schedule_period)),
        "end": FiredBy(Firer.SCHEDULER, (apply_due_periods, shorten_period)),
        "end_now": FiredBy(Firer.STAFF, (cancel_period,)),
        "cancel": FiredBy(Firer.STAFF, (cancel_period,)),
    }


def _task_fired_by() -> dict[str, FiredBy]:
    fired_by = {
        event: FiredBy(Firer.STAFF, (transition_task,))
        for event in HousekeepingTaskLifecycle.directly
    }
    fired_by["convert_to_departure"] = FiredBy(Firer.ROOM_MACHINE, (checkout_booking,))
    return fired_by


MACHINES: tuple[RegisteredMachine, ...] = (
    RegisteredMachine("booking-lifecycle", BookingLifecycle, _booking_fired_by()),
    RegisteredMachine("room-turnover", RoomTurnover, _room_fired_by()),
    RegisteredMachine("out-of-order-period", OutOfOrderPeriodMachine, _period_fired_by()),
    RegisteredMachine("housekeeping-task", HousekeepingTaskLifecycle, _task_fired_by()),
)


def machine_names() -> list[str]:
    return [entry.name for entry in MACHINES]


def find_machine(name: str) -> RegisteredMachine | None:
    return next((entry for entry in MACHINES if entry.name == name), None)


def registered(machine: type[TurnoverMachine]) -> RegisteredMachine:
    return next(entry for entry in MACHINES if entry.machine is machine)

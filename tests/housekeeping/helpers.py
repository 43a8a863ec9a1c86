"""Shared helpers of the housekeeping tests: the tasks and rooms as the database has them."""

from sqlmodel import select

from storage.models import HousekeepingTask, Room
from storage.unit_of_work import UnitOfWork
from tests.conftest import ANNA, HOTEL
from workflows.machines.actors import Actor
from workflows.services.checkout import BookingRef, checkout_booking
from workflows.services.housekeeping import RoomRef, transition_room
from workflows.services.housekeeping_tasks import TaskView, transition_task


def tasks_of(room_number: int, hotel: str = HOTEL) -> list[tuple[str, str]]:
    """(kind, status) of the room's tasks, oldest first."""
    with UnitOfWork(write=False) as uow:
        query = (
            select(HousekeepingTask)
            .join(Room, HousekeepingTask.room_id == Room.id)  # type: ignore[arg-type]
            .where(Room.room_number == room_number)
            .order_by(HousekeepingTask.id)  # type: ignore[arg-type]
        )
        return [(t.kind, t.status) for t in uow.session.exec(query) if _in_hotel(uow, t, hotel)]


def _in_hotel(uow: UnitOfWork, task: HousekeepingTask, hotel: str) -> bool:
    from storage.models import Hotel

    return uow.session.get(Hotel, task.hotel_id).slug == hotel  # type: ignore[union-attr]


def task_id(room_number: int, kind: str) -> int:
    """The id of the room's newest task of `kind`."""
    with UnitOfWork(write=False) as uow:
        query = (
            select(HousekeepingTask.id)
            .join(Room, HousekeepingTask.room_id == Room.id)  # type: ignore[arg-type]
            .where(Room.room_number == room_number, HousekeepingTask.kind == kind)
            .order_by(HousekeepingTask.id.desc())  # type: ignore[union-attr]
        )
        found = uow.session.exec(query).first()
        assert found is not None, f"room {room_number} has no {kind} task"
        return found


def room_status(room_number: int, hotel: str = HOTEL) -> str:
    with UnitOfWork(write=False) as uow:
        from workflows.services.lookups import load_hotel, load_room

        return load_room(uow.session, load_hotel(uow.session, hotel), room_number).room_status


def task_event(
    room_number: int, kind: str, event: str, actor: Actor = ANNA, note: str | None = None
) -> TaskView:
    return transition_task(
        hotel_slug=HOTEL,
        task_id=task_id(room_number, kind),
        event=event,
        performed_by=actor,
        note=note,
    )


def room_event(room_number: int, event: str, actor: Actor = ANNA) -> None:
    transition_room(room=RoomRef(HOTEL, room_number), event=event, performed_by=actor)


def check_out(booking_id: str) -> None:
    checkout_booking(booking=BookingRef(HOTEL, booking_id), performed_by=ANNA)

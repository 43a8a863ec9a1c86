"""Rooms: list, detail with the events the caller may fire, history, housekeeping."""

from typing import Annotated

from fastapi import Query

from api.auth import HotelStaff
from api.pagination import Paging
from api.path_params import RoomNumber
from api.responses import BODY_ERRORS, error_responses
from api.routing import SlashOptionalRouter
from api.schemas import (
    HistoryEntry,
    HistoryPage,
    RoomDetail,
    RoomPage,
    RoomStatus,
    RoomSummary,
    RoomTransitionRequest,
)
from api.unit_of_work import RequestUnitOfWork
from workflows.services.housekeeping import RoomRef, transition_room
from workflows.services.queries import list_rooms, room_history, room_view

router = SlashOptionalRouter(tags=["rooms"])

ROOMS = "/api/staff/hotels/{hotel_slug}/rooms/"
ROOM = ROOMS + "{room_number}/"


@router.get(ROOMS, responses=error_responses(), summary="List the hotel's rooms")
def get_rooms(
    hotel_slug: str,
    member: HotelStaff,
    uow: RequestUnitOfWork,
    paging: Paging,
    status: Annotated[RoomStatus | None, Query(description="Only rooms in this state")] = None,
) -> RoomPage:
    page = list_rooms(
        hotel_slug=hotel_slug,
        status=status.value if status else None,
        limit=paging.limit,
        offset=paging.offset,
        uow=uow,
    )
    return RoomPage.of(page, RoomSummary.of)


@router.get(ROOM, responses=error_responses(404), summary="One room and its allowed events")
def get_room(
    hotel_slug: str, room_number: RoomNumber, member: HotelStaff, uow: RequestUnitOfWork
) -> RoomDetail:
    view = room_view(hotel_slug=hotel_slug, room_number=room_number, actor=member.actor, uow=uow)
    return RoomDetail.of_view(view)


@router.get(ROOM + "history/", responses=error_responses(404), summary="The room's transitions")
def get_room_history(
    hotel_slug: str,
    room_number: RoomNumber,
    member: HotelStaff,
    uow: RequestUnitOfWork,
    paging: Paging,
) -> HistoryPage:
    page = room_history(
        hotel_slug=hotel_slug,
        room_number=room_number,
        limit=paging.limit,
        offset=paging.offset,
        uow=uow,
    )
    return HistoryPage.of(page, HistoryEntry.of)


@router.post(
    ROOM + "transitions/",
    responses=error_responses(*BODY_ERRORS, 404, 409),
    summary="Fire a housekeeping event on a room",
)
def post_room_transition(
    hotel_slug: str,
    room_number: RoomNumber,
    member: HotelStaff,
    uow: RequestUnitOfWork,
    body: RoomTransitionRequest,
) -> RoomDetail:
    view = transition_room(
        room=RoomRef(hotel_slug, room_number),
        event=body.event,
        performed_by=member.actor,
        note=body.note,
        source="staff_housekeeping_endpoint",
        uow=uow,
    )
    return RoomDetail.of_view(view)

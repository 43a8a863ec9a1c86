"""Bookings: list, detail, check-in, cancel, no-show. Checkout lives in `checkout.py`."""

from collections.abc import Callable
from typing import Annotated

from fastapi import Body, Query

from api.auth import HotelStaff, StaffMember
from api.clock import Now
from api.pagination import Paging
from api.path_params import BookingId
from api.responses import BODY_ERRORS, error_responses
from api.routing import SlashOptionalRouter
from api.schemas import (
    MAX_DB_INT,
    BookingNoteRequest,
    BookingPage,
    BookingStatus,
    BookingSummary,
    CheckInRequest,
)
from api.unit_of_work import RequestUnitOfWork
from storage.unit_of_work import UnitOfWork
from workflows.services.booking_changes import cancel_booking, mark_no_show
from workflows.services.check_in import check_in_booking
from workflows.services.checkout import BookingOutcome, BookingRef
from workflows.services.queries import booking_view, list_bookings

router = SlashOptionalRouter(tags=["bookings"])

BOOKINGS = "/api/staff/hotels/{hotel_slug}/bookings/"


@router.get(BOOKINGS, responses=error_responses(), summary="List the hotel's bookings")
def get_bookings(
    hotel_slug: str,
    member: HotelStaff,
    uow: RequestUnitOfWork,
    paging: Paging,
    status: Annotated[BookingStatus | None, Query(description="Only this status")] = None,
    room_number: Annotated[
        int | None, Query(ge=1, le=MAX_DB_INT, description="Only bookings assigned this room")
    ] = None,
) -> BookingPage:
    page = list_bookings(
        hotel_slug=hotel_slug,
        status=status.value if status else None,
        room_number=room_number,
        limit=paging.limit,
        offset=paging.offset,
        uow=uow,
    )
    return BookingPage.of(page, BookingSummary.of_view)


@router.get(BOOKINGS + "{booking_id}/", responses=error_responses(404), summary="One booking")
def get_booking(
    hotel_slug: str, booking_id: BookingId, member: HotelStaff, uow: RequestUnitOfWork
) -> BookingSummary:
    view = booking_view(hotel_slug=hotel_slug, booking_id=booking_id, uow=uow)
    return BookingSummary.of_view(view)


@router.post(
    "/api/staff/hotels/{hotel_slug}/room-bookings/{booking_id}/check-in/",
    responses=error_responses(*BODY_ERRORS, 404, 409),
    summary="Check a booking in, optionally assigning a room first",
)
def check_in(
    hotel_slug: str,
    booking_id: BookingId,
    member: HotelStaff,
    uow: RequestUnitOfWork,
    now: Now,
    body: Annotated[CheckInRequest | None, Body()] = None,
) -> BookingSummary:
    outcome = check_in_booking(
        booking=BookingRef(hotel_slug, booking_id),
        performed_by=member.actor,
        room_number=body.room_number if body else None,
        source="staff_checkin_endpoint",
        now=now,
        uow=uow,
    )
    return BookingSummary.of_view(outcome)


EndBooking = Callable[..., BookingOutcome]


def _end_before_arrival(
    service: EndBooking,
    hotel_slug: str,
    booking_id: str,
    member: StaffMember,
    uow: UnitOfWork,
    body: BookingNoteRequest | None,
    source: str,
) -> BookingSummary:
    outcome = service(
        booking=BookingRef(hotel_slug, booking_id),
        performed_by=member.actor,
        note=body.note if body else None,
        source=source,
        uow=uow,
    )
    return BookingSummary.of_view(outcome)


NoteBody = Annotated[BookingNoteRequest | None, Body()]


@router.post(
    "/api/staff/hotels/{hotel_slug}/room-bookings/{booking_id}/cancel/",
    responses=error_responses(*BODY_ERRORS, 404, 409),
    summary="Cancel a confirmed booking (repeating it changes nothing)",
)
def cancel(
    hotel_slug: str,
    booking_id: BookingId,
    member: HotelStaff,
    uow: RequestUnitOfWork,
    body: NoteBody = None,
) -> BookingSummary:
    return _end_before_arrival(
        cancel_booking, hotel_slug, booking_id, member, uow, body, "staff_cancel_endpoint"
    )


@router.post(
    "/api/staff/hotels/{hotel_slug}/room-bookings/{booking_id}/no-show/",
    responses=error_responses(*BODY_ERRORS, 404, 409),
    summary="Mark a confirmed booking's guest as a no-show (repeating it changes nothing)",
)
def no_show(
    hotel_slug: str,
    booking_id: BookingId,
    member: HotelStaff,
    uow: RequestUnitOfWork,
    body: NoteBody = None,
) -> BookingSummary:
    return _end_before_arrival(
        mark_no_show, hotel_slug, booking_id, member, uow, body, "staff_no_show_endpoint"
    )

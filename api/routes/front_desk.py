"""The front desk: the day's lists, a booking's history, bulk check-in, room moves, undo."""

from typing import Annotated

from fastapi import Body, Path, Query

from api.auth import HotelStaff
from api.clock import Now
from api.front_desk_schemas import (
    BulkCheckInRequest,
    BulkCheckInResponse,
    DeskPage,
    FrontDeskResponse,
    MoveRequest,
    PeriodPage,
    PeriodRequest,
    PeriodShortenRequest,
    PeriodSummary,
)
from api.pagination import Paging
from api.path_params import BookingId, RoomNumber
from api.responses import BODY_ERRORS, error_responses
from api.routing import SlashOptionalRouter
from api.schemas import MAX_DB_INT, BookingNoteRequest, HistoryEntry, HistoryPage, LocalDate
from api.unit_of_work import RequestUnitOfWork
from workflows.services.bulk_check_in import CheckInRequestItem, bulk_check_in
from workflows.services.checkout import BookingRef
from workflows.services.day_lists import arrivals, booking_history, departures, in_house
from workflows.services.front_desk import (
    NOT_RESTORED,
    move_booking,
    reinstate_booking,
    revert_check_in,
)
from workflows.services.out_of_order import (
    cancel_period,
    list_periods,
    schedule_period,
    shorten_period,
)

router = SlashOptionalRouter(tags=["front desk"])

HOTEL = "/api/staff/hotels/{hotel_slug}/"
ROOM_BOOKING = HOTEL + "room-bookings/{booking_id}/"
Day = Annotated[
    LocalDate | None,
    Query(alias="date", description="The hotel's local date `YYYY-MM-DD`; default: its today"),
]


@router.get(HOTEL + "arrivals/", responses=error_responses(), summary="Bookings arriving on a day")
def get_arrivals(
    hotel_slug: str,
    member: HotelStaff,
    uow: RequestUnitOfWork,
    paging: Paging,
    now: Now,
    day: Day = None,
) -> DeskPage:
    """CONFIRMED bookings whose arrival date is `date`, by expected arrival time."""
    page = arrivals(
        hotel_slug=hotel_slug,
        actor=member.actor,
        day=day,
        limit=paging.limit,
        offset=paging.offset,
        now=now,
        uow=uow,
    )
    return DeskPage.of_day(page)


@router.get(HOTEL + "departures/", responses=error_responses(), summary="Bookings due out")
def get_departures(
    hotel_slug: str,
    member: HotelStaff,
    uow: RequestUnitOfWork,
    paging: Paging,
    now: Now,
    day: Day = None,
) -> DeskPage:
    """CHECKED_IN bookings whose departure date is `date` or earlier (those are flagged
    `late_departure` when earlier than the hotel's today)."""
    page = departures(
        hotel_slug=hotel_slug,
        actor=member.actor,
        day=day,
        limit=paging.limit,
        offset=paging.offset,
        now=now,
        uow=uow,
    )
    return DeskPage.of_day(page)


@router.get(HOTEL + "in-house/", responses=error_responses(), summary="Bookings in house")
def get_in_house(
    hotel_slug: str, member: HotelStaff, uow: RequestUnitOfWork, paging: Paging, now: Now
) -> DeskPage:
    page = in_house(
        hotel_slug=hotel_slug,
        actor=member.actor,
        limit=paging.limit,
        offset=paging.offset,
        now=now,
        uow=uow,
    )
    return DeskPage.of_day(page, dated=False)


@router.get(
    HOTEL + "bookings/{booking_id}/history/",
    responses=error_responses(404),
    summary="The booking's transitions, newest first",
)
def get_booking_history(
    hotel_slug: str,
    booking_id: BookingId,
    member: HotelStaff,
    uow: RequestUnitOfWork,
    paging: Paging,
) -> HistoryPage:
    page = booking_history(
        hotel_slug=hotel_slug,
        booking_id=booking_id,
        limit=paging.limit,
        offset=paging.offset,
        uow=uow,
    )
    return HistoryPage.of(page, HistoryEntry.of)


@router.post(
    "/api/staff/hotel/{hotel_slug}/bookings/check-in/",
    responses=error_responses(*BODY_ERRORS),
    summary="Check in a list of bookings (a group), optionally assigning rooms",
    description="Each booking is checked in as the single check-in endpoint does it; a "
    "booking that is refused (unknown, another hotel's, too early, room not ready, a room "
    "named twice) is reported in `results.errors` and the others go ahead. At most 500.",
)
def post_bulk_check_in(
    hotel_slug: str, member: HotelStaff, uow: RequestUnitOfWork, now: Now, body: BulkCheckInRequest
) -> BulkCheckInResponse:
    result = bulk_check_in(
        hotel_slug=hotel_slug,
        bookings=[CheckInRequestItem(b.booking_id, b.room_number) for b in body.bookings],
        performed_by=member.actor,
        auto_assign=body.auto_assign,
        source="bulk_check_in_endpoint",
        now=now,
        uow=uow,
    )
    return BulkCheckInResponse.of(result)


@router.post(
    ROOM_BOOKING + "move/",
    responses=error_responses(*BODY_ERRORS, 404, 409),
    summary="Move an in-house booking to another room",
    description="The guests, the guest's phone (FCM token), open room-service orders, chat "
    "sessions and conversations follow the booking; the old room goes to CHECKOUT_DIRTY "
    "and the new one (READY_FOR_GUEST) to OCCUPIED, in one transaction.",
)
def post_move(
    hotel_slug: str,
    booking_id: BookingId,
    member: HotelStaff,
    uow: RequestUnitOfWork,
    now: Now,
    body: MoveRequest,
) -> FrontDeskResponse:
    outcome = move_booking(
        booking=BookingRef(hotel_slug, booking_id),
        to_room_number=body.to_room_number,
        performed_by=member.actor,
        reason=body.reason,
        source="staff_move_endpoint",
        now=now,
        uow=uow,
    )
    return FrontDeskResponse.of(f"Booking moved to room {body.to_room_number}", outcome)


NoteBody = Annotated[BookingNoteRequest | None, Body()]


@router.post(
    ROOM_BOOKING + "revert-check-in/",
    responses=error_responses(*BODY_ERRORS, 404, 409),
    summary="Undo a check-in (on the arrival day): the booking is CONFIRMED again",
)
def post_revert_check_in(
    hotel_slug: str,
    booking_id: BookingId,
    member: HotelStaff,
    uow: RequestUnitOfWork,
    now: Now,
    body: NoteBody = None,
) -> FrontDeskResponse:
    outcome = revert_check_in(
        booking=BookingRef(hotel_slug, booking_id),
        performed_by=member.actor,
        note=body.note if body else None,
        source="staff_revert_check_in_endpoint",
        now=now,
        uow=uow,
    )
    return FrontDeskResponse.of("Check-in reverted: the booking is CONFIRMED again", outcome)


@router.post(
    ROOM_BOOKING + "reinstate/",
    responses=error_responses(*BODY_ERRORS, 404, 409),
    summary="Undo a checkout: the booking is CHECKED_IN again in its room",
    description="Only while the room is still CHECKOUT_DIRTY and nobody else's, and until a "
    "day after the departure date. " + NOT_RESTORED,
)
def post_reinstate(
    hotel_slug: str,
    booking_id: BookingId,
    member: HotelStaff,
    uow: RequestUnitOfWork,
    now: Now,
    body: NoteBody = None,
) -> FrontDeskResponse:
    outcome = reinstate_booking(
        booking=BookingRef(hotel_slug, booking_id),
        performed_by=member.actor,
        note=body.note if body else None,
        source="staff_reinstate_endpoint",
        now=now,
        uow=uow,
    )
    return FrontDeskResponse.of(f"Booking reinstated. {NOT_RESTORED}", outcome)


# --- out-of-order periods ------------------------------------------------------------------

PERIODS = HOTEL + "rooms/{room_number}/out-of-order/"
PERIOD = PERIODS + "{period_id}/"
PeriodId = Annotated[int, Path(ge=1, le=MAX_DB_INT)]


@router.post(
    PERIODS,
    status_code=201,
    responses=error_responses(*BODY_ERRORS, 404, 409),
    summary="Schedule an out-of-order period for a room",
    description="The room goes OUT_OF_ORDER (take_out_of_order) when the first day begins "
    "in the hotel's time zone, at once if that is today, and returns (return_to_service) "
    "when the day after the last begins. Refused with PERIOD_CLASH over a booking assigned "
    "to the room or another period. Supervisors, managers and superusers.",
)
def post_period(
    hotel_slug: str,
    room_number: RoomNumber,
    member: HotelStaff,
    uow: RequestUnitOfWork,
    now: Now,
    body: PeriodRequest,
) -> PeriodSummary:
    view = schedule_period(
        hotel_slug=hotel_slug,
        room_number=room_number,
        starts_on=body.starts_on,
        ends_on=body.ends_on,
        reason=body.reason,
        performed_by=member.actor,
        now=now,
        uow=uow,
    )
    return PeriodSummary.of(view)


@router.get(PERIODS, responses=error_responses(404), summary="The room's out-of-order periods")
def get_periods(
    hotel_slug: str,
    room_number: RoomNumber,
    member: HotelStaff,
    uow: RequestUnitOfWork,
    paging: Paging,
) -> PeriodPage:
    page = list_periods(
        hotel_slug=hotel_slug,
        room_number=room_number,
        limit=paging.limit,
        offset=paging.offset,
        uow=uow,
    )
    return PeriodPage.of(page, PeriodSummary.of)


@router.patch(
    PERIOD,
    responses=error_responses(*BODY_ERRORS, 404, 409),
    summary="Shorten an out-of-order period (an earlier last day)",
)
def patch_period(
    hotel_slug: str,
    room_number: RoomNumber,
    period_id: PeriodId,
    member: HotelStaff,
    uow: RequestUnitOfWork,
    now: Now,
    body: PeriodShortenRequest,
) -> PeriodSummary:
    view = shorten_period(
        hotel_slug=hotel_slug,
        room_number=room_number,
        period_id=period_id,
        ends_on=body.ends_on,
        performed_by=member.actor,
        now=now,
        uow=uow,
    )
    return PeriodSummary.of(view)


@router.post(
    PERIOD + "cancel/",
    responses=error_responses(404, 409),
    summary="Cancel an out-of-order period (an active one ends now: the room returns)",
)
def post_cancel_period(
    hotel_slug: str,
    room_number: RoomNumber,
    period_id: PeriodId,
    member: HotelStaff,
    uow: RequestUnitOfWork,
    now: Now,
) -> PeriodSummary:
    view = cancel_period(
        hotel_slug=hotel_slug,
        room_number=room_number,
        period_id=period_id,
        performed_by=member.actor,
        now=now,
        uow=uow,
    )
    return PeriodSummary.of(view)

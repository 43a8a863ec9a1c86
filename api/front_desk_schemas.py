"""Request and response bodies of the front desk's endpoints (api/routes/front_desk.py)."""

from pydantic import BaseModel, Field, model_validator

from api.schemas import (
    MAX_BULK_ROOMS,
    MAX_NOTE_LENGTH,
    NO_NUL,
    BookingSummary,
    DbId,
    LocalDate,
    RequestBody,
    ResultPage,
)
from storage.timestamps import iso_z
from workflows.services.bulk_check_in import BulkCheckInResult
from workflows.services.checkout import BookingOutcome
from workflows.services.day_lists import DayPage, DeskItem
from workflows.services.out_of_order import PeriodView

MAX_BULK_BOOKINGS = MAX_BULK_ROOMS  # 500, as bulk checkout
BookingIdField = Field(min_length=1, max_length=64, pattern=NO_NUL, examples=["BK-2025-2001"])


# --- lists ---------------------------------------------------------------------------------


class DeskRoom(BaseModel):
    room_number: int
    room_status: str
    floor: int | None


class DeskBooking(BaseModel):
    booking: BookingSummary
    room: DeskRoom | None
    allowed_events: list[str] = Field(
        description="Booking events the machine accepts now from the caller (guards "
        "evaluated): check_in, check_out, move, revert_check_in, reinstate, cancel, ..."
    )
    late_departure: bool = Field(description="In house past its departure date.")

    @classmethod
    def of(cls, item: DeskItem) -> "DeskBooking":
        room = None
        if item.room is not None:
            room = DeskRoom(
                room_number=item.room.room_number,
                room_status=item.room.room_status,
                floor=item.room.floor,
            )
        return cls(
            booking=BookingSummary.of(item.booking, item.room),
            room=room,
            allowed_events=item.allowed_events,
            late_departure=item.late_departure,
        )


class DeskPage(ResultPage[DeskBooking]):
    date: str | None = Field(description="The day listed (the hotel's local date); None: all.")

    @classmethod
    def of_day(cls, page: DayPage, *, dated: bool = True) -> "DeskPage":
        return cls(
            items=[DeskBooking.of(item) for item in page.items],
            total=page.total,
            limit=page.limit,
            offset=page.offset,
            date=page.day.isoformat() if dated else None,
        )


# --- bulk check-in -------------------------------------------------------------------------


class BulkCheckInItem(RequestBody):
    booking_id: str = BookingIdField
    room_number: DbId | None = Field(
        default=None, description="Check in to this room (it must be READY_FOR_GUEST)."
    )


class BulkCheckInRequest(RequestBody):
    bookings: list[BulkCheckInItem] = Field(min_length=1, max_length=MAX_BULK_BOOKINGS)
    auto_assign: bool = Field(
        default=False,
        description="Give a booking with no room a READY_FOR_GUEST room: lowest floor, then "
        "lowest number; never one another booking of the request or another arrival today "
        "holds, nor one scheduled out of order during the stay.",
    )


class BulkBookingError(BaseModel):
    booking_id: str
    code: str
    message: str


class BulkBookingSkipped(BaseModel):
    booking_id: str
    reason: str


class BulkAssignedRoom(BaseModel):
    booking_id: str
    room_number: int
    auto_assigned: bool


class BulkCheckInResults(BaseModel):
    """Every booking of the request is in `checked_in_bookings` (its room in
    `assigned_rooms`), `skipped` (already in house) or `errors`."""

    checked_in_bookings: list[str]
    assigned_rooms: list[BulkAssignedRoom]
    skipped: list[BulkBookingSkipped]
    errors: list[BulkBookingError]


class BulkCheckInResponse(BaseModel):
    detail: str
    results: BulkCheckInResults

    @classmethod
    def of(cls, result: BulkCheckInResult) -> "BulkCheckInResponse":
        detail = f"Processed {result.bookings_processed} booking(s) in hotel '{result.hotel_slug}'"
        return cls(
            detail=detail,
            results=BulkCheckInResults(
                checked_in_bookings=result.checked_in_bookings,
                assigned_rooms=[BulkAssignedRoom(**vars(a)) for a in result.assigned_rooms],
                skipped=[BulkBookingSkipped(**vars(s)) for s in result.skipped],
                errors=[BulkBookingError(**vars(e)) for e in result.errors],
            ),
        )


# --- moves and undo ------------------------------------------------------------------------


class MoveRequest(RequestBody):
    to_room_number: DbId = Field(description="A READY_FOR_GUEST room of the hotel.")
    reason: str | None = Field(
        default=None, max_length=MAX_NOTE_LENGTH, pattern=NO_NUL, examples=["shower broken"]
    )


class FrontDeskResponse(BaseModel):
    message: str
    booking: BookingSummary

    @classmethod
    def of(cls, message: str, outcome: BookingOutcome) -> "FrontDeskResponse":
        return cls(message=message, booking=BookingSummary.of_view(outcome))


# --- out-of-order periods ------------------------------------------------------------------


class PeriodRequest(RequestBody):
    starts_on: LocalDate = Field(alias="from", description="First day out of order (local).")
    ends_on: LocalDate = Field(alias="to", description="Last day out of order (local).")
    reason: str = Field(default="", max_length=500, pattern=NO_NUL, examples=["repainting"])

    @model_validator(mode="after")
    def _in_order(self) -> "PeriodRequest":
        if self.ends_on < self.starts_on:
            raise ValueError("'to' is before 'from'")
        return self


class PeriodShortenRequest(RequestBody):
    ends_on: LocalDate = Field(alias="to", description="The new last day (earlier).")


class PeriodSummary(BaseModel):
    period_id: int
    room_number: int
    from_: str = Field(alias="from", serialization_alias="from")
    to: str
    reason: str
    status: str = Field(description="SCHEDULED, ACTIVE, ENDED or CANCELLED")
    room_status: str
    waiting_reason: str | None = Field(
        default=None,
        description="Set while a period whose first day has come waits for its room "
        "(still occupied): why it has not started",
    )
    created_by: str
    created_at: str

    model_config = {"populate_by_name": True}

    @classmethod
    def of(cls, view: PeriodView) -> "PeriodSummary":
        period = view.period
        return cls(
            period_id=period.id,  # type: ignore[arg-type]
            room_number=view.room.room_number,
            from_=period.starts_on.isoformat(),
            to=period.ends_on.isoformat(),
            reason=period.reason,
            status=period.status,
            room_status=view.room.room_status,
            waiting_reason=view.waiting_reason,
            created_by=period.created_by,
            created_at=iso_z(period.created_at),  # type: ignore[arg-type]
        )


class PeriodPage(ResultPage[PeriodSummary]):
    pass

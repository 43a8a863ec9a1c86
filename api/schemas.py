"""Request and response bodies. Response shapes follow the seed document's contract.

Request bodies are strict (no "1" for 1, no true for 1) and forbid unknown fields: a typo
such as `"destructve": true` is refused with 422 instead of silently running the default.
"""

import re
from collections.abc import Callable
from datetime import date
from enum import Enum
from typing import Annotated, Any, Generic, Self, TypeVar

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field

from storage.models import Booking, Room, TransitionLog
from storage.timestamps import iso_z
from workflows.machines.base import state_values
from workflows.machines.booking_lifecycle import BookingLifecycle
from workflows.machines.realtime_events import room_flags
from workflows.machines.room_turnover import RoomTurnover
from workflows.services.bulk_checkout import BulkCheckoutResult
from workflows.services.checkout import BookingOutcome
from workflows.services.queries import BookingView, Page, RoomView

# PostgreSQL `integer`: anything larger could never match a row and would overflow a query.
MAX_DB_INT = 2**31 - 1
MAX_BULK_ROOMS = 500
MAX_NOTE_LENGTH = 1000
MAX_PAGE_SIZE = 200
# PostgreSQL text cannot hold NUL characters; refusing them keeps both backends alike.
NO_NUL = r"^[^\x00]*$"

RoomStatus = Enum("RoomStatus", {value: value for value in state_values(RoomTurnover)}, type=str)  # type: ignore[misc]
BookingStatus = Enum(  # type: ignore[misc]
    "BookingStatus", {value: value for value in state_values(BookingLifecycle)}, type=str
)


def _integral_float_as_int(value: Any) -> Any:
    """JSON Schema (and so the OpenAPI document) counts 7.0 as an integer: take it as 7.
    Strings, booleans and 7.5 are still refused by the strict int that follows."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


DbId = Annotated[int, Field(ge=1, le=MAX_DB_INT), BeforeValidator(_integral_float_as_int)]


def iso_date_only(value: Any) -> Any:
    """Only `YYYY-MM-DD` strings are dates here (pydantic would also take 0 or "0" as
    1970-01-01, a timestamp)."""
    if not isinstance(value, str) or not ISO_DATE.fullmatch(value):
        raise ValueError("a date is written YYYY-MM-DD")
    return value


ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
# A hotel's local day, in a body or a query: a `YYYY-MM-DD` string (a strict body would
# refuse any string).
LocalDate = Annotated[date, BeforeValidator(iso_date_only), Field(strict=False)]
Item = TypeVar("Item")


class RequestBody(BaseModel):
    model_config = ConfigDict(strict=True, extra="forbid")


# --- requests ------------------------------------------------------------------------------


class CheckInRequest(RequestBody):
    room_number: DbId | None = Field(
        default=None, description="Assign this room first (it must be READY_FOR_GUEST)."
    )


class BookingNoteRequest(RequestBody):
    note: str | None = Field(
        default=None,
        max_length=MAX_NOTE_LENGTH,
        pattern=NO_NUL,
        description="Why, for the audit log (e.g. the guest phoned to cancel).",
    )


class RoomTransitionRequest(RequestBody):
    event: str = Field(
        min_length=1,
        max_length=64,
        description="A housekeeping event: " + ", ".join(RoomTurnover.directly),
        examples=["start_cleaning"],
    )
    note: str | None = Field(default=None, max_length=MAX_NOTE_LENGTH, pattern=NO_NUL)


class BulkCheckoutRequest(RequestBody):
    room_ids: list[DbId] = Field(
        min_length=1,
        max_length=MAX_BULK_ROOMS,
        description="Room ids (the `room_id` of the room list), not room numbers.",
        examples=[[1, 2, 3]],
    )
    destructive: bool = Field(
        default=False,
        description="Force every room to CHECKOUT_DIRTY and delete its guest records "
        "(superusers only; a snapshot of the deleted rows is kept in the audit log).",
    )


# --- bookings ------------------------------------------------------------------------------


class AssignedRoom(BaseModel):
    room_number: int
    room_status: str


class BookingSummary(BaseModel):
    booking_id: str
    status: str
    checked_in_at: str | None
    checked_out_at: str | None
    assigned_room: AssignedRoom | None
    arrival_date: str = Field(description="The hotel's local date, `YYYY-MM-DD`.")
    departure_date: str = Field(description="The hotel's local date, after the arrival date.")
    expected_arrival_time: str | None = Field(description="Local time, `HH:MM`, when known.")
    adults: int
    notes: str

    @classmethod
    def of(cls, booking: Booking, room: Room | None) -> "BookingSummary":
        assigned = None
        if room is not None:
            assigned = AssignedRoom(room_number=room.room_number, room_status=room.room_status)
        return cls(
            booking_id=booking.booking_id,
            status=booking.status,
            checked_in_at=iso_z(booking.checked_in_at),
            checked_out_at=iso_z(booking.checked_out_at),
            assigned_room=assigned,
            arrival_date=booking.arrival_date.isoformat(),
            departure_date=booking.departure_date.isoformat(),
            expected_arrival_time=(
                booking.expected_arrival_time.strftime("%H:%M")
                if booking.expected_arrival_time
                else None
            ),
            adults=booking.adults,
            notes=booking.notes,
        )

    @classmethod
    def of_view(cls, view: BookingView | BookingOutcome) -> "BookingSummary":
        return cls.of(view.booking, view.room)


class CheckoutResponse(BaseModel):
    message: str
    booking: BookingSummary


class ResultPage(BaseModel, Generic[Item]):
    """One page of a list: `items`, and `total` matching items for paging on."""

    items: list[Item]
    total: int
    limit: int
    offset: int

    @classmethod
    def of(cls, page: Page[Any], convert: Callable[[Any], Item]) -> Self:
        items = [convert(item) for item in page.items]
        return cls(items=items, total=page.total, limit=page.limit, offset=page.offset)


class BookingPage(ResultPage[BookingSummary]):
    pass


# --- rooms ---------------------------------------------------------------------------------


class RoomSummary(BaseModel):
    room_id: int = Field(description="What bulk checkout's `room_ids` refer to.")
    room_number: int
    room_status: str
    is_occupied: bool
    room_flags: dict[str, bool] = Field(
        description="The housekeeping flags of the day: do_not_disturb, make_up_room, "
        "service_declined (docs/housekeeping.md)."
    )

    @classmethod
    def of(cls, room: Room) -> "RoomSummary":
        return cls(
            room_id=room.id,  # type: ignore[arg-type]
            room_number=room.room_number,
            room_status=room.room_status,
            is_occupied=room.is_occupied,
            room_flags=room_flags(room),
        )


class RoomDetail(RoomSummary):
    turnover_notes: str
    allowed_events: list[str] = Field(
        description="Events the room machine accepts now from the caller (guards evaluated). "
        "Housekeeping events are sent to POST .../transitions/; check_in and check_out "
        "happen through a booking's check-in and checkout; force_checkout (superusers) "
        "through destructive bulk checkout."
    )

    @classmethod
    def of_view(cls, view: RoomView) -> "RoomDetail":
        return cls(
            **RoomSummary.of(view.room).model_dump(),
            turnover_notes=view.room.turnover_notes,
            allowed_events=view.allowed_events,
        )


class RoomPage(ResultPage[RoomSummary]):
    pass


class HistoryEntry(BaseModel):
    id: int
    event: str
    from_state: str
    to_state: str
    actor: str
    source: str
    note: str | None
    details: dict[str, Any] | None
    created_at: str

    @classmethod
    def of(cls, entry: TransitionLog) -> "HistoryEntry":
        return cls(
            id=entry.id,  # type: ignore[arg-type]
            event=entry.event,
            from_state=entry.from_state,
            to_state=entry.to_state,
            actor=entry.actor,
            source=entry.source,
            note=entry.note,
            details=entry.details,
            created_at=iso_z(entry.created_at),  # type: ignore[arg-type]
        )


class HistoryPage(ResultPage[HistoryEntry]):
    """Newest first."""


# --- bulk checkout -------------------------------------------------------------------------


class BulkRoomError(BaseModel):
    room_id: int
    code: str
    message: str


class BulkRoomSkipped(BaseModel):
    room_id: int
    room_number: int
    reason: str


class BulkCheckoutResults(BaseModel):
    """Every room id of the request is accounted for: its bookings in
    `checked_out_bookings`, or in `rooms_cleared`, `skipped` or `errors`."""

    checked_out_bookings: list[str]
    rooms_cleared: list[int]
    destructive_mode: bool
    skipped: list[BulkRoomSkipped]
    errors: list[BulkRoomError]


class BulkCheckoutResponse(BaseModel):
    detail: str
    results: BulkCheckoutResults

    @classmethod
    def of(cls, result: BulkCheckoutResult) -> "BulkCheckoutResponse":
        detail = f"Processed {result.rooms_processed} room(s) in hotel '{result.hotel_slug}'"
        errors = [BulkRoomError(**vars(error)) for error in result.errors]
        return cls(
            detail=detail,
            results=BulkCheckoutResults(
                checked_out_bookings=result.checked_out_bookings,
                rooms_cleared=result.rooms_cleared,
                destructive_mode=result.destructive_mode,
                skipped=[BulkRoomSkipped(**vars(skip)) for skip in result.skipped],
                errors=errors,
            ),
        )


# --- errors --------------------------------------------------------------------------------


class FieldProblem(BaseModel):
    field: str
    message: str


class ErrorDetail(BaseModel):
    code: str
    message: str
    details: list[FieldProblem] | None = Field(
        default=None, description="Present on VALIDATION_ERROR: one entry per invalid field."
    )


class ErrorEnvelope(BaseModel):
    error: ErrorDetail

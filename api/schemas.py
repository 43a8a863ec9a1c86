"""Response bodies, shaped as the seed document's contract."""

from pydantic import BaseModel

from storage.models import Booking, Room
from storage.timestamps import iso_z


class AssignedRoom(BaseModel):
    room_number: int
    room_status: str


class BookingSummary(BaseModel):
    booking_id: str
    status: str
    checked_in_at: str | None
    checked_out_at: str | None
    assigned_room: AssignedRoom | None

    @classmethod
    def of(cls, booking: Booking, room: Room | None) -> "BookingSummary":
        assigned = AssignedRoom(room_number=room.room_number, room_status=room.room_status)
        return cls(
            booking_id=booking.booking_id,
            status=booking.status,
            checked_in_at=iso_z(booking.checked_in_at),
            checked_out_at=iso_z(booking.checked_out_at),
            assigned_room=assigned if room else None,
        )


class CheckoutResponse(BaseModel):
    message: str
    booking: BookingSummary


class ErrorDetail(BaseModel):
    code: str
    message: str


class ErrorEnvelope(BaseModel):
    error: ErrorDetail

"""The seed's checkout buttons: primary and legacy paths, one service, one behaviour."""

from api.auth import HotelStaff
from api.path_params import BookingId
from api.responses import error_responses
from api.routing import SlashOptionalRouter
from api.schemas import BookingSummary, CheckoutResponse
from api.unit_of_work import RequestUnitOfWork
from storage.unit_of_work import UnitOfWork
from workflows.services.checkout import BookingRef, checkout_booking

router = SlashOptionalRouter(tags=["checkout"])

ERRORS = error_responses(404, 409)


def _checkout(
    hotel_slug: str, booking_id: str, member: HotelStaff, uow: UnitOfWork, source: str
) -> CheckoutResponse:
    outcome = checkout_booking(
        booking=BookingRef(hotel_slug, booking_id),
        performed_by=member.actor,
        source=source,
        uow=uow,
    )
    message = (
        "Booking already checked out" if outcome.unchanged else "Booking checked out successfully"
    )
    return CheckoutResponse(
        message=message, booking=BookingSummary.of(outcome.booking, outcome.room)
    )


@router.post(
    "/api/staff/hotels/{hotel_slug}/room-bookings/{booking_id}/check-out/",
    responses=ERRORS,
    summary="Check a booking out (primary endpoint)",
)
def check_out(
    hotel_slug: str, booking_id: BookingId, member: HotelStaff, uow: RequestUnitOfWork
) -> CheckoutResponse:
    return _checkout(hotel_slug, booking_id, member, uow, "staff_checkout_endpoint")


@router.post(
    "/api/staff/hotels/{hotel_slug}/bookings/{booking_id}/checkout/",
    responses=ERRORS,
    summary="Check a booking out (legacy path, same behaviour as the primary endpoint)",
)
def legacy_checkout(
    hotel_slug: str, booking_id: BookingId, member: HotelStaff, uow: RequestUnitOfWork
) -> CheckoutResponse:
    return _checkout(hotel_slug, booking_id, member, uow, "legacy_checkout_endpoint")

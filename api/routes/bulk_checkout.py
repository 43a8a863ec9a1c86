"""The seed's bulk room checkout (singular `hotel` in the path, as the seed has it)."""

from api.auth import HotelStaff
from api.responses import BODY_ERRORS, error_responses
from api.routing import SlashOptionalRouter
from api.schemas import BulkCheckoutRequest, BulkCheckoutResponse
from api.unit_of_work import RequestUnitOfWork
from workflows.services.bulk_checkout import bulk_checkout

router = SlashOptionalRouter(tags=["checkout"])


@router.post(
    "/api/staff/hotel/{hotel_slug}/rooms/checkout/",
    responses=error_responses(*BODY_ERRORS),
    summary="Check out a list of rooms (destructive mode: superusers only)",
    description="Rooms that do not exist or belong to another hotel are reported in "
    "`results.errors` and left alone; each room succeeds or fails on its own.",
)
def post_bulk_checkout(
    hotel_slug: str, member: HotelStaff, uow: RequestUnitOfWork, body: BulkCheckoutRequest
) -> BulkCheckoutResponse:
    result = bulk_checkout(
        hotel_slug=hotel_slug,
        room_ids=body.room_ids,
        performed_by=member.actor,
        destructive=body.destructive,
        source="bulk_checkout_endpoint",
        uow=uow,
    )
    return BulkCheckoutResponse.of(result)

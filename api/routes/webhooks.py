"""Webhook endpoints of a hotel: manage them, look at their deliveries, retry, replay."""

from typing import Annotated, Any

from fastapi import Depends, Path, Query, Response

from api.auth import HotelStaff, StaffMember
from api.errors import ApiError
from api.pagination import Paging
from api.responses import BODY_ERRORS, error_responses
from api.routing import SlashOptionalRouter
from api.schemas import MAX_DB_INT, ErrorEnvelope
from api.webhook_schemas import (
    DeliveryStatus,
    ReplayRequest,
    ReplayResponse,
    WebhookCreateRequest,
    WebhookDeliveryOut,
    WebhookDeliveryPage,
    WebhookEndpointOut,
    WebhookEndpointPage,
    WebhookEndpointWithSecret,
    WebhookUpdateRequest,
)
from workflows.machines.errors import PERMISSION_DENIED
from workflows.services import webhooks
from workflows.services.staff_accounts import may_manage_staff

router = SlashOptionalRouter(tags=["webhooks"])

WEBHOOKS = "/api/staff/hotels/{hotel_slug}/webhooks/"
WEBHOOK = WEBHOOKS + "{webhook_id}/"
DELIVERY = WEBHOOK + "deliveries/{delivery_id}/"

WebhookId = Annotated[int, Path(ge=1, le=MAX_DB_INT)]
DeliveryId = Annotated[int, Path(ge=1, le=MAX_DB_INT)]


def require_manager(member: HotelStaff) -> StaffMember:
    """Webhooks send the hotel's events to other systems, so only those who manage the
    hotel may set them up: its managers and superusers."""
    if not may_manage_staff(member.staff):
        raise ApiError(PERMISSION_DENIED, "Managing webhooks needs a manager or superuser")
    return member


Manager = Annotated[StaffMember, Depends(require_manager)]


def answers(
    *statuses: int, not_found: str | None = None, invalid: str | None = None
) -> dict[int | str, dict[str, Any]]:
    """`error_responses` with this router's own 404 and 422 meanings."""
    documented = error_responses(*statuses)
    if not_found:
        documented[404] = {"model": ErrorEnvelope, "description": not_found}
    if invalid:
        documented[422] = {
            "model": ErrorEnvelope,
            "description": f"{documented[422]['description']}; {invalid}",
        }
    return documented


NOT_FOUND = "WEBHOOK_NOT_FOUND: no such webhook in this hotel"
URL_REFUSED = (
    "WEBHOOK_URL_NOT_ALLOWED: not http(s), or the host does not resolve to a public address"
)
DELIVERY_NOT_FOUND = NOT_FOUND + "; DELIVERY_NOT_FOUND: no such delivery for this webhook"


@router.post(
    WEBHOOKS,
    status_code=201,
    responses=answers(*BODY_ERRORS, invalid=URL_REFUSED),
    summary="Add a webhook endpoint (answers its signing secret, this once)",
)
def post_webhook(
    hotel_slug: str, member: Manager, body: WebhookCreateRequest
) -> WebhookEndpointWithSecret:
    created = webhooks.create_endpoint(
        hotel_slug=hotel_slug,
        url=body.url,
        event_types=list(body.event_types),
        description=body.description,
    )
    return WebhookEndpointWithSecret.of_new(created)


@router.get(WEBHOOKS, responses=answers(), summary="The hotel's webhook endpoints")
def get_webhooks(hotel_slug: str, member: Manager, paging: Paging) -> WebhookEndpointPage:
    page = webhooks.list_endpoints(hotel_slug=hotel_slug, limit=paging.limit, offset=paging.offset)
    return WebhookEndpointPage.of(page, WebhookEndpointOut.of)


@router.get(WEBHOOK, responses=answers(404, not_found=NOT_FOUND), summary="One webhook endpoint")
def get_webhook(hotel_slug: str, webhook_id: WebhookId, member: Manager) -> WebhookEndpointOut:
    endpoint = webhooks.get_endpoint(hotel_slug=hotel_slug, endpoint_id=webhook_id)
    return WebhookEndpointOut.of(endpoint)


@router.patch(
    WEBHOOK,
    responses=answers(*BODY_ERRORS, 404, not_found=NOT_FOUND, invalid=URL_REFUSED),
    summary="Change a webhook endpoint's URL, event types, description or enabled",
)
def patch_webhook(
    hotel_slug: str, webhook_id: WebhookId, member: Manager, body: WebhookUpdateRequest
) -> WebhookEndpointOut:
    endpoint = webhooks.update_endpoint(
        hotel_slug=hotel_slug, endpoint_id=webhook_id, **body.changes()
    )
    return WebhookEndpointOut.of(endpoint)


@router.delete(
    WEBHOOK,
    status_code=204,
    response_class=Response,
    responses=answers(404, not_found=NOT_FOUND),
    summary="Delete a webhook endpoint with its delivery history",
)
def delete_webhook(hotel_slug: str, webhook_id: WebhookId, member: Manager) -> Response:
    webhooks.delete_endpoint(hotel_slug=hotel_slug, endpoint_id=webhook_id)
    return Response(status_code=204)


@router.post(
    WEBHOOK + "rotate-secret/",
    responses=answers(404, not_found=NOT_FOUND),
    summary="New signing secret; the old one also signs for 24 hours",
)
def post_rotate_secret(
    hotel_slug: str, webhook_id: WebhookId, member: Manager
) -> WebhookEndpointWithSecret:
    rotated = webhooks.rotate_secret(hotel_slug=hotel_slug, endpoint_id=webhook_id)
    return WebhookEndpointWithSecret.of_new(rotated)


@router.post(
    WEBHOOK + "test/",
    status_code=202,
    responses=answers(404, not_found=NOT_FOUND),
    summary="Send a webhook.test event now",
)
def post_test(hotel_slug: str, webhook_id: WebhookId, member: Manager) -> WebhookDeliveryOut:
    delivery = webhooks.send_test(hotel_slug=hotel_slug, endpoint_id=webhook_id)
    return WebhookDeliveryOut.of(delivery)


@router.get(
    WEBHOOK + "deliveries/",
    responses=answers(404, not_found=NOT_FOUND),
    summary="The endpoint's deliveries with every attempt, newest first",
)
def get_deliveries(
    hotel_slug: str,
    webhook_id: WebhookId,
    member: Manager,
    paging: Paging,
    status: Annotated[DeliveryStatus | None, Query(description="Only these")] = None,
) -> WebhookDeliveryPage:
    page = webhooks.list_deliveries(
        hotel_slug=hotel_slug,
        endpoint_id=webhook_id,
        status=status.value if status else None,
        limit=paging.limit,
        offset=paging.offset,
    )
    return WebhookDeliveryPage.of(page, WebhookDeliveryOut.of)


@router.post(
    DELIVERY + "retry/",
    status_code=202,
    responses=answers(404, not_found=DELIVERY_NOT_FOUND),
    summary="Send a delivery again now (same webhook-id, full schedule)",
)
def post_retry(
    hotel_slug: str, webhook_id: WebhookId, delivery_id: DeliveryId, member: Manager
) -> WebhookDeliveryOut:
    view = webhooks.retry_delivery(
        hotel_slug=hotel_slug, endpoint_id=webhook_id, delivery_id=delivery_id
    )
    return WebhookDeliveryOut.of(view)


@router.post(
    WEBHOOK + "replay/",
    status_code=202,
    responses=answers(
        *BODY_ERRORS,
        404,
        not_found=NOT_FOUND,
        invalid="REPLAY_TOO_LARGE: over 10,000 events, replay the period in parts",
    ),
    summary="Send the events of a period again, in order",
)
def post_replay(
    hotel_slug: str, webhook_id: WebhookId, member: Manager, body: ReplayRequest
) -> ReplayResponse:
    queued = webhooks.replay(
        hotel_slug=hotel_slug, endpoint_id=webhook_id, since=body.since, until=body.until
    )
    return ReplayResponse(queued=queued)

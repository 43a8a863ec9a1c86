"""`webhook-endpoint-disabled`: told to the hotel's channel (Pusher, SSE, other webhooks)
when the worker disables an endpoint."""

from datetime import datetime

from sqlmodel import Session

from storage.models import Hotel, OutboxEvent, WebhookEndpoint
from storage.timestamps import iso_z
from workflows.machines.realtime_events import hotel_channel

WEBHOOK_ENDPOINT_DISABLED = "webhook-endpoint-disabled"


def endpoint_disabled_event(
    session: Session, endpoint: WebhookEndpoint, reason: str, at: datetime
) -> OutboxEvent:
    """The event for the same transaction as the disabling. The URL is left out: it may
    carry credentials, and everyone on the hotel channel would see it."""
    hotel = session.get(Hotel, endpoint.hotel_id)
    assert hotel is not None
    payload = {
        "webhook_endpoint_id": endpoint.id,
        "description": endpoint.description,
        "reason": reason,
        "failing_since": iso_z(endpoint.failing_since),
        "timestamp": iso_z(at),
    }
    return OutboxEvent(
        hotel_id=hotel.id,  # type: ignore[arg-type]
        channel=hotel_channel(hotel.slug),
        event_name=WEBHOOK_ENDPOINT_DISABLED,
        payload=payload,
        created_at=at,
    )

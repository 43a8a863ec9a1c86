"""A hotel's webhook endpoints: create, change, rotate the secret, test, and look at,
retry or replay deliveries. Sending is the webhook worker's job (workers/webhooks).

URLs are checked when saved (`url_safety`, the same rule the worker applies again at
every connection). Secrets are generated here, stored encrypted, and returned only by
`create_endpoint` and `rotate_secret`.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func
from sqlmodel import Session, col, select

from config.settings import get_settings
from storage import webhooks as store
from storage.models import Hotel, OutboxEvent, WebhookAttempt, WebhookDelivery, WebhookEndpoint
from storage.timestamps import utc_now
from storage.unit_of_work import UnitOfWork
from workers.webhooks import messages, signing_secrets
from workers.webhooks.endpoint_events import WEBHOOK_ENDPOINT_DISABLED
from workers.webhooks.fanout import EVERY_EVENT, subscribed
from workers.webhooks.url_safety import UnsafeUrl, check_url
from workflows.machines.booking_lifecycle import BookingLifecycle
from workflows.machines.errors import DomainError
from workflows.machines.out_of_order_period import OutOfOrderPeriodMachine
from workflows.machines.room_turnover import RoomTurnover
from workflows.services.lookups import load_hotel
from workflows.services.queries import Page

# The old secret keeps signing beside the new one this long after a rotation.
ROTATION_OVERLAP = timedelta(hours=24)
# The most events one replay may queue; a longer period is replayed in parts.
MAX_REPLAY_EVENTS = 10_000
DISABLED_BY_STAFF = "disabled by staff"

EVENT_TYPES = tuple(
    sorted(
        {
            *BookingLifecycle.realtime_events.values(),
            *RoomTurnover.realtime_events.values(),
            *OutOfOrderPeriodMachine.realtime_events.values(),
            WEBHOOK_ENDPOINT_DISABLED,
        }
    )
)


class WebhookNotFound(DomainError):
    code = "WEBHOOK_NOT_FOUND"


class DeliveryNotFound(DomainError):
    code = "DELIVERY_NOT_FOUND"


class WebhookUrlRefused(DomainError):
    code = "WEBHOOK_URL_NOT_ALLOWED"


class ReplayTooLarge(DomainError):
    code = "REPLAY_TOO_LARGE"


@dataclass(frozen=True)
class EndpointWithSecret:
    """The only two answers that carry the secret: creation and rotation."""

    endpoint: WebhookEndpoint
    secret: str


@dataclass(frozen=True)
class DeliveryView:
    delivery: WebhookDelivery
    attempts: list[WebhookAttempt]


class _Unset:
    """A field a PATCH leaves as it is."""


UNSET: Any = _Unset()


# --- endpoints -----------------------------------------------------------------------------


def create_endpoint(
    *, hotel_slug: str, url: str, event_types: list[str], description: str = ""
) -> EndpointWithSecret:
    _check_url(url)
    secret = signing_secrets.new_secret()
    with UnitOfWork() as uow:
        hotel = load_hotel(uow.session, hotel_slug)
        endpoint = WebhookEndpoint(
            hotel_id=hotel.id,  # type: ignore[arg-type]
            url=url,
            description=description,
            event_types=_event_types(event_types),
            secret_encrypted=signing_secrets.encrypt(secret),
        )
        uow.session.add(endpoint)
        uow.commit()
    return EndpointWithSecret(endpoint, secret)


def list_endpoints(*, hotel_slug: str, limit: int, offset: int) -> Page[WebhookEndpoint]:
    with UnitOfWork(write=False) as uow:
        hotel = load_hotel(uow.session, hotel_slug)
        query = select(WebhookEndpoint).where(WebhookEndpoint.hotel_id == hotel.id)
        total = _count(uow.session, query)
        page = query.order_by(col(WebhookEndpoint.id)).limit(limit).offset(offset)
        return Page(list(uow.session.exec(page)), total, limit, offset)


def get_endpoint(*, hotel_slug: str, endpoint_id: int) -> WebhookEndpoint:
    with UnitOfWork(write=False) as uow:
        return _load_endpoint(uow.session, hotel_slug, endpoint_id)


def update_endpoint(
    *,
    hotel_slug: str,
    endpoint_id: int,
    url: str = UNSET,
    event_types: list[str] = UNSET,
    description: str = UNSET,
    enabled: bool = UNSET,
) -> WebhookEndpoint:
    """Change what is given. Enabling again forgets past failures; pending deliveries
    (kept while disabled) then go out first, in order."""
    if url is not UNSET:
        _check_url(url)
    with UnitOfWork() as uow:
        endpoint = _load_endpoint(uow.session, hotel_slug, endpoint_id, lock=True)
        if url is not UNSET:
            endpoint.url = url
        if event_types is not UNSET:
            endpoint.event_types = _event_types(event_types)
        if description is not UNSET:
            endpoint.description = description
        if enabled is not UNSET and enabled != endpoint.enabled:
            endpoint.enabled = enabled
            endpoint.disabled_reason = None if enabled else DISABLED_BY_STAFF
            endpoint.failing_since = None
        endpoint.updated_at = utc_now()
        uow.commit()
    return endpoint


def delete_endpoint(*, hotel_slug: str, endpoint_id: int) -> None:
    """The endpoint goes with its deliveries and their attempts."""
    with UnitOfWork() as uow:
        endpoint = _load_endpoint(uow.session, hotel_slug, endpoint_id, delete=True)
        store.delete_endpoint_rows(uow.session, endpoint.id)  # type: ignore[arg-type]
        uow.commit()


def rotate_secret(*, hotel_slug: str, endpoint_id: int) -> EndpointWithSecret:
    """A new secret signs from now on; the old one also signs for `ROTATION_OVERLAP`, so
    receivers can switch without missing a delivery (two signatures meanwhile)."""
    secret = signing_secrets.new_secret()
    with UnitOfWork() as uow:
        endpoint = _load_endpoint(uow.session, hotel_slug, endpoint_id, lock=True)
        now = utc_now()
        endpoint.previous_secret_encrypted = endpoint.secret_encrypted
        endpoint.previous_secret_expires_at = now + ROTATION_OVERLAP
        endpoint.secret_encrypted = signing_secrets.encrypt(secret)
        endpoint.updated_at = now
        uow.commit()
    return EndpointWithSecret(endpoint, secret)


# --- deliveries ----------------------------------------------------------------------------


def send_test(*, hotel_slug: str, endpoint_id: int) -> DeliveryView:
    """Queue a `webhook.test` event for the endpoint (sent at once, outside its order)."""
    with UnitOfWork() as uow:
        endpoint = _load_endpoint(uow.session, hotel_slug, endpoint_id)
        delivery = WebhookDelivery(
            endpoint_id=endpoint.id,  # type: ignore[arg-type]
            event_type=messages.TEST_EVENT,
            payload={
                "webhook_endpoint_id": endpoint.id,
                "hotel": hotel_slug,
                "message": "A test event from Turnover: this endpoint receives its webhooks.",
            },
            webhook_id=messages.new_webhook_id(),
        )
        uow.session.add(delivery)
        uow.commit()
    return DeliveryView(delivery, [])


def list_deliveries(
    *, hotel_slug: str, endpoint_id: int, status: str | None, limit: int, offset: int
) -> Page[DeliveryView]:
    """The endpoint's deliveries, newest first, each with its attempts."""
    with UnitOfWork(write=False) as uow:
        endpoint = _load_endpoint(uow.session, hotel_slug, endpoint_id)
        query = select(WebhookDelivery).where(WebhookDelivery.endpoint_id == endpoint.id)
        if status is not None:
            query = query.where(WebhookDelivery.status == status)
        total = _count(uow.session, query)
        page = query.order_by(col(WebhookDelivery.id).desc()).limit(limit).offset(offset)
        deliveries = list(uow.session.exec(page))
        attempts = store.attempts_of(uow.session, [d.id for d in deliveries])  # type: ignore[misc]
    views = [DeliveryView(delivery, attempts[delivery.id]) for delivery in deliveries]  # type: ignore[index]
    return Page(views, total, limit, offset)


def retry_delivery(*, hotel_slug: str, endpoint_id: int, delivery_id: int) -> DeliveryView:
    """Send a delivery again now, with the full schedule ahead of it (same webhook-id)."""
    with UnitOfWork() as uow:
        endpoint = _load_endpoint(uow.session, hotel_slug, endpoint_id)
        delivery = uow.session.exec(
            select(WebhookDelivery)
            .where(WebhookDelivery.id == delivery_id, WebhookDelivery.endpoint_id == endpoint.id)
            .with_for_update()
        ).first()
        if delivery is None:
            raise DeliveryNotFound(f"Delivery {delivery_id} not found for this webhook")
        _queue_again(delivery, utc_now())
        uow.commit()
        attempts = store.attempts_of(uow.session, [delivery_id])[delivery_id]
    return DeliveryView(delivery, attempts)


def replay(
    *, hotel_slug: str, endpoint_id: int, since: datetime, until: datetime | None = None
) -> int:
    """Send again every event of the hotel from `since` (to `until`) that the endpoint
    subscribes to, in their order, with their original webhook-ids; returns how many."""
    with UnitOfWork() as uow:
        session = uow.session
        # Only what the fan-out has handled (its cursor locked, first: it cannot add the
        # same delivery now); later events reach the endpoint through the fan-out itself.
        handled_through = store.lock_fanout_cursor(session).last_event_id
        endpoint = _load_endpoint(session, hotel_slug, endpoint_id, lock=True)
        events = _replayed_events(session, endpoint, since, until, handled_through)
        existing = _deliveries_by_event(session, endpoint.id, [e.id for e in events])  # type: ignore[arg-type,misc]
        now = utc_now()
        for event in events:
            delivery = existing.get(event.id)  # type: ignore[arg-type]
            if delivery is None:
                session.add(_new_delivery(endpoint, event, now))
            elif delivery.status != store.PENDING:
                _queue_again(delivery, now)
        uow.commit()
    return len(events)


# --- helpers ---------------------------------------------------------------------------------


def _check_url(url: str) -> None:
    try:
        check_url(url, allow_private=get_settings().webhooks_allow_private)
    except UnsafeUrl as refusal:
        raise WebhookUrlRefused(f"The webhook URL is not allowed: {refusal}") from None


def _event_types(event_types: list[str]) -> list[str]:
    wanted = list(dict.fromkeys(event_types))
    unknown = [name for name in wanted if name != EVERY_EVENT and name not in EVENT_TYPES]
    if unknown:
        raise DomainError(
            f"Unknown event type(s) {', '.join(unknown)}; known: *, {', '.join(EVENT_TYPES)}",
            code="VALIDATION_ERROR",
        )
    return [EVERY_EVENT] if EVERY_EVENT in wanted else wanted


def _load_endpoint(
    session: Session, hotel_slug: str, endpoint_id: int, *, lock: bool = False, delete: bool = False
) -> WebhookEndpoint:
    """`lock`: FOR NO KEY UPDATE, to change it (the fan-out may go on adding deliveries);
    `delete`: FOR UPDATE, which waits for a fan-out writing deliveries for it."""
    hotel: Hotel = load_hotel(session, hotel_slug)
    query = select(WebhookEndpoint).where(
        WebhookEndpoint.id == endpoint_id, WebhookEndpoint.hotel_id == hotel.id
    )
    if delete:
        query = query.with_for_update()
    elif lock:
        query = query.with_for_update(key_share=True)
    endpoint = session.exec(query.execution_options(populate_existing=True)).first()
    if endpoint is None:
        raise WebhookNotFound(f"Webhook {endpoint_id} not found")
    return endpoint


def _count(session: Session, query: Any) -> int:
    return session.exec(select(func.count()).select_from(query.subquery())).one()


def _queue_again(delivery: WebhookDelivery, now: datetime) -> None:
    if delivery.status != store.PENDING:
        delivery.status = store.PENDING
        delivery.attempts = 0
        delivery.delivered_at = None
        delivery.claimed_by = delivery.claimed_until = None
    delivery.next_attempt_at = now


def _replayed_events(
    session: Session,
    endpoint: WebhookEndpoint,
    since: datetime,
    until: datetime | None,
    through_id: int,
) -> list[OutboxEvent]:
    query = select(OutboxEvent).where(
        OutboxEvent.hotel_id == endpoint.hotel_id,
        col(OutboxEvent.created_at) >= since,
        col(OutboxEvent.id) <= through_id,
    )
    if until is not None:
        query = query.where(col(OutboxEvent.created_at) <= until)
    if EVERY_EVENT not in endpoint.event_types:
        query = query.where(col(OutboxEvent.event_name).in_(endpoint.event_types))
    events = list(session.exec(query.order_by(col(OutboxEvent.id)).limit(MAX_REPLAY_EVENTS + 1)))
    if len(events) > MAX_REPLAY_EVENTS:
        raise ReplayTooLarge(
            f"More than {MAX_REPLAY_EVENTS} events in that period: replay it in parts "
            "(a later `since`, or an `until`)"
        )
    return [event for event in events if subscribed(endpoint, event.event_name)]


def _deliveries_by_event(
    session: Session, endpoint_id: int, event_ids: list[int]
) -> dict[int, WebhookDelivery]:
    if not event_ids:
        return {}
    query = select(WebhookDelivery).where(
        WebhookDelivery.endpoint_id == endpoint_id,
        col(WebhookDelivery.outbox_event_id).in_(event_ids),
    )
    return {d.outbox_event_id: d for d in session.exec(query.with_for_update())}  # type: ignore[misc]


def _new_delivery(endpoint: WebhookEndpoint, event: OutboxEvent, now: datetime) -> WebhookDelivery:
    return WebhookDelivery(
        endpoint_id=endpoint.id,  # type: ignore[arg-type]
        outbox_event_id=event.id,
        event_type=event.event_name,
        webhook_id=messages.new_webhook_id(),
        next_attempt_at=now,
        created_at=now,
    )


def disable_endpoint(*, hotel_slug: str, endpoint_id: int) -> WebhookEndpoint:
    """`turnover webhooks disable`: no more deliveries until enabled again."""
    return update_endpoint(hotel_slug=hotel_slug, endpoint_id=endpoint_id, enabled=False)


def all_endpoints() -> list[tuple[str, WebhookEndpoint]]:
    """(hotel slug, endpoint) of every hotel, for `turnover webhooks list`."""
    with UnitOfWork(write=False) as uow:
        query = (
            select(Hotel.slug, WebhookEndpoint)
            .join(Hotel, col(Hotel.id) == WebhookEndpoint.hotel_id)
            .order_by(col(WebhookEndpoint.id))
        )
        return [(slug, endpoint) for slug, endpoint in uow.session.exec(query)]

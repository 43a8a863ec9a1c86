"""Webhook queries: the fan-out cursor, claiming deliveries with a lease, their history.

Deliveries of one endpoint go out in outbox id order (commit order, see `storage.outbox`):
only the head of an endpoint's queue -- its pending delivery with the lowest outbox id --
decides when the endpoint is due, and a claim takes a run of the queue from the head, so a
later event never overtakes an earlier undelivered one. `webhook.test` deliveries (no
outbox event) stand outside that order. While a worker holds a lease on some of an
endpoint's deliveries, no other worker claims any of that endpoint's.
"""

import random
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, insert, text, tuple_, update
from sqlmodel import Session, col, select

from storage import outbox
from storage.models import (
    OutboxCursor,
    OutboxEvent,
    WebhookAttempt,
    WebhookDelivery,
    WebhookEndpoint,
)

PENDING, DELIVERED, FAILED = "PENDING", "DELIVERED", "FAILED"
DELIVERY_STATUSES = (PENDING, DELIVERED, FAILED)
FANOUT_CONSUMER = "webhooks"

# Serializes claims on PostgreSQL (an arbitrary constant: "turnover webhook claim").
_CLAIM_LOCK_KEY = 0x74776863
FRESH = {"populate_existing": True}


def _is_postgres(session: Session) -> bool:
    return session.get_bind().dialect.name == "postgresql"


# --- fan-out ---------------------------------------------------------------------------------


def fanout_position(session: Session) -> int | None:
    """The last outbox id the fan-out has handled (None before its first run)."""
    return session.exec(
        select(OutboxCursor.last_event_id).where(OutboxCursor.consumer == FANOUT_CONSUMER)
    ).first()


def lock_fanout_cursor(session: Session) -> OutboxCursor:
    """The fan-out's cursor, locked for this transaction (one fan-out at a time). Created
    at the outbox's end if missing: what was there before concerns no endpoint."""
    query = (
        select(OutboxCursor)
        .where(OutboxCursor.consumer == FANOUT_CONSUMER)
        .with_for_update()
        .execution_options(**FRESH)
    )
    cursor = session.exec(query).first()
    if cursor is None:
        cursor = OutboxCursor(consumer=FANOUT_CONSUMER, last_event_id=outbox.max_id(session))
        session.add(cursor)
        session.flush()
    return cursor


def events_after(
    session: Session, *, after_id: int, through_id: int, limit: int
) -> list[OutboxEvent]:
    return list(
        session.exec(
            select(OutboxEvent)
            .where(col(OutboxEvent.id) > after_id, col(OutboxEvent.id) <= through_id)
            .order_by(col(OutboxEvent.id))
            .limit(limit)
        )
    )


def any_enabled_endpoint(session: Session) -> bool:
    query = select(WebhookEndpoint.id).where(WebhookEndpoint.enabled == True)  # noqa: E712
    return session.exec(query.limit(1)).first() is not None


def enabled_endpoints(session: Session) -> list[WebhookEndpoint]:
    """Key-share locked (PostgreSQL): an endpoint being deleted is waited for, then skipped,
    so no delivery is written for it; edits (FOR NO KEY UPDATE) do not block this."""
    query = select(WebhookEndpoint).where(WebhookEndpoint.enabled == True)  # noqa: E712
    locked = query.with_for_update(read=True, key_share=True)
    return list(session.exec(locked.order_by(col(WebhookEndpoint.id))))


def add_deliveries(session: Session, deliveries: list[dict[str, Any]]) -> None:
    if deliveries:
        session.execute(insert(WebhookDelivery), deliveries)


# --- claims ----------------------------------------------------------------------------------


@dataclass
class Claim:
    """An endpoint and the run of its deliveries leased to one worker."""

    endpoint: WebhookEndpoint
    deliveries: list[WebhookDelivery]
    lease_until: datetime


def claimable_endpoint_ids(session: Session, now: datetime) -> set[int]:
    """Enabled endpoints with a due queue head (or test delivery) that no worker holds.
    Also the read before claiming: an idle worker, or one whose endpoints all wait for
    their next attempt, takes no write lock."""
    candidates = _due_endpoint_ids(session, now) - _held_endpoint_ids(session, now)
    if not candidates:
        return set()
    query = select(WebhookEndpoint.id).where(
        col(WebhookEndpoint.id).in_(candidates),
        WebhookEndpoint.enabled == True,  # noqa: E712
    )
    return set(session.exec(query))  # type: ignore[arg-type]


def claim_due(
    session: Session,
    *,
    worker_id: str,
    now: datetime,
    lease_seconds: float,
    max_endpoints: int,
    batch_size: int,
) -> list[Claim]:
    """Lease due deliveries of up to `max_endpoints` endpoints that no worker holds, at most
    `batch_size` per endpoint, in order. Claims are serialized (SQLite: the write lock of the
    unit of work; PostgreSQL: an advisory transaction lock), so a delivery is claimed once.
    Call inside a write unit of work, then commit."""
    if max_endpoints <= 0:
        return []
    if _is_postgres(session):
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _CLAIM_LOCK_KEY})
    candidates = sorted(claimable_endpoint_ids(session, now))
    if not candidates:
        return []
    if len(candidates) > max_endpoints:  # more than the free senders: a fair draw
        candidates = sorted(random.sample(candidates, max_endpoints))
    endpoints = session.exec(
        select(WebhookEndpoint)
        .where(col(WebhookEndpoint.id).in_(candidates))
        .order_by(col(WebhookEndpoint.id))
    ).all()
    lease_until = now + timedelta(seconds=lease_seconds)
    claims = [
        Claim(endpoint, _run_from_head(session, endpoint.id, now, batch_size), lease_until)  # type: ignore[arg-type]
        for endpoint in endpoints
    ]
    claims = [claim for claim in claims if claim.deliveries]
    ids = [delivery.id for claim in claims for delivery in claim.deliveries]
    if ids:
        session.execute(
            update(WebhookDelivery)
            .where(col(WebhookDelivery.id).in_(ids), WebhookDelivery.status == PENDING)
            .values(claimed_by=worker_id, claimed_until=lease_until)
        )
    return claims


def _held_endpoint_ids(session: Session, now: datetime) -> set[int]:
    query = select(WebhookDelivery.endpoint_id).where(
        WebhookDelivery.status == PENDING, col(WebhookDelivery.claimed_until) > now
    )
    return set(session.exec(query.distinct()))


def _due_endpoint_ids(session: Session, now: datetime) -> set[int]:
    """Endpoints whose queue head is due, or with a due `webhook.test` delivery."""
    heads = (
        select(WebhookDelivery.endpoint_id, func.min(WebhookDelivery.outbox_event_id))
        .where(WebhookDelivery.status == PENDING, col(WebhookDelivery.outbox_event_id).is_not(None))
        .group_by(col(WebhookDelivery.endpoint_id))
        .subquery()
    )
    due_heads = select(WebhookDelivery.endpoint_id).where(
        tuple_(WebhookDelivery.endpoint_id, WebhookDelivery.outbox_event_id).in_(select(heads)),
        WebhookDelivery.status == PENDING,
        col(WebhookDelivery.next_attempt_at) <= now,
    )
    due_tests = select(WebhookDelivery.endpoint_id).where(
        WebhookDelivery.status == PENDING,
        col(WebhookDelivery.outbox_event_id).is_(None),
        col(WebhookDelivery.next_attempt_at) <= now,
    )
    return set(session.exec(due_heads)) | set(session.exec(due_tests))


def _run_from_head(
    session: Session, endpoint_id: int, now: datetime, limit: int
) -> list[WebhookDelivery]:
    """Due test deliveries, then the endpoint's queue from its head while due."""
    pending = select(WebhookDelivery).where(
        WebhookDelivery.endpoint_id == endpoint_id, WebhookDelivery.status == PENDING
    )
    tests = list(
        session.exec(
            pending.where(
                col(WebhookDelivery.outbox_event_id).is_(None),
                col(WebhookDelivery.next_attempt_at) <= now,
            )
            .order_by(col(WebhookDelivery.id))
            .limit(limit)
            .execution_options(**FRESH)
        )
    )
    queue = session.exec(
        pending.where(col(WebhookDelivery.outbox_event_id).is_not(None))
        .order_by(col(WebhookDelivery.outbox_event_id))
        .limit(limit - len(tests))
        .execution_options(**FRESH)
    )
    run = []
    for delivery in queue:
        if delivery.next_attempt_at > now:
            break
        run.append(delivery)
    return tests + run


# --- outcomes --------------------------------------------------------------------------------


def lock_deliveries(session: Session, ids: list[int]) -> dict[int, WebhookDelivery]:
    """The deliveries that still exist, locked for this transaction, as stored now."""
    query = (
        select(WebhookDelivery)
        .where(col(WebhookDelivery.id).in_(ids))
        .order_by(col(WebhookDelivery.id))
        .with_for_update()
        .execution_options(**FRESH)
    )
    return {delivery.id: delivery for delivery in session.exec(query)}  # type: ignore[misc]


def lock_endpoint(session: Session, endpoint_id: int) -> WebhookEndpoint | None:
    """FOR NO KEY UPDATE: enough to change it, and no obstacle to the fan-out's inserts."""
    query = (
        select(WebhookEndpoint)
        .where(WebhookEndpoint.id == endpoint_id)
        .with_for_update(key_share=True)
        .execution_options(**FRESH)
    )
    return session.exec(query).first()


def release(session: Session, ids: list[int], worker_id: str) -> None:
    """Give back deliveries this worker claimed but did not attempt."""
    if ids:
        session.execute(
            update(WebhookDelivery)
            .where(col(WebhookDelivery.id).in_(ids), WebhookDelivery.claimed_by == worker_id)
            .values(claimed_by=None, claimed_until=None)
        )


def add_attempts(session: Session, attempts: list[dict[str, Any]]) -> None:
    if attempts:
        session.execute(insert(WebhookAttempt), attempts)


# --- reading and managing ----------------------------------------------------------------------


def attempts_of(session: Session, delivery_ids: list[int]) -> dict[int, list[WebhookAttempt]]:
    found: dict[int, list[WebhookAttempt]] = {delivery_id: [] for delivery_id in delivery_ids}
    if delivery_ids:
        query = (
            select(WebhookAttempt)
            .where(col(WebhookAttempt.delivery_id).in_(delivery_ids))
            .order_by(col(WebhookAttempt.id))
        )
        for attempt in session.exec(query):
            found[attempt.delivery_id].append(attempt)
    return found


def delete_endpoint_rows(session: Session, endpoint_id: int) -> None:
    """An endpoint's attempts, deliveries, and the endpoint itself."""
    deliveries = select(WebhookDelivery.id).where(WebhookDelivery.endpoint_id == endpoint_id)
    session.execute(
        WebhookAttempt.__table__.delete().where(  # type: ignore[attr-defined]
            col(WebhookAttempt.delivery_id).in_(deliveries)
        )
    )
    session.execute(
        WebhookDelivery.__table__.delete().where(  # type: ignore[attr-defined]
            WebhookDelivery.endpoint_id == endpoint_id
        )
    )
    session.execute(
        WebhookEndpoint.__table__.delete().where(WebhookEndpoint.id == endpoint_id)  # type: ignore[attr-defined]
    )


def events_by_id(session: Session, ids: list[int]) -> dict[int, OutboxEvent]:
    if not ids:
        return {}
    query = select(OutboxEvent).where(col(OutboxEvent.id).in_(ids))
    return {event.id: event for event in session.exec(query)}  # type: ignore[misc]

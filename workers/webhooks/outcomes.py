"""Recording what the receiver answered: the attempt rows, the delivery's next step (done,
retried on the schedule, failed) and the endpoint's health (disabled after 410 Gone or 5
days of failures, with a `webhook-endpoint-disabled` event)."""

import random
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlmodel import Session

from storage import webhooks as store
from storage.models import WebhookDelivery, WebhookEndpoint
from workers.webhooks.endpoint_events import endpoint_disabled_event
from workers.webhooks.schedule import DISABLE_AFTER, retry_delay

GONE = 410
ANSWER_BYTES = 1024


@dataclass(frozen=True)
class Attempt:
    delivery_id: int
    attempted_at: datetime
    status_code: int | None
    duration_ms: int
    response_body: str = ""
    error: str | None = None

    @property
    def succeeded(self) -> bool:
        return self.error is None and self.status_code is not None and 200 <= self.status_code < 300

    def summary(self) -> str:
        if self.error is not None:
            return self.error
        answer = f": {self.response_body[:200]}" if self.response_body else ""
        return f"HTTP {self.status_code}{answer}"

    def row(self) -> dict[str, Any]:
        return {
            "delivery_id": self.delivery_id,
            "attempted_at": self.attempted_at,
            "status_code": self.status_code,
            "duration_ms": self.duration_ms,
            "response_body": self.response_body,
            "error": self.error,
        }


def storable(text: str, limit: int) -> str:
    """At most `limit` characters, without NUL (PostgreSQL text cannot hold it)."""
    return text[:limit].replace("\x00", "\ufffd")


def record_outcome(
    session: Session,
    *,
    endpoint_id: int,
    claimed_ids: list[int],
    attempts: list[Attempt],
    worker_id: str,
    now: datetime,
    rng: random.Random,
) -> None:
    """Record a batch's attempts (in the order made) and give back what was not tried."""
    # Lock order everywhere: cursor, endpoint, deliveries (no deadlock on PostgreSQL).
    endpoint = store.lock_endpoint(session, endpoint_id)
    deliveries = store.lock_deliveries(session, claimed_ids)
    made = [attempt for attempt in attempts if attempt.delivery_id in deliveries]
    store.add_attempts(session, [attempt.row() for attempt in made])
    for attempt in made:
        delivery = deliveries[attempt.delivery_id]
        delivery.attempts += 1
        if attempt.succeeded:
            _delivered(delivery, attempt)
        elif delivery.status == store.PENDING and delivery.claimed_by == worker_id:
            _retry_later(delivery, attempt, now, rng)
    tried = {attempt.delivery_id for attempt in made}
    store.release(
        session, [i for i in claimed_ids if i in deliveries and i not in tried], worker_id
    )
    if endpoint is not None:
        _update_health(session, endpoint, made, now)


def _delivered(delivery: WebhookDelivery, attempt: Attempt) -> None:
    if delivery.status == store.DELIVERED:
        return
    delivery.status = store.DELIVERED
    delivery.delivered_at = attempt.attempted_at
    delivery.last_error = None
    delivery.claimed_by = delivery.claimed_until = None


def _retry_later(
    delivery: WebhookDelivery, attempt: Attempt, now: datetime, rng: random.Random
) -> None:
    delivery.last_error = attempt.summary()
    delivery.claimed_by = delivery.claimed_until = None
    if attempt.status_code == GONE:
        # The endpoint is disabled below; kept pending, it goes out first if re-enabled.
        delivery.next_attempt_at = now
        return
    delay = retry_delay(delivery.attempts, rng)
    if delay is None:
        delivery.status = store.FAILED
    else:
        delivery.next_attempt_at = now + delay


def _update_health(
    session: Session, endpoint: WebhookEndpoint, attempts: list[Attempt], now: datetime
) -> None:
    for attempt in attempts:
        if attempt.succeeded:
            endpoint.failing_since = None
        elif endpoint.failing_since is None:
            endpoint.failing_since = attempt.attempted_at
    if not endpoint.enabled:
        return
    if any(attempt.status_code == GONE for attempt in attempts):
        _disable(session, endpoint, "the receiver answered 410 Gone", now)
    elif endpoint.failing_since is not None and now - endpoint.failing_since >= DISABLE_AFTER:
        _disable(session, endpoint, "every attempt failed for 5 days", now)


def _disable(session: Session, endpoint: WebhookEndpoint, reason: str, now: datetime) -> None:
    endpoint.enabled = False
    endpoint.disabled_reason = reason
    endpoint.updated_at = now
    session.add(endpoint_disabled_event(session, endpoint, reason, now))

"""The fan-out: committed outbox rows become deliveries, one per enabled endpoint of the
event's hotel that subscribed to its type.

It reads the outbox the way the relay does, in id order up to the `CommittedHorizon` (on
PostgreSQL a transaction may commit after one that took a later id: the horizon waits for
it, so a late row is neither skipped nor overtaken), and keeps its own cursor in the
database (`OutboxCursor`), advanced in the transaction that writes the deliveries. It does
not depend on the relay: a Pusher outage does not hold webhooks back, nor the reverse.
Several fan-outs may run: the cursor row is locked, so each row is fanned out once.

An endpoint receives the events that happened after it was created (`created_at`), however
late the fan-out reaches them. With no endpoint enabled anywhere there is nothing to write:
the cursor is then moved on only every `IDLE_ADVANCE_SECONDS`, so that the first endpoint
does not wait behind a long backlog, and checkouts do not pay a fan-out write each.
"""

import time
from collections import defaultdict
from typing import Any

from storage import outbox
from storage import webhooks as store
from storage.models import OutboxEvent, WebhookEndpoint
from storage.unit_of_work import UnitOfWork
from workers.clock import SYSTEM_CLOCK, Clock
from workers.webhooks.messages import new_webhook_id

EVERY_EVENT = "*"
IDLE_ADVANCE_SECONDS = 10.0


def subscribed(endpoint: WebhookEndpoint, event_name: str) -> bool:
    return EVERY_EVENT in endpoint.event_types or event_name in endpoint.event_types


class FanOut:
    def __init__(self, clock: Clock = SYSTEM_CLOCK, page_size: int = 500) -> None:
        self.clock = clock
        self.page_size = page_size
        self._horizon: outbox.CommittedHorizon | None = None
        self._idle_since = -IDLE_ADVANCE_SECONDS  # monotonic time of the last idle advance

    def run_until_caught_up(self) -> int:
        """Fan out everything committed so far; returns the number of outbox rows read."""
        total = 0
        while True:
            read, more = self.run_once()
            total += read
            if not more:
                return total

    def run_once(self) -> tuple[int, bool]:
        """One page: (outbox rows read, whether more may be waiting)."""
        if not self._anything_new():
            return 0, False
        with UnitOfWork() as uow:
            session = uow.session
            cursor = store.lock_fanout_cursor(session)
            through = self._horizon_from(cursor.last_event_id).advance(session)
            events = store.events_after(
                session, after_id=cursor.last_event_id, through_id=through, limit=self.page_size
            )
            full_page = len(events) == self.page_size
            store.add_deliveries(
                session, self._deliveries(store.enabled_endpoints(session), events)
            )
            cursor.last_event_id = events[-1].id if full_page else through  # type: ignore[assignment]
            uow.commit()
        return len(events), full_page

    def _anything_new(self) -> bool:
        """Cheap reads first: an idle fan-out takes no write lock."""
        with UnitOfWork(write=False) as uow:
            position = store.fanout_position(uow.session)
            if position is not None and outbox.max_id(uow.session) <= position:
                return False
            if store.any_enabled_endpoint(uow.session):
                return True
        if time.monotonic() - self._idle_since < IDLE_ADVANCE_SECONDS:
            return False
        self._idle_since = time.monotonic()
        return True

    def _horizon_from(self, position: int) -> outbox.CommittedHorizon:
        # Another fan-out may have moved the cursor past what this one knows: everything up
        # to the cursor is settled, so start from there.
        if self._horizon is None or self._horizon.through < position:
            self._horizon = outbox.CommittedHorizon(position)
        return self._horizon

    def _deliveries(
        self, endpoints: list[WebhookEndpoint], events: list[OutboxEvent]
    ) -> list[dict[str, Any]]:
        by_hotel: dict[int, list[WebhookEndpoint]] = defaultdict(list)
        for endpoint in endpoints:
            by_hotel[endpoint.hotel_id].append(endpoint)
        now = self.clock.now()
        return [
            {
                "endpoint_id": endpoint.id,
                "outbox_event_id": event.id,
                "event_type": event.event_name,
                "webhook_id": new_webhook_id(),
                "status": store.PENDING,
                "attempts": 0,
                "next_attempt_at": now,
                "created_at": now,
            }
            for event in events
            for endpoint in by_hotel.get(event.hotel_id, ())
            if subscribed(endpoint, event.event_name) and event.created_at >= endpoint.created_at
        ]

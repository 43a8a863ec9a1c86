"""Where the relay hands events to, and how it learns a delivery failed for good."""

from typing import Protocol

from config.settings import Settings
from storage.models import OutboxEvent


class EventsRejected(Exception):
    """The receiver refused these events for good (e.g. too large): retrying cannot help."""


class Publisher(Protocol):
    # The most events one `publish` call may carry.
    batch_size: int
    # The longest one `publish` call may take (its whole-request deadline), in seconds.
    deadline_seconds: float

    def problem(self, event: OutboxEvent) -> str | None:
        """Why `event` can never be delivered, or None if it can."""
        ...

    def publish(self, events: list[OutboxEvent]) -> None:
        """Deliver `events` in order; return only once the receiver confirmed them.

        Raises `EventsRejected` for a permanent refusal, anything else for a passing one.
        """
        ...


class StreamOnlyPublisher:
    """No Pusher configured: the SSE stream serves events straight from the committed
    outbox rows, so there is nothing to send; rows are confirmed as handed over."""

    batch_size = 100
    deadline_seconds = 0.0

    def problem(self, event: OutboxEvent) -> str | None:
        return None

    def publish(self, events: list[OutboxEvent]) -> None:
        return None


def publisher_from_settings(settings: Settings) -> Publisher:
    from workers.pusher_publisher import PusherPublisher, pusher_client

    client = pusher_client(settings)
    if client is None:
        return StreamOnlyPublisher()
    return PusherPublisher(client, private=settings.pusher_private)

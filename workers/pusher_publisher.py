"""Delivery to Pusher Channels with the official `pusher` package's batch API, over an
HTTP backend whose every request has a whole-request deadline."""

from typing import Any

import pusher
from pusher.errors import PusherBadRequest, PusherBadStatus
from pusher.http import Request, process_response
from pusher.util import validate_channel

from config.settings import Settings
from storage.models import OutboxEvent
from workers.messages import encoded_data
from workers.outbound_http import DeadlineHttpClient
from workers.publishers import EventsRejected

# Pusher's limits: 10 events per batch request, 10 KB of data per event.
MAX_BATCH_EVENTS = 10
MAX_DATA_BYTES = 10 * 1024
MAX_EVENT_NAME_LENGTH = 200


class DeadlineBackend:
    """A `pusher` HTTP backend (`pusher.Pusher(backend=...)`): the client's `timeout` is the
    deadline of the whole request, not only of each wait between two bytes as with the
    package's default `RequestsBackend`."""

    def __init__(self, client: Any, **_options: Any) -> None:
        self.http = DeadlineHttpClient(client.timeout)

    def send_request(self, request: Request) -> Any:
        response = self.http.request(
            request.method, request.url, headers=request.headers, content=request.body
        )
        return process_response(response.status_code, response.text)


class DeadlinePusher(pusher.Pusher):
    """`pusher.Pusher` on `DeadlineBackend`: `timeout` is the deadline of a whole request."""

    def __init__(self, *, timeout: float = 5.0, **options: Any) -> None:
        super().__init__(timeout=timeout, backend=DeadlineBackend, **options)
        self.deadline_seconds = float(timeout)


def pusher_client(settings: Settings) -> DeadlinePusher | None:
    """The client from TURNOVER_PUSHER_* settings, or None when Pusher is not configured."""
    if not (settings.pusher_app_id and settings.pusher_key and settings.pusher_secret):
        return None
    return DeadlinePusher(
        app_id=settings.pusher_app_id,
        key=settings.pusher_key,
        secret=settings.pusher_secret,
        cluster=settings.pusher_cluster,
        host=settings.pusher_host,
        port=settings.pusher_port,
        ssl=settings.pusher_ssl,
        timeout=settings.pusher_timeout_seconds,
    )


def pusher_channel(channel: str, *, private: bool) -> str:
    return f"private-{channel}" if private else channel


class PusherPublisher:
    batch_size = MAX_BATCH_EVENTS

    def __init__(self, client: DeadlinePusher, *, private: bool = False) -> None:
        self.client = client
        self.private = private
        # The longest one `publish` can take (one request), for the relay's lease.
        self.deadline_seconds = client.deadline_seconds

    def problem(self, event: OutboxEvent) -> str | None:
        size = len(encoded_data(event).encode("utf-8"))
        if size > MAX_DATA_BYTES:
            return f"data is {size} bytes encoded as UTF-8, over Pusher's {MAX_DATA_BYTES}"
        if len(event.event_name) > MAX_EVENT_NAME_LENGTH:
            return f"event name is over Pusher's {MAX_EVENT_NAME_LENGTH} characters"
        try:
            validate_channel(pusher_channel(event.channel, private=self.private))
        except ValueError as error:
            return f"Pusher refuses the channel name: {error}"
        return None

    def publish(self, events: list[OutboxEvent]) -> None:
        # Encoded here, not by the package: it measures size with sys.getsizeof (not the
        # UTF-8 bytes Pusher counts) and would raise for the whole batch.
        batch = [
            {
                "channel": pusher_channel(event.channel, private=self.private),
                "name": event.event_name,
                "data": encoded_data(event),
            }
            for event in events
        ]
        try:
            self.client.trigger_batch(batch, already_encoded=True)
        except PusherBadRequest as error:
            raise EventsRejected(f"Pusher answered 400: {error}") from error
        except PusherBadStatus as error:
            if str(error).startswith("413"):
                raise EventsRejected(f"Pusher answered {error}") from error
            raise

"""What a delivered event looks like on the wire, for Pusher and for the SSE stream alike."""

import json
from typing import Any

from storage.models import OutboxEvent

# The key added to every payload: the outbox id, the same on every redelivery, so a client
# can drop an event it has already seen. It is also the SSE `id:` field.
EVENT_ID_KEY = "event_id"


def event_data(event: OutboxEvent) -> dict[str, Any]:
    return {**event.payload, EVENT_ID_KEY: event.id}


def encoded_data(event: OutboxEvent) -> str:
    return json.dumps(event_data(event), ensure_ascii=False, separators=(",", ":"))

"""What a webhook looks like on the wire (Standard Webhooks 1.0): the JSON body and the
`webhook-id`, `webhook-timestamp` and `webhook-signature` headers, signed with the
`standardwebhooks` package."""

import json
import uuid
from datetime import datetime
from math import floor
from typing import Any

from standardwebhooks import Webhook

from storage.models import OutboxEvent
from storage.timestamps import iso_z
from workers.messages import event_data

TEST_EVENT = "webhook.test"
USER_AGENT = "Turnover-Webhooks/1.0"


def new_webhook_id() -> str:
    """The `webhook-id` of a delivery: one per event and endpoint, kept across retries."""
    return f"msg_{uuid.uuid4().hex}"


def outbox_message(event: OutboxEvent) -> tuple[str, dict[str, Any]]:
    """(type, data) of an outbox event; `data` carries `event_id` as realtime events do."""
    return event.event_name, event_data(event)


def body(event_type: str, at: datetime, data: dict[str, Any]) -> str:
    message = {"type": event_type, "timestamp": iso_z(at), "data": data}
    return json.dumps(message, ensure_ascii=False, separators=(",", ":"))


def headers(webhook_id: str, at: datetime, payload: str, secrets: list[str]) -> dict[str, str]:
    """One `v1,` signature per secret (two while a rotated-out secret is still valid)."""
    signatures = " ".join(Webhook(secret).sign(webhook_id, at, payload) for secret in secrets)
    return {
        "content-type": "application/json",
        "user-agent": USER_AGENT,
        "webhook-id": webhook_id,
        "webhook-timestamp": str(floor(at.timestamp())),
        "webhook-signature": signatures,
    }

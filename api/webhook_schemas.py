"""Request and response bodies of the webhook endpoints (strict, as in `api.schemas`)."""

from datetime import datetime
from enum import Enum
from typing import Any, Literal, Self

from pydantic import AwareDatetime, BaseModel, Field, model_validator

from api.schemas import NO_NUL, RequestBody, ResultPage
from storage.models import WebhookAttempt, WebhookEndpoint
from storage.timestamps import iso_z
from storage.webhooks import DELIVERY_STATUSES
from workers.webhooks.fanout import EVERY_EVENT
from workflows.services.webhooks import EVENT_TYPES, DeliveryView, EndpointWithSecret

MAX_URL_LENGTH = 2000
MAX_DESCRIPTION_LENGTH = 500

# A Literal, not an Enum: strict bodies take a JSON string for it.
EventType = Literal[(EVERY_EVENT, *EVENT_TYPES)]  # type: ignore[valid-type]
DeliveryStatus = Enum("DeliveryStatus", {s: s for s in DELIVERY_STATUSES}, type=str)  # type: ignore[misc]


def _url_field(**default: Any) -> Any:
    return Field(
        **default,
        min_length=1,
        max_length=MAX_URL_LENGTH,
        pattern=NO_NUL,
        description="http or https; a host resolving to a loopback, private, link-local or "
        "metadata address is refused (WEBHOOK_URL_NOT_ALLOWED).",
        examples=["https://pms.example.com/turnover-webhooks"],
    )


def _event_types_field(**default: Any) -> Any:
    return Field(
        **default,
        min_length=1,
        max_length=len(EVENT_TYPES) + 1,
        description='Event names, or ["*"] for all of them.',
        examples=[["room-status-changed", "booking-checked-out"]],
    )


# --- requests ------------------------------------------------------------------------------


class WebhookCreateRequest(RequestBody):
    url: str = _url_field()
    event_types: list[EventType] = _event_types_field()
    description: str = Field(default="", max_length=MAX_DESCRIPTION_LENGTH, pattern=NO_NUL)


class WebhookUpdateRequest(RequestBody):
    """Only the fields given change; none of them may be null."""

    url: str | None = _url_field(default=None)
    event_types: list[EventType] | None = _event_types_field(default=None)
    description: str | None = Field(default=None, max_length=MAX_DESCRIPTION_LENGTH, pattern=NO_NUL)
    enabled: bool | None = Field(
        default=None,
        description="false stops deliveries (they wait); true resumes them, oldest first.",
    )

    @model_validator(mode="after")
    def no_nulls(self) -> Self:
        nulls = [name for name in self.model_fields_set if getattr(self, name) is None]
        if nulls:
            raise ValueError(f"{', '.join(sorted(nulls))} may be left out but not null")
        return self

    def changes(self) -> dict[str, Any]:
        given = {name: getattr(self, name) for name in self.model_fields_set}
        if "event_types" in given:
            given["event_types"] = list(given["event_types"])
        return given


class ReplayRequest(RequestBody):
    since: AwareDatetime = Field(
        strict=False,
        description="ISO-8601 with a time zone: events from this moment on are sent again.",
        examples=["2025-12-22T00:00:00Z"],
    )
    until: AwareDatetime | None = Field(
        default=None, strict=False, description="Up to this moment (default: now)."
    )

    @model_validator(mode="after")
    def until_after_since(self) -> Self:
        if self.until is not None and self.until < self.since:
            raise ValueError("until is before since")
        return self


# --- responses -----------------------------------------------------------------------------


class WebhookEndpointOut(BaseModel):
    id: int
    url: str
    description: str
    event_types: list[str]
    enabled: bool
    disabled_reason: str | None = Field(
        description="Why deliveries stopped: by staff, 410 Gone, or 5 days of failures."
    )
    failing_since: str | None = Field(description="First failed attempt since the last success.")
    previous_secret_valid_until: str | None = Field(
        description="After a rotation, the old secret also signs until then."
    )
    created_at: str
    updated_at: str

    @classmethod
    def of(cls, endpoint: WebhookEndpoint) -> "WebhookEndpointOut":
        return cls(
            id=endpoint.id,  # type: ignore[arg-type]
            url=endpoint.url,
            description=endpoint.description,
            event_types=endpoint.event_types,
            enabled=endpoint.enabled,
            disabled_reason=endpoint.disabled_reason,
            failing_since=iso_z(endpoint.failing_since),
            previous_secret_valid_until=_rotation_end(endpoint),
            created_at=iso_z(endpoint.created_at),  # type: ignore[arg-type]
            updated_at=iso_z(endpoint.updated_at),  # type: ignore[arg-type]
        )


class WebhookEndpointWithSecret(WebhookEndpointOut):
    secret: str = Field(
        description="The signing secret (whsec_...). Shown only now: store it in the receiver."
    )

    @classmethod
    def of_new(cls, created: EndpointWithSecret) -> "WebhookEndpointWithSecret":
        return cls(**WebhookEndpointOut.of(created.endpoint).model_dump(), secret=created.secret)


class WebhookEndpointPage(ResultPage[WebhookEndpointOut]):
    pass


class WebhookAttemptOut(BaseModel):
    attempted_at: str
    status_code: int | None
    duration_ms: int
    response_body: str = Field(description="The first 1 KB of the answer.")
    error: str | None = Field(description="Timeout, connection refused, refused address...")

    @classmethod
    def of(cls, attempt: WebhookAttempt) -> "WebhookAttemptOut":
        return cls(
            attempted_at=iso_z(attempt.attempted_at),  # type: ignore[arg-type]
            status_code=attempt.status_code,
            duration_ms=attempt.duration_ms,
            response_body=attempt.response_body,
            error=attempt.error,
        )


class WebhookDeliveryOut(BaseModel):
    id: int
    webhook_id: str = Field(description="The `webhook-id` header, the same on every attempt.")
    event_type: str
    event_id: int | None = Field(description="The outbox event (None for webhook.test).")
    status: str = Field(description="PENDING, DELIVERED or FAILED (all attempts used).")
    attempt_count: int
    next_attempt_at: str | None = Field(description="When a pending delivery is tried next.")
    last_error: str | None
    created_at: str
    delivered_at: str | None
    attempts: list[WebhookAttemptOut] = Field(description="Every attempt, oldest first.")

    @classmethod
    def of(cls, view: DeliveryView) -> "WebhookDeliveryOut":
        delivery = view.delivery
        pending = delivery.status == "PENDING"
        return cls(
            id=delivery.id,  # type: ignore[arg-type]
            webhook_id=delivery.webhook_id,
            event_type=delivery.event_type,
            event_id=delivery.outbox_event_id,
            status=delivery.status,
            attempt_count=delivery.attempts,
            next_attempt_at=iso_z(delivery.next_attempt_at) if pending else None,
            last_error=delivery.last_error,
            created_at=iso_z(delivery.created_at),  # type: ignore[arg-type]
            delivered_at=iso_z(delivery.delivered_at),
            attempts=[WebhookAttemptOut.of(attempt) for attempt in view.attempts],
        )


class WebhookDeliveryPage(ResultPage[WebhookDeliveryOut]):
    """Newest first."""


class ReplayResponse(BaseModel):
    queued: int = Field(description="Events queued to be sent again, in their order.")


def _rotation_end(endpoint: WebhookEndpoint) -> str | None:
    expires: datetime | None = endpoint.previous_secret_expires_at
    if endpoint.previous_secret_encrypted is None or expires is None:
        return None
    return iso_z(expires)

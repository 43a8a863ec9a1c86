"""POST /api/pusher/auth: Pusher channel authorization for private-hotel-{slug} channels.

pusher-js posts `socket_id` and `channel_name` form-encoded (JSON is accepted too) with the
headers the app configured (here the staff bearer token). Only the hotel's own staff get a
signature; anyone else gets 403 in the error envelope.
"""

import json
from typing import Annotated, Any
from urllib.parse import parse_qs

from fastapi import Depends, Request

from api.auth import StaffMember, current_staff
from api.errors import ApiError
from api.realtime.stream_auth import ensure_same_hotel
from api.responses import BODY_ERRORS, error_responses
from api.routing import SlashOptionalRouter
from api.schemas import ErrorEnvelope
from config.settings import get_settings
from workers.pusher_publisher import pusher_channel, pusher_client
from workflows.machines.errors import (
    BAD_REQUEST,
    PAYLOAD_TOO_LARGE,
    PERMISSION_DENIED,
    PUSHER_NOT_CONFIGURED,
    VALIDATION_ERROR,
)
from workflows.machines.realtime_events import hotel_channel

router = SlashOptionalRouter(tags=["realtime"])

MAX_BODY_BYTES = 4096
PRIVATE_PREFIX = pusher_channel(hotel_channel(""), private=True)  # "private-hotel-"


async def _auth_fields(request: Request) -> dict[str, Any]:
    body = await request.body()
    if len(body) > MAX_BODY_BYTES:
        raise ApiError(PAYLOAD_TOO_LARGE, "The request body is too large")
    if request.headers.get("content-type", "").startswith("application/json"):
        try:
            fields = json.loads(body or b"{}")
        except (json.JSONDecodeError, UnicodeDecodeError) as error:
            raise ApiError(BAD_REQUEST, "The body is not valid JSON") from error
        if not isinstance(fields, dict):
            raise ApiError(BAD_REQUEST, "The body must be a JSON object")
        return fields
    form = parse_qs(body.decode("utf-8", errors="replace"))
    return {key: values[0] for key, values in form.items()}


def _required_text(fields: dict[str, Any], name: str) -> str:
    value = fields.get(name)
    if not isinstance(value, str) or not value:
        raise ApiError(VALIDATION_ERROR, f"'{name}' is required")
    return value


AUTH_FIELDS = {
    "type": "object",
    "properties": {"socket_id": {"type": "string"}, "channel_name": {"type": "string"}},
    "required": ["socket_id", "channel_name"],
}
# The body is read by hand (pusher-js sends a form, JSON is accepted too), so it is
# described here rather than by a model.
AUTH_REQUEST = {
    "required": True,
    "content": {
        "application/x-www-form-urlencoded": {"schema": AUTH_FIELDS},
        "application/json": {"schema": AUTH_FIELDS},
    },
}
AUTH_RESPONSES = {
    **error_responses(*BODY_ERRORS),
    404: {"model": ErrorEnvelope, "description": "PUSHER_NOT_CONFIGURED"},
}


@router.post(
    "/api/pusher/auth",
    summary="Authorize a Pusher private-channel subscription",
    responses=AUTH_RESPONSES,
    openapi_extra={"requestBody": AUTH_REQUEST},
)
async def authorize_channel(
    request: Request, member: Annotated[StaffMember, Depends(current_staff)]
) -> dict[str, str]:
    client = pusher_client(get_settings())
    if client is None:
        raise ApiError(PUSHER_NOT_CONFIGURED, "Pusher is not configured on this server")
    fields = await _auth_fields(request)
    socket_id = _required_text(fields, "socket_id")
    channel_name = _required_text(fields, "channel_name")
    if not channel_name.startswith(PRIVATE_PREFIX):
        raise ApiError(PERMISSION_DENIED, "Only private-hotel-{slug} channels are signed")
    ensure_same_hotel(member, channel_name.removeprefix(PRIVATE_PREFIX))
    try:
        return client.authenticate(channel=channel_name, socket_id=socket_id)
    except ValueError as error:
        raise ApiError(VALIDATION_ERROR, str(error)) from error

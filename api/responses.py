"""Error responses as the OpenAPI document shows them: every one is the error envelope."""

from typing import Any

from api.schemas import ErrorEnvelope

ERROR_DESCRIPTIONS = {
    400: "BAD_REQUEST: the body could not be read at all (e.g. not UTF-8)",
    401: "NOT_AUTHENTICATED: no bearer token, or not a valid one",
    403: "PERMISSION_DENIED: the hotel in the path is not the caller's, or a superuser is needed",
    404: "BOOKING_NOT_FOUND / ROOM_NOT_FOUND: not in this hotel",
    409: "The machine refused: NOT_CHECKED_IN, CHECKOUT_FAILED, CHECKIN_FAILED, "
    "TRANSITION_NOT_ALLOWED (names the event and the current state), CONCURRENT_UPDATE",
    413: "PAYLOAD_TOO_LARGE: the body is over 64 KiB",
    422: "VALIDATION_ERROR: malformed JSON, wrong types, out-of-range values; `details` per field",
    431: "REQUEST_HEADERS_TOO_LARGE: over 100 headers, or over 32 KiB of them",
    500: "INTERNAL_ERROR: unexpected; the message carries the request id found in the logs",
    503: "DATABASE_UNAVAILABLE: the database connection was lost; says whether anything may "
    "have been stored; repeat after the Retry-After header's seconds",
}


# A body that cannot be decoded, or is too large, is refused before anything else.
BODY_ERRORS = (400, 413)


def error_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """`responses=` for a route: the given statuses plus the ones every route can answer.
    Routes that take a body add `*BODY_ERRORS`."""
    wanted = sorted({401, 403, 422, 431, 500, 503, *statuses})
    return {
        status: {"model": ErrorEnvelope, "description": ERROR_DESCRIPTIONS[status]}
        for status in wanted
    }

"""Error responses as the OpenAPI document shows them: every one is the error envelope, and
each status lists the registry's codes that answer with it."""

from typing import Any

from api.schemas import ErrorEnvelope
from workflows.machines.errors import ERROR_CODES

# A body that cannot be decoded, or is too large, is refused before anything else.
BODY_ERRORS = (400, 413, 415)


def status_description(status: int) -> str:
    codes = [code for code in ERROR_CODES.values() if code.http_status == status]
    return "; ".join(f"{code.name}: {code.when}" for code in codes)


def error_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """`responses=` for a route: the given statuses plus the ones every route can answer.
    Routes that take a body add `*BODY_ERRORS`."""
    wanted = sorted({401, 403, 422, 431, 500, 503, *statuses})
    return {
        status: {"model": ErrorEnvelope, "description": status_description(status)}
        for status in wanted
    }

"""Who may read a hotel's events: its own staff, by header or (for EventSource) ?token=."""

from typing import Annotated

from fastapi import Path, Query, Request

from api.auth import StaffMember, authenticate, bearer_token
from api.errors import ApiError
from workflows.machines.errors import PERMISSION_DENIED


def ensure_same_hotel(member: StaffMember, hotel_slug: str) -> None:
    if member.hotel_slug != hotel_slug:
        raise ApiError(PERMISSION_DENIED, "You do not have access to this hotel")


def stream_staff(
    request: Request,
    hotel_slug: Annotated[str, Path(max_length=64)],
    token: Annotated[str | None, Query(max_length=512)] = None,
) -> StaffMember:
    member = authenticate(bearer_token(request) or token, request)
    ensure_same_hotel(member, hotel_slug)
    return member

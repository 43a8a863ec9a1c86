"""Who may read a hotel's events: its own staff, by header, by ?token= (an EventSource of
another app cannot send headers), or by the web pages' session cookie (web/; the pages
never put a token in a URL)."""

from typing import Annotated

from fastapi import Path, Query, Request

from api.auth import StaffMember, authenticate, bearer_token, session_member
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
    credential = bearer_token(request) or token
    member = session_member(request) if credential is None else None
    if member is None:
        member = authenticate(credential, request)
    else:
        request.state.session_stream = True  # re-checked while it runs (api/realtime/sse.py)
    ensure_same_hotel(member, hotel_slug)
    return member

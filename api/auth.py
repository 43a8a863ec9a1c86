"""Bearer-token authentication and hotel scoping, as FastAPI dependencies.

A token works while it is neither revoked nor expired and its staff member is active;
repeated failures from one client address are answered 429 (api/auth_throttle.py).
"""

import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated

from fastapi import Depends, Path, Request
from sqlmodel import select

from api.auth_throttle import client_address, throttles_of
from api.errors import ApiError
from storage.models import Hotel, Staff
from storage.timestamps import utc_now
from storage.unit_of_work import UnitOfWork
from workflows.machines.actors import Actor
from workflows.machines.errors import NOT_AUTHENTICATED, PERMISSION_DENIED
from workflows.services.board_sessions import SESSION_COOKIE, signed_in
from workflows.services.staff_accounts import (
    record_token_use,
    staff_for_password,
    token_holder,
    token_use_is_stale,
)

MAX_TOKEN_LENGTH = 512


log = logging.getLogger("turnover.api")


@dataclass(frozen=True)
class StaffMember:
    """The authenticated caller: who they are and which hotel they work for."""

    staff: Staff
    hotel_slug: str

    @property
    def actor(self) -> Actor:
        return Actor.from_staff(self.staff)

    @property
    def is_superuser(self) -> bool:
        return self.staff.is_superuser


def bearer_token(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return token.strip()


def authenticate(token: str | None, request: Request) -> StaffMember:
    """The staff member `token` belongs to; 401 without a working token, 429 when this
    client address has failed too often lately."""
    if not token:
        raise ApiError(NOT_AUTHENTICATED)
    throttles, address = throttles_of(request), client_address(request)
    throttles.check(address)
    member = _member_for_token(token) if len(token) <= MAX_TOKEN_LENGTH else None
    if member is None:
        throttles.record_failure(address)
        raise ApiError(NOT_AUTHENTICATED)
    return member


def _member_for_token(token: str) -> StaffMember | None:
    now = utc_now()
    with UnitOfWork(write=False) as uow:
        holder = token_holder(uow.session, token, now=now)
        hotel = uow.session.get(Hotel, holder[0].hotel_id) if holder else None
    if holder is None or hotel is None:
        return None
    staff, staff_token = holder
    if token_use_is_stale(staff_token, now):
        _record_use(staff_token.id, now)  # type: ignore[arg-type]
    return StaffMember(staff=staff, hotel_slug=hotel.slug)


def _record_use(token_id: int, now: datetime) -> None:
    """Best effort: a failed `last_used_at` stamp must not refuse a valid request."""
    try:
        with UnitOfWork(repeatable=True) as uow:
            record_token_use(uow.session, token_id, now)
            uow.commit()
    except Exception:
        log.warning("could not record the use of token %s", token_id, exc_info=True)


def authenticate_password(
    request: Request, hotel_slug: str, username: str, password: str
) -> StaffMember:
    """For the web pages' sign-in: the active member with this username and password.
    Failures count against the client address and the username."""
    throttles, address = throttles_of(request), client_address(request)
    throttles.check(address, username)
    with UnitOfWork(write=False) as uow:
        hotel = uow.session.exec(select(Hotel).where(Hotel.slug == hotel_slug)).first()
        staff = staff_for_password(uow.session, hotel.id, username, password) if hotel else None
    if staff is None or hotel is None:
        throttles.record_failure(address, username)
        raise ApiError(NOT_AUTHENTICATED, "Wrong hotel, username or password")
    return StaffMember(staff=staff, hotel_slug=hotel.slug)


def session_member(request: Request) -> StaffMember | None:
    """The member the web pages' session cookie belongs to (web/ signs in), or None.

    Only for reading (the event stream): a request that changes something must prove it
    came from Turnover's own pages with a CSRF token, which the API's routes do not take.
    A request the browser marks as coming from another site is not taken either.
    """
    if request.headers.get("sec-fetch-site", "same-origin") not in ("same-origin", "none"):
        return None
    session = signed_in(request.cookies.get(SESSION_COOKIE))
    if session is None:
        return None
    return StaffMember(staff=session.staff, hotel_slug=session.hotel.slug)


def current_staff(request: Request) -> StaffMember:
    return authenticate(bearer_token(request), request)


def staff_of_hotel(
    hotel_slug: Annotated[str, Path(max_length=64)],
    member: Annotated[StaffMember, Depends(current_staff)],
) -> StaffMember:
    """The caller, checked to work for the hotel in the path."""
    if member.hotel_slug != hotel_slug:
        raise ApiError(PERMISSION_DENIED, "You do not have access to this hotel")
    return member


HotelStaff = Annotated[StaffMember, Depends(staff_of_hotel)]

"""Bearer-token authentication and hotel scoping, as FastAPI dependencies."""

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Path, Request

from api.errors import ApiError
from storage.models import Hotel, Staff
from storage.unit_of_work import UnitOfWork
from workflows.machines.actors import Actor
from workflows.machines.errors import NOT_AUTHENTICATED, PERMISSION_DENIED
from workflows.services.staff_accounts import staff_for_token

MAX_TOKEN_LENGTH = 512


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


def authenticate(token: str | None) -> StaffMember:
    if not token or len(token) > MAX_TOKEN_LENGTH:
        raise ApiError(NOT_AUTHENTICATED, "A valid bearer token is required")
    with UnitOfWork(write=False) as uow:
        staff = staff_for_token(uow.session, token)
        hotel = uow.session.get(Hotel, staff.hotel_id) if staff else None
    if staff is None or hotel is None:
        raise ApiError(NOT_AUTHENTICATED, "A valid bearer token is required")
    return StaffMember(staff=staff, hotel_slug=hotel.slug)


def current_staff(request: Request) -> StaffMember:
    return authenticate(bearer_token(request))


def staff_of_hotel(
    hotel_slug: Annotated[str, Path(max_length=64)],
    member: Annotated[StaffMember, Depends(current_staff)],
) -> StaffMember:
    """The caller, checked to work for the hotel in the path."""
    if member.hotel_slug != hotel_slug:
        raise ApiError(PERMISSION_DENIED, "You do not have access to this hotel")
    return member


HotelStaff = Annotated[StaffMember, Depends(staff_of_hotel)]

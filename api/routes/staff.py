"""Staff management for a hotel's managers (and superusers): list, add, change the role of
and deactivate staff, and issue, list and revoke their API tokens.

Anyone may read their own record and tokens and revoke their own token; only a superuser
may manage a superuser.
"""

from typing import Annotated

from fastapi import Path, Response

from api.auth import HotelStaff
from api.pagination import Paging
from api.responses import BODY_ERRORS, error_responses
from api.routing import SlashOptionalRouter
from api.schemas import MAX_DB_INT
from api.staff_schemas import (
    IssuedTokenResponse,
    NewStaffRequest,
    NewTokenRequest,
    StaffChangeRequest,
    StaffPage,
    StaffSummary,
    TokenList,
    TokenSummary,
)
from workflows.services import staff_accounts as accounts

# Every route of the SlashOptionalRouter names all its path's methods in a 405 (api/routing.py).
router = SlashOptionalRouter(tags=["staff"])

STAFF = "/api/staff/hotels/{hotel_slug}/staff/"
MEMBER = STAFF + "{username}/"
TOKENS = MEMBER + "tokens/"

Username = Annotated[
    str,
    Path(min_length=1, max_length=accounts.MAX_USERNAME_LENGTH, pattern=accounts.USERNAME_PATTERN),
]
TokenId = Annotated[int, Path(ge=1, le=MAX_DB_INT, description="The token's id (token list).")]


def _caller_id(member: HotelStaff) -> int:
    return member.staff.id  # type: ignore[return-value]


@router.get(STAFF, responses=error_responses(), summary="List the hotel's staff (managers)")
def get_staff(hotel_slug: str, member: HotelStaff, paging: Paging) -> StaffPage:
    page = accounts.hotel_staff(
        hotel_slug, _caller_id(member), limit=paging.limit, offset=paging.offset
    )
    return StaffPage.of(page, StaffSummary.of)


@router.post(
    STAFF,
    status_code=201,
    responses=error_responses(*BODY_ERRORS, 409),
    summary="Add a staff member (managers)",
)
def post_staff(hotel_slug: str, member: HotelStaff, body: NewStaffRequest) -> StaffSummary:
    staff = accounts.add_staff_member(
        hotel_slug,
        _caller_id(member),
        username=body.username,
        role=body.role,
        password=body.password,
    )
    return StaffSummary.of(staff)


@router.get(MEMBER, responses=error_responses(404), summary="One staff member")
def get_member(hotel_slug: str, username: Username, member: HotelStaff) -> StaffSummary:
    return StaffSummary.of(accounts.staff_member(hotel_slug, _caller_id(member), username))


@router.patch(
    MEMBER,
    responses=error_responses(*BODY_ERRORS, 404),
    summary="Change a staff member's role, password or access (managers)",
)
def patch_member(
    hotel_slug: str, username: Username, member: HotelStaff, body: StaffChangeRequest
) -> StaffSummary:
    staff = accounts.change_staff_member(
        hotel_slug,
        _caller_id(member),
        username,
        role=body.role,
        is_active=body.is_active,
        password=body.password,
    )
    return StaffSummary.of(staff)


@router.get(TOKENS, responses=error_responses(404), summary="A staff member's tokens")
def get_tokens(hotel_slug: str, username: Username, member: HotelStaff) -> TokenList:
    tokens = accounts.staff_tokens(hotel_slug, _caller_id(member), username)
    return TokenList(items=[TokenSummary.of(token) for token in tokens])


@router.post(
    TOKENS,
    status_code=201,
    responses=error_responses(*BODY_ERRORS, 404, 409),
    summary="Issue a named token for a staff member (managers); its secret is shown once",
)
def post_token(
    hotel_slug: str, username: Username, member: HotelStaff, body: NewTokenRequest
) -> IssuedTokenResponse:
    lifetime = accounts.parse_lifetime(body.expires_in) if body.expires_in else None
    issued = accounts.issue_staff_token(
        hotel_slug, _caller_id(member), username, name=body.name, lifetime=lifetime
    )
    return IssuedTokenResponse.of_issued(issued)


@router.delete(
    TOKENS + "{token_id}/",
    status_code=204,
    response_class=Response,
    responses=error_responses(404),
    summary="Revoke a token: it stops working at once",
)
def delete_token(
    hotel_slug: str, username: Username, token_id: TokenId, member: HotelStaff
) -> Response:
    accounts.revoke_staff_token(hotel_slug, _caller_id(member), username, token_id)
    return Response(status_code=204)

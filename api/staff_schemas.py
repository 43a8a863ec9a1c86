"""Request and response bodies of the staff-management endpoints (api/routes/staff.py).

Passwords and token secrets go in, never out: a token's secret is in the answer that
issues it and nowhere else.
"""

from datetime import UTC
from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field, model_validator

from api.schemas import NO_NUL, RequestBody, ResultPage
from storage.models import STAFF_ROLES, Staff, StaffToken
from storage.timestamps import iso_z, utc_now
from workflows.services.staff_accounts import (
    MAX_PASSWORD_LENGTH,
    MAX_TOKEN_NAME_LENGTH,
    MAX_USERNAME_LENGTH,
    MIN_PASSWORD_LENGTH,
    TOKEN_NAME_PATTERN,
    USERNAME_PATTERN,
    IssuedToken,
)

# A Literal, not an Enum: strict request bodies take the plain JSON string.
StaffRole = Literal[STAFF_ROLES]  # type: ignore[valid-type]
Username = Annotated[
    str,
    Field(
        min_length=1,
        max_length=MAX_USERNAME_LENGTH,
        pattern=USERNAME_PATTERN,
        description="Letters, digits and @ . + - _; unique in the hotel whatever the case.",
        examples=["nora"],
    ),
]
Password = Annotated[
    str,
    Field(
        min_length=MIN_PASSWORD_LENGTH,
        max_length=MAX_PASSWORD_LENGTH,
        pattern=NO_NUL,
        description="For the web pages; stored as an argon2 hash, never shown.",
    ),
]


# --- requests ------------------------------------------------------------------------------


class NewStaffRequest(RequestBody):
    username: Username
    role: StaffRole = Field(default="front_desk", description="What they do.")
    password: Password | None = None


class StaffChangeRequest(RequestBody):
    role: StaffRole | None = Field(default=None, description="The new role.")
    is_active: bool | None = Field(
        default=None, description="false deactivates: their tokens stop working at once."
    )
    password: Password | None = None

    @model_validator(mode="after")
    def _something_to_change(self) -> "StaffChangeRequest":
        if not self.model_fields_set:
            raise ValueError("nothing to change: give role, is_active or password")
        return self


class NewTokenRequest(RequestBody):
    name: str = Field(
        default="default",
        max_length=MAX_TOKEN_NAME_LENGTH,
        pattern=TOKEN_NAME_PATTERN,
        description="What the token is for (e.g. laptop); unique among the member's tokens.",
        examples=["laptop"],
    )
    expires_in: str | None = Field(
        default=None,
        pattern=r"^[1-9][0-9]{0,5}[mhdw]$",
        description="A lifetime: a number and m, h, d or w (90d); without it, no expiry.",
        examples=["90d"],
    )


# --- responses -----------------------------------------------------------------------------


class StaffSummary(BaseModel):
    username: str
    role: StaffRole
    is_superuser: bool
    is_active: bool
    has_password: bool
    created_at: str | None

    @classmethod
    def of(cls, staff: Staff) -> "StaffSummary":
        return cls(
            username=staff.username,
            role=staff.role,
            is_superuser=staff.is_superuser,
            is_active=staff.is_active,
            has_password=staff.password_hash is not None,
            created_at=iso_z(staff.created_at),
        )


class StaffPage(ResultPage[StaffSummary]):
    pass


class TokenSummary(BaseModel):
    id: int
    name: str
    created_at: str | None
    last_used_at: str | None
    expires_at: str | None
    expired: bool

    @classmethod
    def of(cls, token: StaffToken) -> "TokenSummary":
        return cls(**cls._fields(token))

    @staticmethod
    def _fields(token: StaffToken) -> dict[str, Any]:
        expires = token.expires_at
        if expires is not None and expires.tzinfo is None:
            expires = expires.replace(tzinfo=UTC)
        return {
            "id": token.id,
            "name": token.name,
            "created_at": iso_z(token.created_at),
            "last_used_at": iso_z(token.last_used_at),
            "expires_at": iso_z(token.expires_at),
            "expired": expires is not None and expires <= utc_now(),
        }


class TokenList(BaseModel):
    items: list[TokenSummary]


class IssuedTokenResponse(TokenSummary):
    token: str = Field(description="The secret: shown in this answer only, never again.")

    @classmethod
    def of_issued(cls, issued: IssuedToken) -> "IssuedTokenResponse":
        return cls(**cls._fields(issued.token), token=issued.secret)

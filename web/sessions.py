"""Who is signed in to the pages, and proof that a post came from them.

- The session cookie (`turnover_session`) is HttpOnly, SameSite=Lax, Secure when the page
  is served over https, path `/`, and lives as long as the session may
  (workflows/services/board_sessions.py keeps the session itself, and ends it).
- Every post of a page, and every state-changing fetch of its script, carries the
  session's CSRF token (a synchroniser token: a form field `csrf_token`, or the header
  `X-CSRF-Token`); a post whose `Origin` is another site is refused as well.
- The sign-in form, before any session exists, carries a token that must match a
  short-lived cookie of its own (`turnover_sign_in`, a double-submit token), so another
  site cannot sign a browser in to an account of its choosing.
"""

import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated
from urllib.parse import parse_qs

from fastapi import Depends, Path, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from web.refusals import PageError, SignInRequired
from workflows.machines.actors import Actor
from workflows.machines.errors import CSRF_TOKEN_INVALID, PERMISSION_DENIED
from workflows.services.analytics import may_read_analytics
from workflows.services.board_sessions import (
    SESSION_COOKIE,
    SignedIn,
    csrf_token_matches,
    signed_in,
)

SIGN_IN_COOKIE = "turnover_sign_in"
SIGN_IN_COOKIE_SECONDS = 3600
CSRF_HEADER = "x-csrf-token"
FORM_MEDIA_TYPE = "application/x-www-form-urlencoded"
# For the app-wide request check (api/request_checks.py): these routes read a form.
FORM_BODY = {"requestBody": {"content": {FORM_MEDIA_TYPE: {}}}}
MAX_FORM_FIELDS = 20


@dataclass(frozen=True)
class PageUser:
    """The signed-in member of a page request."""

    session: SignedIn

    @property
    def username(self) -> str:
        return self.session.staff.username

    @property
    def role(self) -> str:
        return self.session.staff.role

    @property
    def is_superuser(self) -> bool:
        return self.session.staff.is_superuser

    @property
    def hotel_slug(self) -> str:
        return self.session.hotel.slug

    @property
    def hotel_name(self) -> str:
        return self.session.hotel.name or self.session.hotel.slug

    @property
    def csrf_token(self) -> str:
        return self.session.csrf_token

    @property
    def actor(self) -> Actor:
        return Actor.from_staff(self.session.staff)

    @property
    def may_read_analytics(self) -> bool:
        return may_read_analytics(self.actor)


def session_of(request: Request) -> PageUser | None:
    """The signed-in member, or None (no cookie, or a session that ended)."""
    session = signed_in(request.cookies.get(SESSION_COOKIE))
    return PageUser(session) if session is not None else None


async def page_user(request: Request) -> PageUser:
    user = await run_in_threadpool(session_of, request)
    if user is None:
        raise SignInRequired
    return user


async def hotel_user(
    hotel_slug: Annotated[str, Path(max_length=64)],
    user: Annotated[PageUser, Depends(page_user)],
) -> PageUser:
    """The signed-in member, who must work for the hotel in the path."""
    if user.hotel_slug != hotel_slug:
        raise PageError(
            403,
            PERMISSION_DENIED.name,
            f"You are signed in to {user.hotel_name}; this page belongs to another hotel.",
        )
    return user


HotelUser = Annotated[PageUser, Depends(hotel_user)]


async def form_fields(request: Request) -> dict[str, str]:
    """The posted form (urlencoded), first value of each field."""
    media_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    body = await request.body()
    if body and media_type != FORM_MEDIA_TYPE:
        raise PageError(415, "UNSUPPORTED_MEDIA_TYPE", "This address takes the pages' forms only.")
    try:
        parsed = parse_qs(
            body.decode("utf-8"), keep_blank_values=True, max_num_fields=MAX_FORM_FIELDS
        )
    except (UnicodeDecodeError, ValueError) as error:
        raise PageError(400, "BAD_REQUEST", "The form could not be read.") from error
    return {name: values[0] for name, values in parsed.items()}


Form = Annotated[dict[str, str], Depends(form_fields)]


def _from_another_site(request: Request) -> bool:
    origin = request.headers.get("origin")
    if origin is None:  # not sent by older browsers on same-origin posts
        return False
    own = f"{request.url.scheme}://{request.headers.get('host', '')}"
    return origin != own


def check_csrf(request: Request, user: PageUser, form: dict[str, str]) -> None:
    presented = request.headers.get(CSRF_HEADER) or form.get("csrf_token")
    if _from_another_site(request) or not csrf_token_matches(user.session, presented):
        raise PageError(403, CSRF_TOKEN_INVALID.name, CSRF_TOKEN_INVALID.message)


async def posting_user(request: Request, user: HotelUser, form: Form) -> PageUser:
    """The signed-in member of a post, whose CSRF token matched."""
    check_csrf(request, user, form)
    return user


PostingUser = Annotated[PageUser, Depends(posting_user)]


# --- cookies ------------------------------------------------------------------------------


def _secure(request: Request) -> bool:
    return request.url.scheme == "https"


def set_session_cookie(
    response: Response, request: Request, secret: str, expires_at: datetime
) -> None:
    response.set_cookie(
        SESSION_COOKIE,
        secret,
        expires=expires_at,
        path="/",
        httponly=True,
        samesite="lax",
        secure=_secure(request),
    )


def clear_session_cookie(response: Response, request: Request) -> None:
    response.delete_cookie(
        SESSION_COOKIE, path="/", httponly=True, samesite="lax", secure=_secure(request)
    )


def sign_in_token(request: Request) -> str:
    """The sign-in form's token: the browser's own when it has one, else a new one."""
    current = request.cookies.get(SIGN_IN_COOKIE, "")
    return current if 20 <= len(current) <= 64 else secrets.token_urlsafe(32)


def set_sign_in_cookie(response: Response, request: Request, token: str) -> None:
    response.set_cookie(
        SIGN_IN_COOKIE,
        token,
        max_age=SIGN_IN_COOKIE_SECONDS,
        path="/",
        httponly=True,
        samesite="strict",
        secure=_secure(request),
    )


def check_sign_in_token(request: Request, form: dict[str, str]) -> None:
    cookie = request.cookies.get(SIGN_IN_COOKIE, "")
    presented = form.get("csrf_token", "")
    if (
        _from_another_site(request)
        or not cookie
        or not hmac.compare_digest(cookie.encode(), presented.encode())
    ):
        raise PageError(403, CSRF_TOKEN_INVALID.name, CSRF_TOKEN_INVALID.message)

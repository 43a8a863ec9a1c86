"""`/`: the sign-in page; `POST /sign-in`, `POST /sign-out`."""

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from api.auth import authenticate_password
from api.errors import ApiError
from web.sessions import (
    FORM_BODY,
    SIGN_IN_COOKIE,
    Form,
    check_csrf,
    check_sign_in_token,
    clear_session_cookie,
    session_of,
    set_session_cookie,
    set_sign_in_cookie,
    sign_in_token,
)
from web.templating import render_page
from workflows.services.board_sessions import SESSION_COOKIE, end_session, start_session

router = APIRouter(include_in_schema=False)

LAST_HOTEL_COOKIE = "turnover_hotel"
MAX_FIELD = {"hotel": 64, "username": 150, "password": 256}


def board_url(hotel_slug: str) -> str:
    return f"/hotels/{hotel_slug}/board"


def _safe_next(target: str | None) -> str | None:
    """Only a path of the pages themselves: never another site."""
    if target and target.startswith("/hotels/") and "//" not in target and "\\" not in target:
        return target
    return None


def _sign_in_page(
    request: Request,
    *,
    message: str | None = None,
    notice: str | None = None,
    hotel: str = "",
    username: str = "",
    next_path: str | None = None,
    status_code: int = 200,
) -> Response:
    token = sign_in_token(request)
    page = render_page(
        request,
        "sign_in.html",
        {
            "title": "Sign in",
            "message": message,
            "notice": notice,
            "hotel": hotel or request.cookies.get(LAST_HOTEL_COOKIE, "")[:64],
            "username": username,
            "next_path": next_path or "",
            "csrf_token": token,
        },
        status_code=status_code,
    )
    set_sign_in_cookie(page, request, token)
    return page


@router.get("/")
async def sign_in_page(
    request: Request,
    next: Annotated[str | None, Query(max_length=300)] = None,
    signed_out: Annotated[bool, Query()] = False,
) -> Response:
    user = await run_in_threadpool(session_of, request)
    if user is not None:
        return RedirectResponse(_safe_next(next) or board_url(user.hotel_slug), status_code=303)
    notice = "You are signed out." if signed_out else None
    return _sign_in_page(request, notice=notice, next_path=_safe_next(next))


@router.post("/sign-in", openapi_extra=FORM_BODY)
async def sign_in(request: Request, form: Form) -> Response:
    check_sign_in_token(request, form)
    fields = {name: form.get(name, "") for name in MAX_FIELD}
    hotel, username = fields["hotel"].strip(), fields["username"].strip()
    next_path = _safe_next(form.get("next"))
    again = {"hotel": hotel, "username": username, "next_path": next_path}
    if not all(fields.values()):
        message = "Enter your hotel, your username and your password."
        return _sign_in_page(request, message=message, status_code=422, **again)
    if any(len(fields[name]) > limit for name, limit in MAX_FIELD.items()):
        message = "Wrong hotel, username or password."
        return _sign_in_page(request, message=message, status_code=401, **again)
    try:
        member = await run_in_threadpool(
            authenticate_password, request, hotel, username, fields["password"]
        )
    except ApiError as refused:
        message = "Wrong hotel, username or password." if refused.status == 401 else refused.message
        page = _sign_in_page(request, message=message, status_code=refused.status, **again)
        page.headers.update(refused.headers or {})
        return page
    await run_in_threadpool(end_session, request.cookies.get(SESSION_COOKIE))  # no fixation
    started = await run_in_threadpool(start_session, member.staff.id)
    response = RedirectResponse(next_path or board_url(member.hotel_slug), status_code=303)
    set_session_cookie(response, request, started.secret, started.expires_at)
    response.delete_cookie(SIGN_IN_COOKIE, path="/")
    response.set_cookie(
        LAST_HOTEL_COOKIE, member.hotel_slug, max_age=400 * 86400, httponly=True, samesite="lax"
    )
    return response


@router.post("/sign-out", openapi_extra=FORM_BODY)
async def sign_out(request: Request, form: Form) -> Response:
    user = await run_in_threadpool(session_of, request)
    if user is not None:
        check_csrf(request, user, form)
        await run_in_threadpool(end_session, request.cookies.get(SESSION_COOKIE))
    response = RedirectResponse("/?signed_out=true", status_code=303)
    clear_session_cookie(response, request)
    return response

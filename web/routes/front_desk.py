"""`/hotels/{hotel_slug}/front-desk`: the day's arrivals, departures and guests in house,
with check-in, checkout, bulk check-in, room move and the undo of a check-in or a checkout.

Every button is one of the booking's `allowed_events` for the signed-in member; every post
goes through the front desk API's services (workflows/services/*), CSRF-checked.
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Annotated, Any
from urllib.parse import parse_qs

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from storage.timestamps import utc_now
from web.errors import wants_json
from web.refusals import PageError
from web.sessions import FORM_BODY, Form, HotelUser, PageUser, PostingUser
from web.templating import render_page, templates
from workflows.machines.errors import PERMISSION_DENIED
from workflows.machines.hotel_day import hotel_today
from workflows.services.bulk_check_in import CheckInRequestItem, bulk_check_in
from workflows.services.check_in import check_in_booking
from workflows.services.checkout import BookingRef, checkout_booking
from workflows.services.day_lists import (
    DayPage,
    DeskItem,
    arrivals,
    departures,
    in_house,
    recent_checkouts,
)
from workflows.services.front_desk import move_booking, reinstate_booking, revert_check_in
from workflows.services.queries import list_rooms

router = APIRouter(include_in_schema=False)

FRONT_DESK_PAGE = "/hotels/{hotel_slug}/front-desk"
BOOKING_ACTION = FRONT_DESK_PAGE + "/bookings/{booking_id}/{action}"
LIST_LIMIT = 200
READY = "READY_FOR_GUEST"
SOURCE = "front_desk_page"
DayQuery = Annotated[str | None, Query(max_length=10)]


def _front_desk_member(user: PageUser) -> None:
    if not user.may_use_front_desk:
        raise PageError(403, PERMISSION_DENIED.name, "The front desk page is the front desk's.")


def _day(value: str | None) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError as error:
        raise PageError(
            422, "VALIDATION_ERROR", f"'{value}' is not a date (YYYY-MM-DD)."
        ) from error


@dataclass(frozen=True)
class DeskLists:
    day: date
    arrivals: DayPage
    departures: DayPage
    in_house: DayPage
    checked_out: DayPage
    ready_rooms: list[int]  # where a guest in house may move
    free_rooms: list[int]  # ... and those no other arrival of the day holds: to check in to
    today: date

    def check_in_offered(self, item: DeskItem, may_check_in: bool) -> bool:
        """The machine's `check_in`, or (it refused only for want of a ready room of the
        booking's own) a ready room to choose, today, for a member who may check in."""
        if "check_in" in item.allowed_events:
            return True
        without_ready_room = item.room is None or item.room.room_status != READY
        return (
            may_check_in
            and bool(self.free_rooms)
            and self.day == self.today
            and item.booking.status == "CONFIRMED"
            and without_ready_room
        )


def desk_lists(hotel_slug: str, user: PageUser, day: date | None) -> DeskLists:
    common: dict[str, Any] = {"hotel_slug": hotel_slug, "actor": user.actor, "limit": LIST_LIMIT}
    arriving = arrivals(day=day, offset=0, **common)
    day = arriving.day
    rooms = list_rooms(hotel_slug=hotel_slug, status=READY, limit=LIST_LIMIT, offset=0)
    # a ready room another of the day's arrivals holds is not offered to anyone else
    held = {item.room.room_number for item in arriving.items if item.room is not None}
    return DeskLists(
        day=day,
        arrivals=arriving,
        departures=departures(day=day, offset=0, **common),
        in_house=in_house(offset=0, **common),
        checked_out=recent_checkouts(day=day, offset=0, **common),
        ready_rooms=[room.room_number for room in rooms.items],
        free_rooms=[room.room_number for room in rooms.items if room.room_number not in held],
        today=hotel_today(user.session.hotel, utc_now()),
    )


def _context(lists: DeskLists, user: PageUser) -> dict[str, Any]:
    return {"lists": lists, "hotel_slug": user.hotel_slug, "user": user}


@router.get(FRONT_DESK_PAGE)
async def front_desk_page(
    request: Request, hotel_slug: str, user: HotelUser, day: DayQuery = None
) -> Response:
    _front_desk_member(user)
    lists = await run_in_threadpool(desk_lists, hotel_slug, user, _day(day))
    return render_page(
        request,
        "front_desk.html",
        {"title": "Front desk", "section": "front-desk", **_context(lists, user)},
        user=user,
    )


@router.get(FRONT_DESK_PAGE + "/lists")
async def front_desk_lists(
    request: Request, hotel_slug: str, user: HotelUser, day: DayQuery = None
) -> Response:
    """The lists alone: the page's script asks for them again when something changed."""
    _front_desk_member(user)
    lists = await run_in_threadpool(desk_lists, hotel_slug, user, _day(day))
    html = templates.env.get_template("front_desk/lists.html").render(
        request=request, **_context(lists, user)
    )
    return Response(html, media_type="text/html", headers={"Cache-Control": "no-store"})


def _room_number(form: dict[str, str], field: str, *, required: bool) -> int | None:
    value = form.get(field, "").strip()
    if not value:
        if required:
            raise PageError(422, "VALIDATION_ERROR", "Choose a room.")
        return None
    if not value.isdigit() or len(value) > 9:
        raise PageError(422, "VALIDATION_ERROR", f"'{value}' is not a room number.")
    return int(value)


def _reason(form: dict[str, str]) -> str | None:
    reason = form.get("reason", "").strip()
    if len(reason) > 500:
        raise PageError(422, "VALIDATION_ERROR", "Keep the reason under 500 characters.")
    return reason or None


def _check_in(ref: BookingRef, user: PageUser, form: dict[str, str]) -> str:
    outcome = check_in_booking(
        booking=ref,
        performed_by=user.actor,
        room_number=_room_number(form, "room_number", required=False),
        source=SOURCE,
    )
    room = outcome.room.room_number if outcome.room else "?"
    return f"{ref.booking_id} checked in to room {room}."


def _check_out(ref: BookingRef, user: PageUser, form: dict[str, str]) -> str:
    checkout_booking(booking=ref, performed_by=user.actor, source=SOURCE)
    return f"{ref.booking_id} checked out."


def _move(ref: BookingRef, user: PageUser, form: dict[str, str]) -> str:
    to_room = _room_number(form, "to_room_number", required=True)
    assert to_room is not None  # required
    reason = _reason(form)
    if reason is None:
        raise PageError(422, "VALIDATION_ERROR", "Say why the guest moves (a reason).")
    move_booking(
        booking=ref, to_room_number=to_room, performed_by=user.actor, reason=reason, source=SOURCE
    )
    return f"{ref.booking_id} moved to room {to_room}."


def _revert(ref: BookingRef, user: PageUser, form: dict[str, str]) -> str:
    revert_check_in(booking=ref, performed_by=user.actor, note=_reason(form), source=SOURCE)
    return f"The check-in of {ref.booking_id} was undone."


def _reinstate(ref: BookingRef, user: PageUser, form: dict[str, str]) -> str:
    reinstate_booking(booking=ref, performed_by=user.actor, note=_reason(form), source=SOURCE)
    return f"{ref.booking_id} is in house again."


ACTIONS: dict[str, Callable[[BookingRef, PageUser, dict[str, str]], str]] = {
    "check-in": _check_in,
    "check-out": _check_out,
    "move": _move,
    "revert-check-in": _revert,
    "reinstate": _reinstate,
}


def _done(request: Request, hotel_slug: str, form: dict[str, str], message: str) -> Response:
    if wants_json(request):
        return JSONResponse({"message": message})
    day = form.get("day", "")
    query = f"?day={day}" if _day(day) else ""
    return RedirectResponse(FRONT_DESK_PAGE.format(hotel_slug=hotel_slug) + query, 303)


@router.post(BOOKING_ACTION, openapi_extra=FORM_BODY)
async def booking_action(
    request: Request,
    hotel_slug: str,
    booking_id: Annotated[str, Path(max_length=64)],
    action: Annotated[str, Path(max_length=32)],
    user: PostingUser,
    form: Form,
) -> Response:
    _front_desk_member(user)
    perform = ACTIONS.get(action)
    if perform is None:
        raise PageError(404, "NOT_FOUND", f"The front desk has no action '{action}'.")
    ref = BookingRef(hotel_slug, booking_id)
    message = await run_in_threadpool(perform, ref, user, form)
    return _done(request, hotel_slug, form, message)


def _bulk(hotel_slug: str, user: PageUser, booking_ids: list[str]) -> str:
    result = bulk_check_in(
        hotel_slug=hotel_slug,
        bookings=[CheckInRequestItem(booking_id) for booking_id in booking_ids],
        performed_by=user.actor,
        auto_assign=True,
        source=SOURCE,
    )
    parts = [
        ", ".join(f"{a.booking_id} to room {a.room_number}" for a in result.assigned_rooms)
        or "Nobody checked in"
    ]
    parts += [f"{s.booking_id}: {s.reason}" for s in result.skipped]
    parts += [f"{e.booking_id}: {e.message}" for e in result.errors]
    return ". ".join(parts) + "."


@router.post(FRONT_DESK_PAGE + "/bulk-check-in", openapi_extra=FORM_BODY)
async def bulk_check_in_action(
    request: Request, hotel_slug: str, user: PostingUser, form: Form
) -> Response:
    _front_desk_member(user)
    body = (await request.body()).decode("utf-8")
    chosen = [b for b in parse_qs(body).get("booking_id", []) if 0 < len(b) <= 64]
    if not chosen:
        raise PageError(422, "VALIDATION_ERROR", "Choose the arrivals to check in.")
    message = await run_in_threadpool(_bulk, hotel_slug, user, chosen)
    return _done(request, hotel_slug, form, message)

"""`/hotels/{hotel_slug}/board`: every room as a tile, a room opened, its actions."""

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from api.path_params import RoomNumber
from web.errors import wants_json
from web.refusals import PageError
from web.sessions import FORM_BODY, Form, HotelUser, PostingUser
from web.templating import STATUS_LABELS, render_page, status_label, templates
from workflows.services.board import (
    ROOM_STATES,
    Board,
    RoomPanel,
    hotel_board,
    perform_room_action,
    room_panel,
)

router = APIRouter(include_in_schema=False)

BOARD = "/hotels/{hotel_slug}/board"
ROOM = BOARD + "/rooms/{room_number}"
StatusFilter = Annotated[str | None, Query(max_length=32)]
FloorFilter = Annotated[str | None, Query(max_length=8)]


def _filters(
    board: Board, status: str | None, floor: str | None, assignee: str | None
) -> dict[str, Any]:
    """The filters as chosen, when they name a state, a floor or a housekeeper of this
    board (else all)."""
    floors = [number for number, _ in board.floors]
    chosen_floor = int(floor) if floor and floor.lstrip("-").isdigit() else None
    return {
        "status": status if status in ROOM_STATES else "",
        "floor": chosen_floor if chosen_floor in floors else None,
        "floors": floors,
        "assignee": assignee if assignee in board.assignees else "",
    }


@router.get(BOARD)
async def board_page(
    request: Request,
    hotel_slug: str,
    user: HotelUser,
    status: StatusFilter = None,
    floor: FloorFilter = None,
    assignee: Annotated[str | None, Query(max_length=150)] = None,
) -> Response:
    board = await run_in_threadpool(hotel_board, hotel_slug)
    return render_page(
        request,
        "board.html",
        {
            "title": "Board",
            "section": "board",
            "board": board,
            "filters": _filters(board, status, floor, assignee),
            "states": ROOM_STATES,
            "labels": STATUS_LABELS,
        },
        user=user,
    )


@router.get(BOARD + "/rooms.json")
async def board_state(hotel_slug: str, user: HotelUser) -> JSONResponse:
    """The rooms' states now: the board's script reads it once its event stream is open,
    so nothing committed between the page and the stream is missed."""
    board = await run_in_threadpool(hotel_board, hotel_slug)
    rooms = [{"room_number": t.room_number, "status": t.status} for t in board.tiles]
    return JSONResponse({"rooms": rooms}, headers={"Cache-Control": "no-store"})


def _panel_html(request: Request, panel: RoomPanel, user: Any, message: str | None = None) -> str:
    template = templates.env.get_template("room_panel.html")
    return template.render(request=request, panel=panel, user=user, message=message)


@router.get(ROOM + "/tile")
async def room_tile(
    request: Request, hotel_slug: str, room_number: RoomNumber, user: HotelUser
) -> Response:
    """A tile's inside, as the board shows it now: sent again when the room's housekeeping
    tasks or flags change (the board's script asks for it on those events)."""
    board = await run_in_threadpool(hotel_board, hotel_slug)
    tile = next((t for t in board.tiles if t.room_number == room_number), None)
    if tile is None:
        raise PageError(404, "ROOM_NOT_FOUND", f"Room {room_number} not found")
    html = templates.env.get_template("board/tile_link.html").render(
        request=request, tile=tile, hotel_slug=hotel_slug
    )
    headers = {"Cache-Control": "no-store", "X-Tile-Assignee": tile.assignee or ""}
    return Response(html, media_type="text/html", headers=headers)


@router.get(ROOM)
async def room_page(
    request: Request, hotel_slug: str, room_number: RoomNumber, user: HotelUser
) -> Response:
    """The room on a page of its own (the board opens it in a dialog instead)."""
    panel = await run_in_threadpool(room_panel, hotel_slug, room_number, user.actor)
    return render_page(
        request,
        "room.html",
        {"title": f"Room {room_number}", "section": "board", "panel": panel},
        user=user,
    )


@router.get(ROOM + "/panel")
async def room_panel_fragment(
    request: Request, hotel_slug: str, room_number: RoomNumber, user: HotelUser
) -> Response:
    panel = await run_in_threadpool(room_panel, hotel_slug, room_number, user.actor)
    return Response(
        _panel_html(request, panel, user),
        media_type="text/html",
        headers={"Cache-Control": "no-store"},
    )


@router.post(ROOM + "/actions", openapi_extra=FORM_BODY)
async def room_action(
    request: Request, hotel_slug: str, room_number: RoomNumber, user: PostingUser, form: Form
) -> Response:
    event = form.get("event", "")
    if not event or len(event) > 64:
        raise PageError(422, "VALIDATION_ERROR", "Choose what to do to the room.")
    panel = await run_in_threadpool(perform_room_action, hotel_slug, room_number, event, user.actor)
    if not wants_json(request):
        return RedirectResponse(ROOM.format(hotel_slug=hotel_slug, room_number=room_number), 303)
    return JSONResponse(
        {
            "room_number": panel.room.room_number,
            "status": panel.room.room_status,
            "status_label": status_label(panel.room.room_status),
            "panel": _panel_html(request, panel, user),
        }
    )

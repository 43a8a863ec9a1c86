"""`/hotels/{hotel_slug}/my-tasks`: the day's housekeeping tasks in priority order, made for
a phone. A housekeeper sees their own tasks and only the buttons the task machine would
accept from them; a supervisor or manager sees every task with its assignee.
"""

from typing import Annotated, Any

from fastapi import APIRouter, Path, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from web.errors import wants_json
from web.refusals import PageError
from web.sessions import FORM_BODY, Form, HotelUser, PageUser, PostingUser
from web.templating import render_page, templates
from workflows.machines.errors import PERMISSION_DENIED
from workflows.services.housekeeping_tasks import (
    DayTasks,
    list_tasks,
    set_room_flags,
    transition_task,
)

router = APIRouter(include_in_schema=False)

MY_TASKS = "/hotels/{hotel_slug}/my-tasks"
TASK_EVENTS = ("start", "pause", "resume", "finish", "skip", "pass_inspection", "fail_inspection")
SOURCE = "my_tasks_page"
EVENT_WORDS = {
    "start": "Started",
    "pause": "Paused",
    "resume": "Resumed",
    "finish": "Finished",
    "skip": "Skipped",
    "pass_inspection": "Passed",
    "fail_inspection": "Failed",
}


def _housekeeping_member(user: PageUser) -> None:
    if not user.may_use_my_tasks:
        raise PageError(403, PERMISSION_DENIED.name, "My tasks is housekeeping's page.")


def day_tasks(hotel_slug: str, user: PageUser) -> DayTasks:
    assignee = "me" if user.sees_own_tasks_only else None
    return list_tasks(hotel_slug=hotel_slug, actor=user.actor, assignee=assignee)


def _context(tasks: DayTasks, user: PageUser) -> dict[str, Any]:
    return {
        "tasks": tasks,
        "hotel_slug": user.hotel_slug,
        "user": user,
        "everyone": not user.sees_own_tasks_only,
        "task_events": TASK_EVENTS,
    }


@router.get(MY_TASKS)
async def my_tasks_page(request: Request, hotel_slug: str, user: HotelUser) -> Response:
    _housekeeping_member(user)
    tasks = await run_in_threadpool(day_tasks, hotel_slug, user)
    title = "My tasks" if user.sees_own_tasks_only else "Tasks"
    return render_page(
        request,
        "my_tasks.html",
        {"title": title, "section": "my-tasks", **_context(tasks, user)},
        user=user,
    )


@router.get(MY_TASKS + "/list")
async def my_tasks_list(request: Request, hotel_slug: str, user: HotelUser) -> Response:
    """The list alone: the page's script asks for it again when a task changed."""
    _housekeeping_member(user)
    tasks = await run_in_threadpool(day_tasks, hotel_slug, user)
    html = templates.env.get_template("my_tasks/list.html").render(
        request=request, **_context(tasks, user)
    )
    return Response(html, media_type="text/html", headers={"Cache-Control": "no-store"})


def _done(request: Request, hotel_slug: str, message: str) -> Response:
    if wants_json(request):
        return JSONResponse({"message": message})
    return RedirectResponse(MY_TASKS.format(hotel_slug=hotel_slug), 303)


def _note(form: dict[str, str]) -> str | None:
    note = form.get("reason", "").strip()
    if len(note) > 500:
        raise PageError(422, "VALIDATION_ERROR", "Keep the reason under 500 characters.")
    return note or None


@router.post(MY_TASKS + "/{task_id}/events", openapi_extra=FORM_BODY)
async def task_event(
    request: Request,
    hotel_slug: str,
    task_id: Annotated[int, Path(ge=1, le=2**31 - 1)],
    user: PostingUser,
    form: Form,
) -> Response:
    _housekeeping_member(user)
    event = form.get("event", "")
    if event not in TASK_EVENTS:
        raise PageError(422, "VALIDATION_ERROR", "Choose what to do with the task.")
    note = _note(form)
    if event == "skip" and note is None:
        raise PageError(422, "VALIDATION_ERROR", "Say why the room is skipped (a reason).")
    view = await run_in_threadpool(
        lambda: transition_task(
            hotel_slug=hotel_slug,
            task_id=task_id,
            event=event,
            performed_by=user.actor,
            note=note,
            source=SOURCE,
        )
    )
    return _done(
        request, hotel_slug, f"Room {view.room.room_number}: {EVENT_WORDS[event].lower()}."
    )


@router.post(MY_TASKS + "/rooms/{room_number}/dnd", openapi_extra=FORM_BODY)
async def room_dnd(
    request: Request,
    hotel_slug: str,
    room_number: Annotated[int, Path(ge=1, le=2**31 - 1)],
    user: PostingUser,
    form: Form,
) -> Response:
    _housekeeping_member(user)
    on = form.get("do_not_disturb") == "on"
    await run_in_threadpool(
        lambda: set_room_flags(
            hotel_slug=hotel_slug,
            room_number=room_number,
            flags={"do_not_disturb": on},
            performed_by=user.actor,
            note="set on the my-tasks page",
        )
    )
    state = "Do not disturb" if on else "Do not disturb cleared"
    return _done(request, hotel_slug, f"Room {room_number}: {state}.")

"""Housekeeping: the day's plan, assignment, a housekeeper's list, task events, room flags."""

from datetime import date as Date
from typing import Annotated, Literal

from fastapi import Path, Query

from api.auth import HotelStaff
from api.housekeeping_schemas import (
    AssignRequest,
    PlanRequest,
    PlanResponse,
    RoomFlags,
    RoomFlagsRequest,
    TaskList,
    TaskSummary,
    TaskTransitionRequest,
)
from api.path_params import RoomNumber
from api.responses import BODY_ERRORS, error_responses
from api.routing import SlashOptionalRouter
from api.schemas import MAX_DB_INT
from api.unit_of_work import RequestUnitOfWork
from workflows.machines.errors import VALIDATION_ERROR, DomainError
from workflows.services.housekeeping_plan import plan_day
from workflows.services.housekeeping_tasks import (
    DayTasks,
    assign_tasks,
    auto_assign,
    list_tasks,
    set_room_flags,
    transition_task,
)

router = SlashOptionalRouter(tags=["housekeeping"])

HOUSEKEEPING = "/api/staff/hotels/{hotel_slug}/housekeeping/"
TASK = HOUSEKEEPING + "tasks/{task_id}/"
DATE_PATTERN = r"^\d{4}-\d{2}-\d{2}$"
TaskId = Annotated[int, Path(ge=1, le=MAX_DB_INT, description="The task's id (task list).")]
TaskStatus = Literal["OPEN", "IN_PROGRESS", "PAUSED", "DONE", "FAILED", "SKIPPED", "CANCELLED"]


@router.post(
    HOUSEKEEPING + "plan/",
    responses=error_responses(*BODY_ERRORS),
    summary="Plan the day: create its STAYOVER tasks (idempotent; supervisors)",
)
def post_plan(
    hotel_slug: str, member: HotelStaff, uow: RequestUnitOfWork, body: PlanRequest | None = None
) -> PlanResponse:
    day = body.date if body else None
    return PlanResponse.of(
        plan_day(hotel_slug=hotel_slug, day=day, performed_by=member.actor, uow=uow)
    )


@router.post(
    HOUSEKEEPING + "assign/",
    responses=error_responses(*BODY_ERRORS, 404, 409),
    summary="Assign tasks to a housekeeper, or share the day's out (supervisors)",
)
def post_assign(
    hotel_slug: str, member: HotelStaff, uow: RequestUnitOfWork, body: AssignRequest
) -> TaskList:
    if body.auto:
        found = auto_assign(
            hotel_slug=hotel_slug,
            housekeepers=body.housekeepers or [],
            performed_by=member.actor,
            day=body.date,
            uow=uow,
        )
    else:
        found = assign_tasks(
            hotel_slug=hotel_slug,
            task_ids=body.task_ids or [],
            assignee=body.assignee,
            performed_by=member.actor,
            uow=uow,
        )
    return _task_list(found)


@router.get(
    HOUSEKEEPING + "tasks/",
    responses=error_responses(404),
    summary="The day's tasks in priority order",
)
def get_tasks(
    hotel_slug: str,
    member: HotelStaff,
    uow: RequestUnitOfWork,
    date: Annotated[
        str | None,
        Query(pattern=DATE_PATTERN, description="Service day, YYYY-MM-DD; the hotel's today"),
    ] = None,
    status: Annotated[TaskStatus | None, Query()] = None,
    assignee: Annotated[
        str | None, Query(max_length=150, description="A username, or `me`")
    ] = None,
) -> TaskList:
    found = list_tasks(
        hotel_slug=hotel_slug,
        actor=member.actor,
        day=_service_day(date),
        status=status,
        assignee=assignee,
        uow=uow,
    )
    return _task_list(found)


@router.post(
    TASK + "transitions/",
    responses=error_responses(*BODY_ERRORS, 404, 409),
    summary="Send an event to a task (start, pause, finish, pass_inspection, skip, ...)",
)
def post_task_transition(
    hotel_slug: str,
    task_id: TaskId,
    member: HotelStaff,
    uow: RequestUnitOfWork,
    body: TaskTransitionRequest,
) -> TaskSummary:
    view = transition_task(
        hotel_slug=hotel_slug,
        task_id=task_id,
        event=body.event,
        performed_by=member.actor,
        note=body.note,
        uow=uow,
    )
    return TaskSummary.of(view)


@router.post(
    "/api/staff/hotels/{hotel_slug}/rooms/{room_number}/flags/",
    responses=error_responses(*BODY_ERRORS, 404),
    summary="Set a room's Do Not Disturb, make-up-room or service-declined flag",
    tags=["rooms"],
)
def post_room_flags(
    hotel_slug: str,
    room_number: RoomNumber,
    member: HotelStaff,
    uow: RequestUnitOfWork,
    body: RoomFlagsRequest,
) -> RoomFlags:
    view = set_room_flags(
        hotel_slug=hotel_slug,
        room_number=room_number,
        flags=body.flags(),
        performed_by=member.actor,
        note=body.note,
        uow=uow,
    )
    return RoomFlags.of(view)


def _service_day(value: str | None) -> Date | None:
    if value is None:
        return None
    try:
        return Date.fromisoformat(value)
    except ValueError:
        raise DomainError(f"{value} is not a date", code=VALIDATION_ERROR) from None


def _task_list(found: DayTasks) -> TaskList:
    items = [TaskSummary.of(view) for view in found.views]
    return TaskList(date=found.day, items=items, total=len(items))

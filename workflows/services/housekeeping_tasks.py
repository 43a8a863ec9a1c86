"""Housekeeping tasks as staff use them: the day's list in priority order, a task's events,
assignment (by hand or shared out), and a room's housekeeping flags."""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from sqlalchemy import update
from sqlalchemy.orm.attributes import set_committed_value
from sqlmodel import Session, col, or_, select

from storage.models import (
    ACTIVE_TASK_STATUSES,
    Booking,
    Hotel,
    HousekeepingTask,
    OutboxEvent,
    Room,
    Staff,
    TransitionLog,
    floor_of,
)
from storage.unit_of_work import UnitOfWork
from workflows.machines.actors import SUPERVISION, Actor, Role
from workflows.machines.base import TransitionContext
from workflows.machines.errors import (
    NOT_HOUSEKEEPING_STAFF,
    PERMISSION_DENIED,
    STAFF_NOT_FOUND,
    TRANSITION_NOT_ALLOWED,
    ConcurrentTransition,
    DomainError,
    TaskNotFound,
    TransitionRefused,
)
from workflows.machines.hotel_day import hotel_today
from workflows.machines.housekeeping_task import (
    INSPECTION,
    HousekeepingTaskLifecycle,
    record_assigned,
)
from workflows.machines.realtime_events import (
    ROOM_FLAGS_CHANGED,
    hotel_channel,
    room_flags,
    room_flags_changed,
)
from workflows.machines.room_turnover import RoomTurnover
from workflows.services.housekeeping_order import (
    Priority,
    Work,
    order_key,
    priority_of,
    share_out,
)
from workflows.services.retries import retry_on_conflict
from workflows.services.scope import HotelScope, hotel_scope

HOUSEKEEPING_ROLES = (Role.HOUSEKEEPER, Role.SUPERVISOR, Role.MANAGER)
ROOM_FLAG_NAMES = ("do_not_disturb", "make_up_room", "service_declined")


def require_supervision(actor: Actor, what: str) -> None:
    """Planning and assigning are a supervisor's (or manager's) work."""
    if not actor.may_fire(SUPERVISION):
        raise DomainError(f"A {actor.role.value} may not {what}", code=PERMISSION_DENIED)


@dataclass(frozen=True)
class TaskView:
    task: HousekeepingTask
    room: Room
    assignee: str | None
    priority: Priority
    # Events the caller may fire on the task now (guards and ownership evaluated).
    allowed_events: list[str]


@dataclass(frozen=True)
class DayTasks:
    day: date
    views: list[TaskView]


# --- loading ---------------------------------------------------------------------------------


def load_task(session: Session, hotel: Hotel, task_id: int) -> tuple[HousekeepingTask, Room]:
    query = (
        select(HousekeepingTask, Room)
        .join(Room, col(HousekeepingTask.room_id) == Room.id)
        .where(HousekeepingTask.id == task_id, HousekeepingTask.hotel_id == hotel.id)
        .execution_options(populate_existing=True)
    )
    found = session.exec(query).first()
    if found is None:
        raise TaskNotFound(f"Housekeeping task {task_id} not found")
    return found


def load_housekeeper(session: Session, hotel: Hotel, username: str) -> Staff:
    query = select(Staff).where(
        Staff.hotel_id == hotel.id, Staff.username_key == username.casefold()
    )
    staff = session.exec(query).first()
    if staff is None:
        raise DomainError(f"No staff member '{username}' in this hotel", code=STAFF_NOT_FOUND)
    if not staff.is_active or staff.role not in HOUSEKEEPING_ROLES:
        message = f"{staff.username} is not active housekeeping staff (role {staff.role})"
        raise DomainError(message, code=NOT_HOUSEKEEPING_STAFF)
    return staff


def arrivals_on(session: Session, hotel: Hotel, day: date) -> dict[int, Booking]:
    """room id -> the confirmed booking arriving in it on `day` (the earliest expected)."""
    query = select(Booking).where(
        Booking.hotel_id == hotel.id,
        Booking.status == "CONFIRMED",
        Booking.arrival_date == day,
        col(Booking.assigned_room_id).is_not(None),
    )
    arrivals: dict[int, Booking] = {}
    for booking in session.exec(query):
        room_id = booking.assigned_room_id
        assert room_id is not None
        known = arrivals.get(room_id)
        if known is None or _earlier(booking, known):
            arrivals[room_id] = booking
    return arrivals


def _earlier(booking: Booking, other: Booking) -> bool:
    mine, theirs = booking.expected_arrival_time, other.expected_arrival_time
    return mine is not None and (theirs is None or mine < theirs)


def staff_names(session: Session, ids: set[int | None]) -> dict[int, str]:
    wanted = [staff_id for staff_id in ids if staff_id is not None]
    if not wanted:
        return {}
    rows = session.exec(select(Staff).where(col(Staff.id).in_(wanted)))
    return {staff.id: staff.username for staff in rows}  # type: ignore[misc]


# --- the day's list ---------------------------------------------------------------------------


def _day_query(hotel: Hotel, day: date):  # type: ignore[no-untyped-def]
    """The tasks of `day`, and those of earlier days still to be done (carried over)."""
    return (
        select(HousekeepingTask, Room)
        .join(Room, col(HousekeepingTask.room_id) == Room.id)
        .where(
            HousekeepingTask.hotel_id == hotel.id,
            or_(
                HousekeepingTask.service_date == day,
                (col(HousekeepingTask.service_date) < day)
                & col(HousekeepingTask.status).in_(ACTIVE_TASK_STATUSES),
            ),
        )
    )


def ordered_tasks(
    scope: HotelScope, day: date, actor: Actor, *, status: str | None = None, assignee_id=None
) -> list[TaskView]:  # type: ignore[no-untyped-def]
    query = _day_query(scope.hotel, day)
    if status is not None:
        query = query.where(HousekeepingTask.status == status)
    if assignee_id is not None:
        query = query.where(HousekeepingTask.assignee_id == assignee_id)
    found = list(scope.session.exec(query))
    return _views(scope, day, actor, found)


def _views(
    scope: HotelScope, day: date, actor: Actor, found: Sequence[tuple[HousekeepingTask, Room]]
) -> list[TaskView]:
    arrivals = arrivals_on(scope.session, scope.hotel, day)
    names = staff_names(scope.session, {task.assignee_id for task, _ in found})
    ctx = scope.context(actor, "housekeeping_list")
    # What the caller may send depends on the kind, the status and whose task it is only:
    # one machine per combination, not per task.
    allowed_for: dict[tuple[str, str, bool], list[str]] = {}
    views = []
    for task, room in found:
        priority = priority_of(task, room, arrivals.get(room.id))  # type: ignore[arg-type]
        key = (task.kind, task.status, task.assignee_id == actor.staff_id)
        if key not in allowed_for:
            machine = HousekeepingTaskLifecycle(task, ctx, room=room)
            allowed_for[key] = machine.enabled_event_names()
        allowed = allowed_for[key]
        views.append(TaskView(task, room, names.get(task.assignee_id), priority, allowed))  # type: ignore[arg-type]
    views.sort(key=lambda view: order_key(view.priority, view.task, view.room))
    return views


def list_tasks(
    *,
    hotel_slug: str,
    actor: Actor,
    day: date | None = None,
    status: str | None = None,
    assignee: str | None = None,
    uow: UnitOfWork | None = None,
) -> DayTasks:
    """The day's tasks (today in the hotel's time zone by default) in priority order;
    `assignee`: a username, or "me" for the caller's own."""
    with hotel_scope(hotel_slug, uow, write=False) as scope:
        day = day or hotel_today(scope.hotel, scope.context(actor, "list").now)
        assignee_id = None
        if assignee == "me":
            assignee_id = actor.staff_id if actor.staff_id is not None else -1
        elif assignee is not None:
            assignee_id = _staff_id(scope, assignee)
        views = ordered_tasks(scope, day, actor, status=status, assignee_id=assignee_id)
        return DayTasks(day, views)


def _staff_id(scope: HotelScope, username: str) -> int:
    query = select(Staff.id).where(
        Staff.hotel_id == scope.hotel.id, Staff.username_key == username.casefold()
    )
    found = scope.session.exec(query).first()
    if found is None:
        raise DomainError(f"No staff member '{username}' in this hotel", code=STAFF_NOT_FOUND)
    return found


def task_view(scope: HotelScope, actor: Actor, task: HousekeepingTask, room: Room) -> TaskView:
    return _views(scope, task.service_date, actor, [(task, room)])[0]


# --- a task's events ---------------------------------------------------------------------------


@retry_on_conflict
def transition_task(
    *,
    hotel_slug: str,
    task_id: int,
    event: str,
    performed_by: Actor,
    note: str | None = None,
    source: str = "housekeeping_task_endpoint",
    uow: UnitOfWork | None = None,
) -> TaskView:
    """Fire an event staff name on a task (start, finish, pass_inspection, skip, ...); the
    room follows. Returns the task and what the caller may fire next."""
    with hotel_scope(hotel_slug, uow) as scope:
        task, room = load_task(scope.session, scope.hotel, task_id)
        machine = HousekeepingTaskLifecycle(
            task, scope.context(performed_by, source, note), room=room
        )
        machine.fire_by_name(event)
        return task_view(scope, performed_by, task, room)


# --- assignment --------------------------------------------------------------------------------


@retry_on_conflict
def assign_tasks(
    *,
    hotel_slug: str,
    task_ids: Sequence[int],
    assignee: str | None,
    performed_by: Actor,
    uow: UnitOfWork | None = None,
) -> DayTasks:
    """Give the tasks to `assignee` (None: unassign them); all or none."""
    require_supervision(performed_by, "assign tasks")
    with hotel_scope(hotel_slug, uow) as scope:
        staff = load_housekeeper(scope.session, scope.hotel, assignee) if assignee else None
        ctx = scope.context(performed_by, "housekeeping_assign")
        done = [
            load_task(scope.session, scope.hotel, task_id) for task_id in dict.fromkeys(task_ids)
        ]
        _assign(ctx, done, staff)
        day = hotel_today(scope.hotel, ctx.now)
        return DayTasks(day, _views(scope, day, performed_by, done))


def _assign(
    ctx: TransitionContext, found: Sequence[tuple[HousekeepingTask, Room]], staff: Staff | None
) -> None:
    """Give the tasks to `staff` with one compare-and-set UPDATE (each task still open),
    then an audit row and a `task-assigned` event per task that changed hands."""
    new_id = staff.id if staff else None
    for task, room in found:
        if task.status not in ACTIVE_TASK_STATUSES:
            label = HousekeepingTaskLifecycle(task, ctx, room=room).entity_label()
            message = f"Cannot assign {label} while it is {task.status}"
            raise TransitionRefused(message, code=TRANSITION_NOT_ALLOWED)
    changing = [(task, room) for task, room in found if task.assignee_id != new_id]
    if not changing:
        return
    ids = [task.id for task, _ in changing]
    table = HousekeepingTask.__table__  # type: ignore[attr-defined]
    claimed = ctx.execute_bulk(
        update(table)
        .where(table.c.id.in_(ids), table.c.status.in_(ACTIVE_TASK_STATUSES))
        .values(assignee_id=new_id)
    )
    if claimed.rowcount != len(ids):
        raise ConcurrentTransition("A task changed while it was being assigned")
    names = staff_names(ctx.session, {task.assignee_id for task, _ in changing})
    with ctx.records.collecting(ctx.session):  # the audit and outbox rows in one INSERT each
        for task, room in changing:
            previous = names.get(task.assignee_id)  # type: ignore[arg-type]
            set_committed_value(task, "assignee_id", new_id)  # written above
            record_assigned(ctx, task, room, staff.username if staff else None, previous)


@retry_on_conflict
def auto_assign(
    *,
    hotel_slug: str,
    housekeepers: Sequence[str],
    performed_by: Actor,
    day: date | None = None,
    uow: UnitOfWork | None = None,
) -> DayTasks:
    """Share the day's open, unassigned cleaning and stayover tasks among `housekeepers`
    (see `housekeeping_order.share_out`); inspections stay with the supervisors."""
    require_supervision(performed_by, "assign tasks")
    with hotel_scope(hotel_slug, uow) as scope:
        ctx = scope.context(performed_by, "housekeeping_auto_assign")
        day = day or hotel_today(scope.hotel, ctx.now)
        staff = {name: load_housekeeper(scope.session, scope.hotel, name) for name in housekeepers}
        query = _day_query(scope.hotel, day).where(
            HousekeepingTask.status == "OPEN",
            col(HousekeepingTask.assignee_id).is_(None),
            HousekeepingTask.kind != INSPECTION,
        )
        found = list(scope.session.exec(query))
        work = [
            Work(task.id, floor_of(room), room.room_number, task.credits)  # type: ignore[arg-type]
            for task, room in found
        ]
        shares = share_out(work, list(staff))
        for name, person in staff.items():
            theirs = [(task, room) for task, room in found if shares[task.id] == name]  # type: ignore[index]
            _assign(ctx, theirs, person)
        return DayTasks(day, _views(scope, day, performed_by, found))


# --- room flags ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class RoomFlagsView:
    room: Room
    flags: dict[str, bool]


@retry_on_conflict
def set_room_flags(
    *,
    hotel_slug: str,
    room_number: int,
    flags: dict[str, bool],
    performed_by: Actor,
    note: str | None = None,
    uow: UnitOfWork | None = None,
) -> RoomFlagsView:
    """Set or clear a room's Do Not Disturb, make-up-room and service-declined flags for
    today's service; audited (event `set_flags`) and sent as `room-flags-changed`. Any
    staff member may: the front desk takes the guest's call, housekeeping sees the sign."""
    with hotel_scope(hotel_slug, uow) as scope:
        room = scope.room(room_number)
        ctx = scope.context(performed_by, "room_flags_endpoint", note)
        change_flags(ctx, room, flags, event="set_flags")
        return RoomFlagsView(room, room_flags(room))


def change_flags(ctx: TransitionContext, room: Room, flags: dict[str, bool], *, event: str) -> None:
    """Write the flags, one audit row and one `room-flags-changed` event."""
    before = room_flags(room)
    for name, value in flags.items():
        setattr(room, name, value)
    room.flags_date = hotel_today(ctx.hotel, ctx.now)
    ctx.session.add(
        TransitionLog(
            hotel_id=ctx.hotel.id,  # type: ignore[arg-type]
            entity_kind=RoomTurnover.entity_kind,
            entity_id=room.id,  # type: ignore[arg-type]
            entity_ref=str(room.room_number),
            event=event,
            from_state=room.room_status,
            to_state=room.room_status,
            actor=ctx.actor.username,
            actor_id=ctx.actor.staff_id,
            source=ctx.source,
            note=ctx.note,
            details={"before": before, "after": room_flags(room)},
            created_at=ctx.now,
        )
    )
    payload = room_flags_changed(
        room_number=room.room_number, flags=room_flags(room), source=ctx.source, at=ctx.now
    )
    ctx.session.add(
        OutboxEvent(
            hotel_id=ctx.hotel.id,  # type: ignore[arg-type]
            channel=hotel_channel(ctx.hotel.slug),
            event_name=ROOM_FLAGS_CHANGED,
            payload=payload,
            created_at=ctx.now,
        )
    )

"""HousekeepingTaskLifecycle: a piece of housekeeping work, OPEN -> IN_PROGRESS -> DONE.

A task and its room move together, whichever is used (docs/housekeeping.md states the
invariants):
- task -> room (`drives` of this machine): starting or finishing a DEPARTURE or TOUCH_UP
  task fires the room's `start_cleaning` / `finish_cleaning`, passing or failing an
  INSPECTION fires `pass_inspection` / `fail_inspection`;
- room -> tasks (`follow_room`, which `RoomTurnover.drives` calls after each of its
  transitions): a checkout opens the DEPARTURE task (an early departure cancels the
  stayover, or converts one already being cleaned), finishing the cleaning opens the
  INSPECTION, a failed inspection or a return to service opens a TOUCH_UP, and a room event
  fired directly moves the room's open task to match.
A driven event never drives back to the row that drove it (`TurnoverMachine.fire_driven`).
"""

import functools
from datetime import date
from typing import TYPE_CHECKING, Any, ClassVar

from sqlalchemy import bindparam, exists, insert, literal
from sqlmodel import col, select
from statemachine import State

from storage.models import (
    ACTIVE_TASK_STATUSES,
    DEFAULT_TASK_CREDITS,
    Hotel,
    HousekeepingTask,
    Room,
    Staff,
)
from storage.timestamps import iso_z
from workflows.machines.actors import HOUSEKEEPING, SUPERVISION, Role
from workflows.machines.base import (
    Drive,
    Follow,
    Refusal,
    TransitionContext,
    TurnoverMachine,
    guard,
)
from workflows.machines.errors import (
    PERMISSION_DENIED,
    REASON_REQUIRED,
    TASK_KIND_MISMATCH,
    TransitionRefused,
)
from workflows.machines.hotel_day import hotel_today
from workflows.machines.realtime_events import (
    TASK_ASSIGNED,
    TASK_CREATED,
    TASK_STATUS_CHANGED,
    room_flags,
    task_event,
)
from workflows.machines.recorder import event_row, log_row

if TYPE_CHECKING:
    from workflows.machines.room_turnover import RoomTurnover

DEPARTURE, STAYOVER, INSPECTION, TOUCH_UP = "DEPARTURE", "STAYOVER", "INSPECTION", "TOUCH_UP"
CLEANING_KINDS = (DEPARTURE, TOUCH_UP)  # the kinds that clean a vacant room
CREATED = "create"  # the event of a task's first audit row (from_state "")


class HousekeepingTaskLifecycle(TurnoverMachine):
    """Bound to `HousekeepingTask.status`, built with the task's room as `room=` (and, to
    assign it, the new assignee as `assignee=`)."""

    entity_kind = "task"
    status_field = "status"

    open = State(value="OPEN", initial=True)
    in_progress = State(value="IN_PROGRESS")
    paused = State(value="PAUSED")
    done = State(value="DONE", final=True)
    failed = State(value="FAILED", final=True)
    skipped = State(value="SKIPPED", final=True)
    cancelled = State(value="CANCELLED", final=True)

    start = open.to(in_progress, on=["stamp_started_at", "clear_do_not_disturb"])
    pause = in_progress.to(paused)
    resume = paused.to(in_progress)
    finish = in_progress.to(done, cond=["is_not_inspection"], on=["stamp_finished_at"])
    pass_inspection = done.from_(
        open, in_progress, cond=["is_inspection"], on=["stamp_finished_at"]
    )
    fail_inspection = failed.from_(
        open, in_progress, cond=["is_inspection"], on=["stamp_finished_at"]
    )
    skip = skipped.from_(open, paused, cond=["is_stayover", "has_reason"], on=["stamp_finished_at"])
    cancel = cancelled.from_(
        open, in_progress, paused, cond=["may_be_cancelled"], on=["stamp_finished_at"]
    )
    convert_to_departure = in_progress.to.itself(
        cond=["is_stayover"], on=["make_departure"]
    ) | paused.to.itself(cond=["is_stayover"], on=["make_departure"])

    who_may_fire: ClassVar[dict[str, tuple[Role, ...]]] = {
        "start": HOUSEKEEPING,
        "pause": HOUSEKEEPING,
        "resume": HOUSEKEEPING,
        "finish": HOUSEKEEPING,
        "skip": HOUSEKEEPING,
        "pass_inspection": SUPERVISION,
        "fail_inspection": SUPERVISION,
        "cancel": SUPERVISION,
    }
    # Events staff name on a task (its transitions endpoint); `convert_to_departure` follows
    # a checkout. Assigning a task changes who does it, not its state: `record_assigned`.
    directly: ClassVar[tuple[str, ...]] = (
        "start",
        "pause",
        "resume",
        "finish",
        "pass_inspection",
        "fail_inspection",
        "skip",
        "cancel",
    )
    # The room follows: its cleaning starts and ends with a cleaning task, its inspection
    # with an inspection task.
    drives: ClassVar[dict[str, Drive | Follow]] = {
        event: Follow("RoomTurnover", "the room's cleaning or inspection", "room_follows")
        for event in ("start", "finish", "pass_inspection", "fail_inspection")
    }
    ROOM_EVENTS: ClassVar[dict[tuple[str, str], str]] = {
        **{(kind, "start"): "start_cleaning" for kind in CLEANING_KINDS},
        **{(kind, "finish"): "finish_cleaning" for kind in CLEANING_KINDS},
        (INSPECTION, "pass_inspection"): "pass_inspection",
        (INSPECTION, "fail_inspection"): "fail_inspection",
    }

    @property
    def room(self) -> Room:
        return self.related["room"]

    @property
    def task(self) -> HousekeepingTask:
        return self.model

    def entity_label(self) -> str:
        return (
            f"the {self.task.kind.lower().replace('_', '-')} task of room {self.room.room_number}"
        )

    def entity_ref(self) -> str:
        return task_ref(self.task, self.room)

    def realtime_event(self, event: str, old_status: str, new_status: str) -> tuple[str, dict]:
        more = {"event": event, "old_status": old_status, "source": self.ctx.source}
        return TASK_STATUS_CHANGED, task_payload(self.ctx, self.task, self.room, **more)

    # --- who may act on it ------------------------------------------------------------------

    def check_permission(self, event: str) -> None:
        super().check_permission(event)
        if not self.acts_on_own_tasks_only() or self.task.assignee_id == self.ctx.actor.staff_id:
            return
        message = f"A housekeeper may only {event} their own tasks"
        raise TransitionRefused(message, code=PERMISSION_DENIED)

    def acts_on_own_tasks_only(self) -> bool:
        actor = self.ctx.actor
        return not actor.is_superuser and actor.role == Role.HOUSEKEEPER

    def enabled_event_names(self) -> list[str]:
        if self.acts_on_own_tasks_only() and self.task.assignee_id != self.ctx.actor.staff_id:
            return []
        return [event for event in super().enabled_event_names() if event in self.directly]

    # --- guards -----------------------------------------------------------------------------

    @guard(finish=Refusal(TASK_KIND_MISMATCH, "An inspection is passed or failed, not finished"))
    def is_not_inspection(self) -> bool:
        return self.task.kind != INSPECTION

    @guard(
        pass_inspection=Refusal(TASK_KIND_MISMATCH, "Only an inspection task can be passed"),
        fail_inspection=Refusal(TASK_KIND_MISMATCH, "Only an inspection task can be failed"),
    )
    def is_inspection(self) -> bool:
        return self.task.kind == INSPECTION

    @guard(
        skip=Refusal(TASK_KIND_MISMATCH, "Only a stayover can be skipped: {entity} cannot"),
        convert_to_departure=Refusal(TASK_KIND_MISMATCH, "Only a stayover becomes a departure"),
    )
    def is_stayover(self) -> bool:
        return self.task.kind == STAYOVER

    @guard(skip=Refusal(REASON_REQUIRED, "Say why {entity} is skipped (a note)"))
    def has_reason(self) -> bool:
        return bool(self.ctx.note and self.ctx.note.strip())

    @guard(
        cancel=Refusal(
            TASK_KIND_MISMATCH,
            "Cannot cancel {entity}: a room's cleaning and inspection end when the room moves "
            "on (take it out of order to stop them)",
        )
    )
    def may_be_cancelled(self) -> bool:
        return self.task.kind == STAYOVER or self.is_driven

    # --- hooks ------------------------------------------------------------------------------

    def stamp_started_at(self) -> None:
        self.task.started_at = self.task.started_at or self.ctx.now
        self._append_note()

    def stamp_finished_at(self) -> None:
        self.task.finished_at = self.ctx.now
        self._append_note()

    def clear_do_not_disturb(self) -> None:
        """Do Not Disturb ends when someone starts working on the room."""
        self.room.do_not_disturb = False

    def make_departure(self) -> None:
        """An early departure while the stayover is being cleaned: the work goes on as the
        room's departure cleaning."""
        self.task.kind = DEPARTURE
        self.task.credits = credits_of(self.ctx.hotel, DEPARTURE)
        self._append_note()

    def _append_note(self) -> None:
        note = self.ctx.note
        if note:
            line = f"[{iso_z(self.ctx.now)}] {self.ctx.actor.username}: {note}"
            self.task.notes = f"{self.task.notes}\n{line}" if self.task.notes else line

    # --- the room follows -------------------------------------------------------------------

    def room_follows(self, event: str) -> None:
        room_event = self.ROOM_EVENTS.get((self.task.kind, event))
        if room_event is not None:
            self.fire_driven(_room_machine(), self.room, room_event, task=self.task)


def _room_machine() -> type["RoomTurnover"]:
    from workflows.machines.base import MACHINE_CLASSES

    return MACHINE_CLASSES["RoomTurnover"]  # type: ignore[return-value]


# --- creating tasks ---------------------------------------------------------------------------


def credits_of(hotel: Hotel, kind: str) -> float:
    configured = hotel.housekeeping_credits or {}
    return float(configured.get(kind, DEFAULT_TASK_CREDITS[kind]))


def task_ref(task: HousekeepingTask, room: Room) -> str:
    return f"{room.room_number}/{task.kind}/{task.service_date.isoformat()}"


def assignee_name(ctx: TransitionContext, staff_id: int | None) -> str | None:
    if staff_id is None:
        return None
    staff = ctx.session.get(Staff, staff_id)
    return staff.username if staff else None


def task_payload(
    ctx: TransitionContext, task: HousekeepingTask, room: Room, **more: object
) -> dict:
    return task_event(
        task_id=task.id,  # type: ignore[arg-type]
        room_number=room.room_number,
        kind=task.kind,
        service_date=task.service_date.isoformat(),
        status=task.status,
        assignee=assignee_name(ctx, task.assignee_id),
        flags=room_flags(room),
        at=ctx.now,
        **more,
    )


def open_task(
    ctx: TransitionContext,
    room: Room,
    kind: str,
    service_date: date | None = None,
) -> HousekeepingTask:
    """Create an OPEN task, recorded like a transition: a TransitionLog row (event
    `create`, from "" to OPEN) and a `task-created` event, in the caller's transaction.
    One INSERT that is not an ORM flush; its audit and outbox rows go out with those of the
    transition that opened it (`TransitionContext.records`). The row returned is a
    read-only copy, not the session's: `load_opened` gives the session's own to change."""
    task = _insert_task(ctx, _INSERT_TASK, room, kind, service_date)
    assert task is not None
    return task


def open_task_if_none_active(
    ctx: TransitionContext, room: Room, kind: str
) -> HousekeepingTask | None:
    """`open_task`, only if the room has no active task (else None, and nothing written):
    one statement where reading the room's tasks first would take two."""
    return _insert_task(ctx, _INSERT_TASK_IF_NONE_ACTIVE, room, kind)


def _insert_task(
    ctx: TransitionContext,
    statement: Any,
    room: Room,
    kind: str,
    service_date: date | None = None,
) -> HousekeepingTask | None:
    values = {
        "hotel_id": ctx.hotel.id,
        "room_id": room.id,
        "kind": kind,
        "service_date": service_date or hotel_today(ctx.hotel, ctx.now),
        "status": "OPEN",
        "assignee_id": None,
        "credits": credits_of(ctx.hotel, kind),
        "plan_key": None,
        "created_at": ctx.now,
        "started_at": None,
        "finished_at": None,
        "notes": "",
    }
    task_id = ctx.execute_bulk(statement, values).scalar_one_or_none()
    if task_id is None:
        return None
    # A read-only copy, unvalidated: the values are ours, and validating them would cost as
    # much as the INSERT (a checkout opens a task every time).
    task = HousekeepingTask.model_construct(id=task_id, **values)
    record_created(ctx, task, room)
    return task


def load_opened(ctx: TransitionContext, task: HousekeepingTask) -> HousekeepingTask:
    found = ctx.session.get(HousekeepingTask, task.id)
    assert found is not None
    return found


def record_created(ctx: TransitionContext, task: HousekeepingTask, room: Room) -> None:
    """The audit row and the `task-created` event of a task just inserted (with its id),
    among the transitions' own (`TransitionContext.records`)."""
    log = log_row(
        ctx,
        entity_kind=HousekeepingTaskLifecycle.entity_kind,
        entity_id=task.id,
        entity_ref=task_ref(task, room),
        event=CREATED,
        from_state="",
        to_state=task.status,
    )
    ctx.records.record(
        ctx.session, log, event_row(ctx, TASK_CREATED, task_payload(ctx, task, room))
    )


def record_assigned(
    ctx: TransitionContext,
    task: HousekeepingTask,
    room: Room,
    assignee: str | None,
    previous: str | None,
) -> None:
    """The audit row (event `assign`, the state unchanged) and the `task-assigned` event of
    a task given to `assignee` (None: unassigned); the caller has written the change."""
    log = log_row(
        ctx,
        entity_kind=HousekeepingTaskLifecycle.entity_kind,
        entity_id=task.id,
        entity_ref=task_ref(task, room),
        event="assign",
        from_state=task.status,
        to_state=task.status,
        details={"assignee": assignee, "previous_assignee": previous},
    )
    payload = task_event(
        task_id=task.id,  # type: ignore[arg-type]
        room_number=room.room_number,
        kind=task.kind,
        service_date=task.service_date.isoformat(),
        status=task.status,
        assignee=assignee,
        flags=room_flags(room),
        at=ctx.now,
        previous_assignee=previous,
    )
    ctx.records.record(ctx.session, log, event_row(ctx, TASK_ASSIGNED, payload))


def active_tasks(ctx: TransitionContext, room: Room) -> list[HousekeepingTask]:
    """The room's tasks still to be done (OPEN, IN_PROGRESS, PAUSED), oldest first. Every
    status change is written at once (compare-and-set) and every task inserted at once, so
    the query needs no flush of the session's pending rows first (they go out batched at
    commit); tasks this session holds keep their pending changes (a finish time)."""
    with ctx.session.no_autoflush:
        return list(ctx.session.exec(_ACTIVE_TASKS, params={"room_id": room.id}))


# Built once, with bound parameters (building a statement costs more than running it).
_TASKS = HousekeepingTask.__table__  # type: ignore[attr-defined]
_INSERT_TASK = insert(_TASKS).returning(_TASKS.c.id)
_IS_ACTIVE_TASK_OF_ROOM = (
    _TASKS.c.room_id == bindparam("room_id"),
    _TASKS.c.status.in_([literal(s) for s in ACTIVE_TASK_STATUSES]),
)
_ACTIVE_TASKS = (
    select(HousekeepingTask).where(*_IS_ACTIVE_TASK_OF_ROOM).order_by(col(HousekeepingTask.id))
)
# INSERT ... SELECT <the values> WHERE NOT EXISTS (an active task of the room).
_TASK_COLUMNS = [column for column in _TASKS.c if column.name != "id"]
_INSERT_TASK_IF_NONE_ACTIVE = (
    insert(_TASKS)
    .from_select(
        [column.name for column in _TASK_COLUMNS],
        select(*(bindparam(column.name, type_=column.type) for column in _TASK_COLUMNS)).where(
            ~exists().where(*_IS_ACTIVE_TASK_OF_ROOM)
        ),
    )
    .returning(_TASKS.c.id)
)


# --- the room's tasks follow the room ---------------------------------------------------------


def follow_room(room_machine: "RoomTurnover", event: str) -> None:
    """What the room's tasks do after the room's `event` (called by `RoomTurnover.drives`)."""
    follower = _ROOM_FOLLOWERS.get(event)
    if follower is not None:
        follower(_RoomTasks(room_machine))


class _RoomTasks:
    """A room that just changed state, its active tasks and how to move them."""

    def __init__(self, room_machine: "RoomTurnover") -> None:
        self.room_machine = room_machine
        self.room: Room = room_machine.model
        self.ctx = room_machine.ctx

    @functools.cached_property
    def tasks(self) -> list[HousekeepingTask]:
        return active_tasks(self.ctx, self.room)

    def of_kinds(self, *kinds: str) -> list[HousekeepingTask]:
        return [task for task in self.tasks if task.kind in kinds]

    def fire(self, task: HousekeepingTask, event: str) -> bool:
        return self.room_machine.fire_driven(HousekeepingTaskLifecycle, task, event, room=self.room)

    def open(self, kind: str) -> HousekeepingTask:
        return open_task(self.ctx, self.room, kind)

    def checked_out(self) -> None:
        """The guest has left: the stayover is cancelled (or, being cleaned, converted and
        the room's cleaning started) and the departure cleaning is opened."""
        if open_task_if_none_active(self.ctx, self.room, DEPARTURE) is not None:
            return  # the usual checkout: nothing was planned or under way
        stayovers = self.of_kinds(STAYOVER)
        being_cleaned = [task for task in stayovers if task.status != "OPEN"]
        for task in stayovers:
            if task not in being_cleaned[:1]:
                self.fire(task, "cancel")
        if not being_cleaned:
            self.open(DEPARTURE)
            return
        task = being_cleaned[0]
        task_machine = HousekeepingTaskLifecycle(task, self.ctx, room=self.room)
        task_machine.fire("convert_to_departure", driven=True, chain=(self.room_machine.link(),))
        # The room's cleaning starts as driven by the converted task (not driving it back).
        type(self.room_machine)(self.room, self.ctx, task=task).fire(
            "start_cleaning", driven=True, chain=(task_machine.link(),)
        )

    def forced_out(self) -> None:
        """Destructive checkout: whatever was under way stops; the room is to be cleaned."""
        keep = next((t for t in self.of_kinds(*CLEANING_KINDS) if t.status == "OPEN"), None)
        for task in self.tasks:
            if task is not keep:
                self.fire(task, "cancel")
        if keep is None:
            self.open(DEPARTURE)

    def cleaning_started(self) -> None:
        cleaning = self.of_kinds(*CLEANING_KINDS)
        # A room dirty before tasks existed gets its departure task now.
        task = cleaning[0] if cleaning else load_opened(self.ctx, self.open(DEPARTURE))
        if task.status == "OPEN":
            self.fire(task, "start")

    def cleaning_finished(self) -> None:
        for task in self.of_kinds(*CLEANING_KINDS):
            if task.status == "PAUSED":
                self.fire(task, "resume")
            self.fire(task, "finish")
        if not self.of_kinds(INSPECTION):
            self.open(INSPECTION)

    def inspection_passed(self) -> None:
        for task in self.of_kinds(INSPECTION):
            self.fire(task, "pass_inspection")

    def inspection_failed(self) -> None:
        for task in self.of_kinds(INSPECTION):
            self.fire(task, "fail_inspection")
        self.open(TOUCH_UP)

    def out_of_order(self) -> None:
        for task in self.tasks:
            self.fire(task, "cancel")

    def back_in_service(self) -> None:
        self.open(TOUCH_UP)

    def check_in_reverted(self) -> None:
        """A check-in undone at the front desk (the room is ready again, nobody stays): a
        stayover planned for it is not needed."""
        for task in self.of_kinds(STAYOVER):
            self.fire(task, "cancel")

    def reinstated(self) -> None:
        """A checkout undone at the front desk (the guest is back, the room still dirty):
        the departure cleaning it opened is not needed any more."""
        for task in self.of_kinds(DEPARTURE):
            if task.status == "OPEN":
                self.fire(task, "cancel")


_ROOM_FOLLOWERS = {
    "check_out": _RoomTasks.checked_out,
    "force_checkout": _RoomTasks.forced_out,
    "start_cleaning": _RoomTasks.cleaning_started,
    "finish_cleaning": _RoomTasks.cleaning_finished,
    "pass_inspection": _RoomTasks.inspection_passed,
    "fail_inspection": _RoomTasks.inspection_failed,
    "take_out_of_order": _RoomTasks.out_of_order,
    "return_to_service": _RoomTasks.back_in_service,
    "reinstate": _RoomTasks.reinstated,
    "revert_check_in": _RoomTasks.check_in_reverted,
}
ROOM_EVENTS_TASKS_FOLLOW = tuple(_ROOM_FOLLOWERS)

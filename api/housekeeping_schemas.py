"""Request and response bodies of the housekeeping routes (docs/housekeeping.md)."""

from datetime import date as Date
from datetime import datetime
from typing import Self

from pydantic import BaseModel, Field, model_validator

from api.schemas import MAX_NOTE_LENGTH, NO_NUL, DbId, RequestBody
from storage.models import TASK_KINDS
from storage.timestamps import iso_z
from workflows.machines.housekeeping_task import HousekeepingTaskLifecycle
from workflows.services.housekeeping_plan import PlanResult
from workflows.services.housekeeping_tasks import RoomFlagsView, TaskView


class PlanRequest(RequestBody):
    date: Date | None = Field(
        default=None, description="The service day (the hotel's today when left out)."
    )


class PlanResponse(BaseModel):
    date: Date
    created: dict[str, int] = Field(description="Tasks created, per kind (none on a rerun).")
    flags_cleared: int = Field(description="Rooms whose previous day's flags were cleared.")

    @classmethod
    def of(cls, result: PlanResult) -> "PlanResponse":
        return cls(date=result.day, created=result.created, flags_cleared=result.flags_cleared)


class AssignRequest(RequestBody):
    task_ids: list[DbId] | None = Field(default=None, max_length=5000)
    assignee: str | None = Field(default=None, min_length=1, max_length=150, pattern=NO_NUL)
    auto: bool = False
    housekeepers: list[str] | None = Field(default=None, min_length=1, max_length=200)
    date: Date | None = None

    @model_validator(mode="after")
    def _one_way(self) -> Self:
        if self.auto:
            if not self.housekeepers or self.task_ids is not None:
                raise ValueError("auto assignment takes `housekeepers` (and no `task_ids`)")
        elif not self.task_ids or self.housekeepers is not None:
            raise ValueError("give `task_ids` and `assignee`, or `auto` with `housekeepers`")
        return self


class TaskTransitionRequest(RequestBody):
    event: str = Field(
        min_length=1,
        max_length=64,
        description="One of: " + ", ".join(HousekeepingTaskLifecycle.directly),
        examples=["start"],
    )
    note: str | None = Field(default=None, max_length=MAX_NOTE_LENGTH, pattern=NO_NUL)


class RoomFlagsRequest(RequestBody):
    do_not_disturb: bool | None = None
    make_up_room: bool | None = None
    service_declined: bool | None = None
    note: str | None = Field(default=None, max_length=MAX_NOTE_LENGTH, pattern=NO_NUL)

    @model_validator(mode="after")
    def _some_flag(self) -> Self:
        if not self.flags():
            raise ValueError("set at least one of do_not_disturb, make_up_room, service_declined")
        return self

    def flags(self) -> dict[str, bool]:
        names = ("do_not_disturb", "make_up_room", "service_declined")
        return {name: getattr(self, name) for name in names if getattr(self, name) is not None}


class RoomFlags(BaseModel):
    room_number: int
    room_status: str
    do_not_disturb: bool
    make_up_room: bool
    service_declined: bool

    @classmethod
    def of(cls, view: RoomFlagsView) -> "RoomFlags":
        return cls(
            room_number=view.room.room_number, room_status=view.room.room_status, **view.flags
        )


def _z(moment: datetime | None) -> str | None:
    return iso_z(moment) if moment else None


class TaskSummary(BaseModel):
    task_id: int
    room_number: int
    floor: int
    room_status: str
    kind: str = Field(description=" | ".join(TASK_KINDS))
    service_date: Date
    status: str
    assignee: str | None
    priority: int = Field(description="1 (first) to 5 (last); see docs/housekeeping.md")
    priority_reason: str
    credits: float
    room_flags: dict[str, bool]
    started_at: str | None
    finished_at: str | None
    notes: str
    allowed_events: list[str] = Field(description="Events the caller may send now.")

    @classmethod
    def of(cls, view: TaskView) -> "TaskSummary":
        from storage.models import floor_of
        from workflows.machines.realtime_events import room_flags

        task, room = view.task, view.room
        return cls(
            task_id=task.id,  # type: ignore[arg-type]
            room_number=room.room_number,
            floor=floor_of(room),
            room_status=room.room_status,
            kind=task.kind,
            service_date=task.service_date,
            status=task.status,
            assignee=view.assignee,
            priority=view.priority.rank,
            priority_reason=view.priority.reason,
            credits=task.credits,
            room_flags=room_flags(room),
            started_at=_z(task.started_at),
            finished_at=_z(task.finished_at),
            notes=task.notes,
            allowed_events=view.allowed_events,
        )


class TaskList(BaseModel):
    date: Date
    items: list[TaskSummary]
    total: int

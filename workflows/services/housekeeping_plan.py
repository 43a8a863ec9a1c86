"""The day's housekeeping plan: each in-house room not departing that day gets its STAYOVER
task, a room left dirty (or cleaned, uninspected) with no task to do gets one, and the
previous days' housekeeping flags are cleared.

Idempotent, also from several hosts at once: every planned task carries a `plan_key`
("STAYOVER:2026-12-02") unique per room, and is inserted with ON CONFLICT DO NOTHING, so a
second run (or a concurrent one) inserts nothing and records nothing.
`DailyPlans.run_due_plans(now)`, a job of the scheduler (api/scheduler_jobs.py), runs the
plan of every hotel whose local clock has reached `TURNOVER_HOUSEKEEPING_PLAN_HOUR` and
whose day the scheduler has not planned yet (`Hotel.housekeeping_planned_on`, claimed by
compare-and-set: once per day however many schedulers run).
"""

from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import insert, or_, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, col, select

from config.settings import get_settings
from storage.models import (
    ACTIVE_TASK_STATUSES,
    Booking,
    Hotel,
    HousekeepingTask,
    Room,
)
from storage.timestamps import utc_now
from storage.unit_of_work import UnitOfWork, transaction
from workflows.machines.actors import SYSTEM, Actor
from workflows.machines.base import TransitionContext
from workflows.machines.hotel_day import hotel_today, local_time
from workflows.machines.housekeeping_task import (
    CLEANING_KINDS,
    DEPARTURE,
    INSPECTION,
    STAYOVER,
    credits_of,
    record_created,
)
from workflows.services.housekeeping_tasks import (
    ROOM_FLAG_NAMES,
    change_flags,
    require_supervision,
)
from workflows.services.retries import retry_on_conflict
from workflows.services.scope import hotel_scope

PLAN_SOURCE = "housekeeping_plan"


@dataclass(frozen=True)
class PlanResult:
    hotel_slug: str
    day: date
    created: dict[str, int] = field(default_factory=dict)  # kind -> tasks created
    flags_cleared: int = 0

    @property
    def total_created(self) -> int:
        return sum(self.created.values())


@retry_on_conflict
def plan_day(
    *,
    hotel_slug: str,
    day: date | None = None,
    performed_by: Actor = SYSTEM,
    now: datetime | None = None,
    uow: UnitOfWork | None = None,
) -> PlanResult:
    """Plan `day` (the hotel's today at `now` by default) for the hotel `hotel_slug`."""
    require_supervision(performed_by, "plan the day")
    with hotel_scope(hotel_slug, uow) as scope:
        ctx = scope.context(performed_by, PLAN_SOURCE)
        ctx.now = now or ctx.now
        day = day or hotel_today(scope.hotel, ctx.now)
        cleared = _clear_old_flags(ctx, day)
        wanted = _stayovers(ctx, day) + _backlog(ctx, day)
        created = _insert_planned(ctx, day, wanted)
        return PlanResult(scope.hotel.slug, day, created, cleared)


def _clear_old_flags(ctx: TransitionContext, day: date) -> int:
    """Do Not Disturb, make-up-room and service-declined hold for the day they were set."""
    flagged = [col(getattr(Room, name)) for name in ROOM_FLAG_NAMES]
    query = select(Room).where(
        Room.hotel_id == ctx.hotel.id,
        col(Room.flags_date) < day,
        flagged[0] | flagged[1] | flagged[2],
    )
    rooms = list(ctx.session.exec(query))
    for room in rooms:
        change_flags(ctx, room, dict.fromkeys(ROOM_FLAG_NAMES, False), event="clear_flags")
        room.flags_date = day
    return len(rooms)


def _stayovers(ctx: TransitionContext, day: date) -> list[tuple[Room, str, str]]:
    """In-house rooms whose guest stays past `day`."""
    query = (
        select(Room)
        .join(Booking, col(Booking.assigned_room_id) == Room.id)
        .where(
            Room.hotel_id == ctx.hotel.id,
            Room.room_status == "OCCUPIED",
            Booking.status == "CHECKED_IN",
            Booking.departure_date > day,
        )
        .distinct()
    )
    return [(room, STAYOVER, "OPEN") for room in ctx.session.exec(query)]


def _backlog(ctx: TransitionContext, day: date) -> list[tuple[Room, str, str]]:
    """Rooms waiting for a cleaning or an inspection, or being cleaned, that no active task
    covers (rooms in those states before tasks existed, a seed file's): a DEPARTURE task
    (IN_PROGRESS for a room being cleaned) or an INSPECTION task."""
    active = select(HousekeepingTask.room_id).where(
        HousekeepingTask.hotel_id == ctx.hotel.id,
        col(HousekeepingTask.status).in_(ACTIVE_TASK_STATUSES),
        col(HousekeepingTask.kind).in_((*CLEANING_KINDS, INSPECTION)),
    )
    query = select(Room).where(
        Room.hotel_id == ctx.hotel.id,
        col(Room.room_status).in_(tuple(BACKLOG)),
        col(Room.id).not_in(active),
    )
    return [(room, *BACKLOG[room.room_status]) for room in ctx.session.exec(query)]


# room state -> (kind, status) of the task the plan gives a room in it that has none
BACKLOG = {
    "CHECKOUT_DIRTY": (DEPARTURE, "OPEN"),
    "CLEANING_IN_PROGRESS": (DEPARTURE, "IN_PROGRESS"),
    "CLEANED_UNINSPECTED": (INSPECTION, "OPEN"),
}


def _insert_planned(
    ctx: TransitionContext, day: date, wanted: list[tuple[Room, str, str]]
) -> dict[str, int]:
    if not wanted:
        return {}
    values = [
        {
            "hotel_id": ctx.hotel.id,
            "room_id": room.id,
            "kind": kind,
            "service_date": day,
            "status": status,
            "credits": credits_of(ctx.hotel, kind),
            "plan_key": f"{kind}:{day.isoformat()}",
            "created_at": ctx.now,
            "notes": "",
        }
        for room, kind, status in wanted
    ]
    table = HousekeepingTask.__table__  # type: ignore[attr-defined]
    inserted_ids = ctx.session.execute(_insert_once(ctx.session, table).values(values)).scalars()
    ids = list(inserted_ids)
    rooms = {room.id: room for room, _, _ in wanted}
    created: dict[str, int] = {}
    if ids:
        query = select(HousekeepingTask).where(col(HousekeepingTask.id).in_(ids))
        with ctx.records.collecting(ctx.session):  # the audit and outbox rows in one INSERT each
            for task in sorted(ctx.session.exec(query), key=lambda t: t.id or 0):
                record_created(ctx, task, rooms[task.room_id])
                created[task.kind] = created.get(task.kind, 0) + 1
    return created


def _insert_once(session: Session, table):  # type: ignore[no-untyped-def]
    """INSERT ... ON CONFLICT (room_id, plan_key) DO NOTHING RETURNING id."""
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        statement = postgresql.insert(table)
    elif dialect == "sqlite":
        statement = sqlite.insert(table)
    else:  # pragma: no cover - the project runs on these two
        return insert(table).returning(table.c.id)
    conflict = statement.on_conflict_do_nothing(index_elements=["room_id", "plan_key"])
    return conflict.returning(table.c.id)


# --- the daily run -----------------------------------------------------------------------------


def due_hotels(session: Session, now: datetime, hour: int) -> list[tuple[str, date]]:
    """(slug, local day) of every hotel whose local time at `now` is past `hour`."""
    due = []
    for hotel in session.exec(select(Hotel).order_by(col(Hotel.id))):
        local = local_time(hotel, now)
        if local.hour >= hour:
            due.append((hotel.slug, local.date()))
    return due


@dataclass
class DailyPlans:
    """Runs each hotel's plan once per local day, at or after the plan hour: the scheduler's
    job (api/scheduler_jobs.py), in every API process and in `turnover tick`."""

    hour: int = field(default_factory=lambda: get_settings().housekeeping_plan_hour)

    def run_due_plans(self, now: datetime | None = None) -> list[PlanResult]:
        now = now or utc_now()
        with transaction(None, write=False) as tx:
            due = due_hotels(tx.session, now, self.hour)
        results = []
        for slug, day in due:
            result = _plan_if_unclaimed(slug, day, now)
            if result is not None:
                results.append(result)
        return results

    def run(self, now: datetime) -> int:
        """The scheduler's job: tasks created (the plans' flag clearings are not counted)."""
        return sum(result.total_created for result in self.run_due_plans(now))


def _plan_if_unclaimed(slug: str, day: date, now: datetime) -> PlanResult | None:
    """Claim the hotel's `day` (move `housekeeping_planned_on` forward: compare-and-set, a
    concurrent claim waits for this row and then finds nothing to move) and plan it, in one
    transaction: a failed plan leaves the day unclaimed, to be tried at the next tick."""
    with transaction() as uow:
        claim = (
            update(Hotel)
            .where(
                col(Hotel.slug) == slug,
                or_(
                    col(Hotel.housekeeping_planned_on).is_(None),
                    col(Hotel.housekeeping_planned_on) < day,
                ),
            )
            .values(housekeeping_planned_on=day)
        )
        if uow.session.execute(claim).rowcount != 1:  # type: ignore[attr-defined]
            return None
        return plan_day(hotel_slug=slug, day=day, now=now, uow=uow)

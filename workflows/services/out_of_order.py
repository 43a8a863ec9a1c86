"""Out-of-order periods: schedule, list, shorten, cancel, and the scheduler's job that
starts and ends them (`apply_due_periods`). The rules are OutOfOrderPeriodMachine's; the
room goes out and back through its own machine.

Each start or end is its own transaction: the period row is locked with `FOR UPDATE SKIP
LOCKED` (PostgreSQL) and its status changed with a compare-and-set, so with several API
processes, hosts and `turnover tick` running at once each change happens exactly once.
"""

import logging
from dataclasses import dataclass
from datetime import date, datetime

from sqlmodel import Session, col, select

from storage.models import Hotel, OutOfOrderPeriod, Room
from storage.timestamps import utc_now
from storage.unit_of_work import UnitOfWork, transaction
from workflows.machines.actors import SYSTEM, Actor
from workflows.machines.base import TransitionContext
from workflows.machines.errors import (
    PERIOD_CLASH,
    PERMISSION_DENIED,
    VALIDATION_ERROR,
    DomainError,
    PeriodNotFound,
    TransitionRefused,
)
from workflows.machines.hotel_day import hotel_today
from workflows.machines.out_of_order_period import OutOfOrderPeriodMachine, clashes
from workflows.machines.room_turnover import RoomTurnover
from workflows.services.lookups import FRESH
from workflows.services.queries import Page, page_of
from workflows.services.retries import retry_on_conflict
from workflows.services.scope import HotelScope, hotel_scope

log = logging.getLogger("turnover.scheduler")

SCHEDULED = OutOfOrderPeriodMachine.scheduled.value
ACTIVE = OutOfOrderPeriodMachine.active.value


@dataclass(frozen=True)
class PeriodView:
    period: OutOfOrderPeriod
    room: Room
    today: date | None = None  # the hotel's day when it was read

    @property
    def waiting_reason(self) -> str | None:
        """Why a period whose first day has come has not started: its room is still in
        use (the scheduler starts it at its first tick after the guest has left)."""
        period, today = self.period, self.today
        if period.status != SCHEDULED or today is None or period.starts_on > today:
            return None
        return (
            f"room {self.room.room_number} is {self.room.room_status}: the period starts "
            "once the room is free (the guest has left)"
        )


@retry_on_conflict
def schedule_period(
    *,
    hotel_slug: str,
    room_number: int,
    starts_on: date,
    ends_on: date,
    reason: str,
    performed_by: Actor,
    now: datetime | None = None,
    uow: UnitOfWork | None = None,
) -> PeriodView:
    """A new period; it starts at once when its first day is the hotel's today."""
    _check_may_schedule(performed_by)
    now = now or utc_now()
    with hotel_scope(hotel_slug, uow) as scope:
        today = hotel_today(scope.hotel, now)
        if starts_on < today:
            raise DomainError(
                f"'from' ({starts_on}) is before today ({today})", code=VALIDATION_ERROR
            )
        room = _locked_room(scope, room_number)
        clash = clashes(scope.session, room, starts_on, ends_on)
        if clash:
            raise DomainError(clash, code=PERIOD_CLASH)
        period = OutOfOrderPeriod(
            hotel_id=scope.hotel.id,  # type: ignore[arg-type]
            room_id=room.id,  # type: ignore[arg-type]
            starts_on=starts_on,
            ends_on=ends_on,
            reason=reason,
            created_by=performed_by.username,
            created_at=now,
        )
        scope.session.add(period)
        scope.session.flush()
        _try(scope, period, room, "start", performed_by, now)
        return PeriodView(period, room, today)


def list_periods(
    *,
    hotel_slug: str,
    room_number: int,
    limit: int,
    offset: int,
    now: datetime | None = None,
    uow: UnitOfWork | None = None,
) -> Page[PeriodView]:
    """The room's periods, latest first day first."""
    with hotel_scope(hotel_slug, uow, write=False) as scope:
        today = hotel_today(scope.hotel, now or utc_now())
        room = scope.room(room_number)
        query = select(OutOfOrderPeriod).where(OutOfOrderPeriod.room_id == room.id)
        query = query.order_by(
            col(OutOfOrderPeriod.starts_on).desc(), col(OutOfOrderPeriod.id).desc()
        )
        page = page_of(scope.session, query, limit, offset)
        views = [PeriodView(p, room, today) for p in page.items]
        return Page(views, page.total, limit, offset)


@retry_on_conflict
def shorten_period(
    *,
    hotel_slug: str,
    room_number: int,
    period_id: int,
    ends_on: date,
    performed_by: Actor,
    now: datetime | None = None,
    uow: UnitOfWork | None = None,
) -> PeriodView:
    """Move the last day earlier; a period whose new last day is already over ends now."""
    _check_may_schedule(performed_by)
    now = now or utc_now()
    with hotel_scope(hotel_slug, uow) as scope:
        room = _locked_room(scope, room_number)
        period = _period(scope.session, room, period_id)
        if period.status not in (SCHEDULED, ACTIVE):
            raise TransitionRefused(f"Out-of-order period {period_id} is {period.status}")
        if ends_on > period.ends_on:
            raise DomainError(
                "A period can only be shortened ('to' earlier)", code=VALIDATION_ERROR
            )
        if ends_on < period.starts_on:
            raise DomainError("'to' is before the period's first day", code=VALIDATION_ERROR)
        period.ends_on = ends_on
        scope.session.add(period)
        if period.status == ACTIVE:
            _try(scope, period, room, "end", performed_by, now)
        return PeriodView(period, room, hotel_today(scope.hotel, now))


@retry_on_conflict
def cancel_period(
    *,
    hotel_slug: str,
    room_number: int,
    period_id: int,
    performed_by: Actor,
    now: datetime | None = None,
    uow: UnitOfWork | None = None,
) -> PeriodView:
    """A scheduled period is cancelled; an active one ends now (the room returns), its
    last day (`to`) today."""
    _check_may_schedule(performed_by)
    now = now or utc_now()
    with hotel_scope(hotel_slug, uow) as scope:
        room = _locked_room(scope, room_number)
        period = _period(scope.session, room, period_id)
        if period.status == ACTIVE:  # `to` becomes today (never before `from`)
            period.ends_on = min(period.ends_on, hotel_today(scope.hotel, now))
            scope.session.add(period)
            _machine(scope.session, scope.hotel, period, room, performed_by, now).fire("end_now")
        else:
            _machine(scope.session, scope.hotel, period, room, performed_by, now).fire("cancel")
        return PeriodView(period, room, hotel_today(scope.hotel, now))


# --- the scheduler's job ---------------------------------------------------------------------


def apply_due_periods(now: datetime) -> int:
    """Start every scheduled period whose first day has begun and end every active one
    whose last day is over, each in its own transaction. Returns how many changed here
    (a period another scheduler changed first is not counted)."""
    changed = 0
    for period_id, event in _due_periods(now):
        try:
            changed += _apply(period_id, event, now)
        except DomainError as error:  # e.g. the room is still occupied: tried again next tick
            log.info(  # (the period shows it: `waiting_reason`)
                "out-of-order period %s: %s not applied: %s", period_id, event, error.message
            )
    return changed


def _due_periods(now: datetime) -> list[tuple[int, str]]:
    due: list[tuple[int, str]] = []
    with transaction(write=False) as uow:
        session = uow.session
        hotel_ids = session.exec(
            select(OutOfOrderPeriod.hotel_id)
            .where(col(OutOfOrderPeriod.status).in_((SCHEDULED, ACTIVE)))
            .distinct()
        ).all()
        for hotel in session.exec(select(Hotel).where(col(Hotel.id).in_(hotel_ids))):
            today = hotel_today(hotel, now)
            live = select(OutOfOrderPeriod.id).where(OutOfOrderPeriod.hotel_id == hotel.id)
            starting = live.where(
                OutOfOrderPeriod.status == SCHEDULED, OutOfOrderPeriod.starts_on <= today
            )
            ending = live.where(OutOfOrderPeriod.status == ACTIVE, OutOfOrderPeriod.ends_on < today)
            due += [(pid, "start") for pid in session.exec(starting.order_by(OutOfOrderPeriod.id))]  # type: ignore[misc]
            due += [(pid, "end") for pid in session.exec(ending.order_by(OutOfOrderPeriod.id))]  # type: ignore[misc]
    return due


@retry_on_conflict
def _apply(period_id: int, event: str, now: datetime) -> int:
    expected = SCHEDULED if event == "start" else ACTIVE
    with transaction() as uow:
        session = uow.session
        claim = (
            select(OutOfOrderPeriod)
            .where(OutOfOrderPeriod.id == period_id, OutOfOrderPeriod.status == expected)
            .with_for_update(skip_locked=True)
            .execution_options(**FRESH)
        )
        period = session.exec(claim).first()
        if period is None:
            return 0  # another scheduler is applying it, or has
        room = session.exec(
            select(Room).where(Room.id == period.room_id).execution_options(**FRESH)
        ).one()
        hotel = session.exec(select(Hotel).where(Hotel.id == period.hotel_id)).one()
        _machine(session, hotel, period, room, SYSTEM, now, source="scheduler").fire(event)
        return 1


# --- helpers ---------------------------------------------------------------------------------


def _check_may_schedule(actor: Actor) -> None:
    if not RoomTurnover.permits(actor, "take_out_of_order"):
        message = f"A {actor.role.value} may not schedule out-of-order periods"
        raise TransitionRefused(message, code=PERMISSION_DENIED)


def _locked_room(scope: HotelScope, room_number: int) -> Room:
    """The room, locked for the transaction: two requests scheduling periods of one room
    queue, so neither misses the other's clash (PostgreSQL; SQLite has one writer)."""
    room = scope.room(room_number)
    locked = select(Room).where(Room.id == room.id).with_for_update().execution_options(**FRESH)
    return scope.session.exec(locked).one()


def _period(session: Session, room: Room, period_id: int) -> OutOfOrderPeriod:
    query = select(OutOfOrderPeriod).where(
        OutOfOrderPeriod.id == period_id, OutOfOrderPeriod.room_id == room.id
    )
    period = session.exec(query.execution_options(**FRESH)).first()
    if period is None:
        raise PeriodNotFound(f"Room {room.room_number} has no out-of-order period {period_id}")
    return period


def _machine(
    session: Session,
    hotel: Hotel,
    period: OutOfOrderPeriod,
    room: Room,
    actor: Actor,
    now: datetime,
    source: str = "staff_out_of_order_endpoint",
) -> OutOfOrderPeriodMachine:
    note = f"out of order {period.starts_on} to {period.ends_on}"
    note = f"{note}: {period.reason}" if period.reason else note
    ctx = TransitionContext(session, hotel, actor, source, note=note, now=now)
    return OutOfOrderPeriodMachine(period, ctx, room=room)


def _try(
    scope: HotelScope, period: OutOfOrderPeriod, room: Room, event: str, actor: Actor, now: datetime
) -> None:
    """Fire `event` now if the machine allows it (in a savepoint: a room that cannot go out
    of order yet, e.g. still occupied, leaves the period for the scheduler to start)."""
    machine = _machine(scope.session, scope.hotel, period, room, actor, now)
    if event not in {e.id for e in machine.enabled_events()}:
        return
    try:
        with scope.uow.savepoint():
            machine.fire(event)
    except TransitionRefused as refused:
        log.info("out-of-order period %s not started yet: %s", period.id, refused.message)

"""Turnover analytics: what the transition log says about a period, computed in SQL.

For a period of the hotel's own calendar days (its IANA timezone; UTC when it has none):

- turnover time: a room's `check_out` to its next `pass_inspection` (READY_FOR_GUEST),
  median and 90th percentile per day of the checkout;
- rooms ready by the check-in time (default 15:00 local) against the departures (room
  checkouts) of that day;
- cleaning duration, `start_cleaning` to the room's next `finish_cleaning`, per
  housekeeper (who started it) and per kind (what made the room dirty: a departure, a
  failed inspection, a return from out of order, a forced checkout);
- checkouts per hour of the day (local), and the inspection failure rate.

Nothing of the log is loaded into Python: each figure is one SQL statement over an index
of the log (hotel, kind, event, time). Pairs of events come from `LEAD`/`LAG` over a room's
rows in id order. Percentiles are PostgreSQL's `percentile_cont`; SQLite has none, so there
they are computed the same way (linear interpolation between the two nearest ranks) with
`ROW_NUMBER` and `COUNT` as window functions. Local days and hours: SQLite has no timezone
database, so the hotel's UTC offsets over the period (with their DST changes, from Python's
zoneinfo) are written into the statement as a `CASE` on the epoch second, and days and
hours are whole-number arithmetic on the local epoch second: the same statement on both
databases, correct on the days the clocks change.
"""

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import (
    Float,
    Integer,
    Select,
    and_,
    case,
    cast,
    extract,
    func,
    literal_column,
    select,
)
from sqlalchemy.sql.elements import ColumnElement

from storage.models import TransitionLog
from storage.unit_of_work import UnitOfWork
from workflows.machines.actors import Actor, Role
from workflows.machines.errors import PERMISSION_DENIED, DomainError
from workflows.services.hotel_calendar import hotel_check_in_time, hotel_timezone
from workflows.services.scope import hotel_scope

ANALYTICS_READERS = (Role.SUPERVISOR, Role.MANAGER)
MAX_PERIOD_DAYS = 366
DEFAULT_PERIOD_DAYS = 30
# A turnover whose room is not ready within this long after its checkout is counted as a
# departure not ready (and no turnover time); so is a cleaning left unfinished.
LOOK_AHEAD = timedelta(days=14)
# How far back a cleaning's start looks for what made the room dirty.
LOOK_BACK = timedelta(days=14)
SECONDS_PER_DAY = 86_400
DIRTYING_EVENTS = {
    "check_out": "departure",
    "fail_inspection": "failed_inspection",
    "return_to_service": "out_of_order",
    "force_checkout": "forced_checkout",
}
CLEANING_KINDS = (*DIRTYING_EVENTS.values(), "other")

log = TransitionLog.__table__  # type: ignore[attr-defined]
# A room's rows in the order they happened.
ROOM_ORDER: dict[str, Any] = {"partition_by": log.c.entity_id, "order_by": log.c.id}


class InvalidPeriod(DomainError):
    code = "VALIDATION_ERROR"


@dataclass(frozen=True)
class Period:
    """Whole local days `first`..`last` (inclusive) of a hotel's calendar."""

    first: date
    last: date
    zone: ZoneInfo

    @property
    def start(self) -> datetime:  # UTC
        return _local_midnight(self.first, self.zone)

    @property
    def end(self) -> datetime:  # UTC, exclusive
        return _local_midnight(self.last + timedelta(days=1), self.zone)

    @property
    def days(self) -> list[date]:
        return [self.first + timedelta(days=n) for n in range((self.last - self.first).days + 1)]


def _local_midnight(day: date, zone: ZoneInfo) -> datetime:
    return datetime.combine(day, time(0), tzinfo=zone).astimezone(UTC)


def period_of(
    first: date | None, last: date | None, zone: ZoneInfo, today: date | None = None
) -> Period:
    """The period asked for; by default the last 30 days up to today (local)."""
    today = today or datetime.now(zone).date()
    last = last or (today if first is None else min(today, first + timedelta(days=29)))
    first = first or last - timedelta(days=DEFAULT_PERIOD_DAYS - 1)
    if first > last:
        raise InvalidPeriod(f"The period starts ({first}) after it ends ({last})")
    if (last - first).days + 1 > MAX_PERIOD_DAYS:
        raise InvalidPeriod(f"A period is at most {MAX_PERIOD_DAYS} days long")
    return Period(first, last, zone)


@dataclass(frozen=True)
class Spread:
    """How long something took: how many, their median and 90th percentile, in minutes."""

    count: int = 0
    median_minutes: float | None = None
    p90_minutes: float | None = None


@dataclass(frozen=True)
class DayFigures:
    day: date
    departures: int = 0
    ready_by_check_in: int = 0
    turnover: Spread = Spread()
    inspections_passed: int = 0
    inspections_failed: int = 0


@dataclass(frozen=True)
class CleaningFigures:
    key: str  # the housekeeper's username, or the kind of cleaning
    spread: Spread


@dataclass(frozen=True)
class TurnoverAnalytics:
    hotel_slug: str
    timezone: str
    period: Period
    check_in_time: time
    turnover: Spread
    days: list[DayFigures]
    cleaning_by_housekeeper: list[CleaningFigures]
    cleaning_by_kind: list[CleaningFigures]
    checkouts_by_hour: list[int] = field(default_factory=lambda: [0] * 24)

    @property
    def departures(self) -> int:
        return sum(day.departures for day in self.days)

    @property
    def ready_by_check_in(self) -> int:
        return sum(day.ready_by_check_in for day in self.days)

    @property
    def inspections_passed(self) -> int:
        return sum(day.inspections_passed for day in self.days)

    @property
    def inspections_failed(self) -> int:
        return sum(day.inspections_failed for day in self.days)

    @property
    def inspection_failure_rate(self) -> float | None:
        inspected = self.inspections_passed + self.inspections_failed
        return self.inspections_failed / inspected if inspected else None

    @property
    def ready_rate(self) -> float | None:
        return self.ready_by_check_in / self.departures if self.departures else None


def may_read_analytics(actor: Actor) -> bool:
    """Supervisors and managers (and superusers): the figures name each housekeeper."""
    return actor.may_fire(ANALYTICS_READERS)


def turnover_analytics(
    hotel_slug: str,
    *,
    actor: Actor,
    first: date | None = None,
    last: date | None = None,
    check_in_time: time | None = None,
    today: date | None = None,
    uow: UnitOfWork | None = None,
) -> TurnoverAnalytics:
    if not may_read_analytics(actor):
        raise DomainError(
            "Turnover analytics are for supervisors and managers", code=PERMISSION_DENIED
        )
    with hotel_scope(hotel_slug, uow, write=False) as scope:
        zone = hotel_timezone(scope.hotel)
        period = period_of(first, last, zone, today)
        ready_by = check_in_time or hotel_check_in_time(scope.hotel)
        sql = _Sql(scope.session.get_bind().dialect.name, scope.hotel.id, period)  # type: ignore[arg-type]
        run = scope.session.execute
        turnovers = sql.turnovers()
        per_day = _day_figures(
            period,
            departures=run(sql.departures_per_day(turnovers, ready_by)).all(),
            spreads=run(sql.spreads(turnovers, turnovers.c.day)).all(),
            inspections=run(sql.inspections_per_day()).all(),
        )
        overall = run(sql.spreads(turnovers, None)).all()
        cleanings = sql.cleanings()
        by_housekeeper = run(sql.spreads(cleanings, cleanings.c.actor)).all()
        by_kind = run(sql.spreads(cleanings, cleanings.c.kind)).all()
        hours = run(sql.checkouts_per_hour(turnovers)).all()
        return TurnoverAnalytics(
            hotel_slug=hotel_slug,
            timezone=str(zone.key),
            period=period,
            check_in_time=ready_by,
            turnover=_spread(overall[0]) if overall else Spread(),
            days=per_day,
            cleaning_by_housekeeper=[
                CleaningFigures(row[0], _spread(row)) for row in by_housekeeper
            ],
            cleaning_by_kind=_kinds(by_kind),
            checkouts_by_hour=_hours(hours),
        )


# --- shaping the rows --------------------------------------------------------------------


def _minutes(seconds: Any) -> float | None:
    return None if seconds is None else round(float(seconds) / 60.0, 1)


def _spread(row: Sequence[Any]) -> Spread:
    _, count, median, p90 = row
    return Spread(int(count), _minutes(median), _minutes(p90))


def _day_figures(
    period: Period,
    *,
    departures: Sequence[Sequence[Any]],
    spreads: Sequence[Sequence[Any]],
    inspections: Sequence[Sequence[Any]],
) -> list[DayFigures]:
    epoch_day = date(1970, 1, 1)
    out = {(row[0]): (int(row[1]), int(row[2] or 0)) for row in departures}
    times = {row[0]: _spread(row) for row in spreads}
    checks = {row[0]: (int(row[1] or 0), int(row[2] or 0)) for row in inspections}
    figures = []
    for day in period.days:
        number = (day - epoch_day).days
        departed, ready = out.get(number, (0, 0))
        passed, failed = checks.get(number, (0, 0))
        figures.append(
            DayFigures(day, departed, ready, times.get(number, Spread()), passed, failed)
        )
    return figures


def _kinds(rows: Sequence[Sequence[Any]]) -> list[CleaningFigures]:
    found = {row[0]: _spread(row) for row in rows}
    return [CleaningFigures(kind, found[kind]) for kind in CLEANING_KINDS if kind in found]


def _hours(rows: Sequence[Sequence[Any]]) -> list[int]:
    counts = [0] * 24
    for hour, count in rows:
        counts[int(hour)] = int(count)
    return counts


# --- the statements ----------------------------------------------------------------------


def utc_offsets(zone: ZoneInfo, start: datetime, end: datetime) -> list[tuple[int, int]]:
    """[(from_epoch_second, offset_seconds), ...] of `zone` between `start` and `end`
    (UTC): its first offset from the start, then one entry at every change."""

    def offset_at(moment: datetime) -> int:
        return int(moment.astimezone(zone).utcoffset().total_seconds())  # type: ignore[union-attr]

    changes = [(int(start.timestamp()), offset_at(start))]
    hour = start
    while hour < end:
        following = hour + timedelta(hours=1)
        if offset_at(following) != changes[-1][1]:
            low, high = int(hour.timestamp()), int(following.timestamp())
            while high - low > 1:  # the second of the change
                middle = (low + high) // 2
                if offset_at(datetime.fromtimestamp(middle, UTC)) == changes[-1][1]:
                    low = middle
                else:
                    high = middle
            changes.append((high, offset_at(following)))
        hour = following
    return changes


class _Sql:
    """The statements for one hotel and period, in the database's dialect."""

    def __init__(self, dialect: str, hotel_id: int, period: Period) -> None:
        self.postgres = dialect == "postgresql"
        self.hotel_id = hotel_id
        self.period = period
        self.offsets = utc_offsets(period.zone, period.start - LOOK_BACK, period.end + LOOK_AHEAD)

    # expressions

    def epoch(self, column: Any) -> ColumnElement[Any]:
        if self.postgres:
            return cast(extract("epoch", column), Float)
        # Julian days are floating point: round to the millisecond the log stores, so that
        # 11:00:00 is not 10:59:59.99998 (the hour 10).
        return func.round((func.julianday(column) - 2440587.5) * 86400.0, 3)

    def floor(self, value: Any) -> ColumnElement[Any]:
        # Epoch seconds after 1970 are positive: SQLite's CAST truncates, which is floor.
        return func.floor(value) if self.postgres else cast(value, Integer)

    def local(self, epoch: Any) -> ColumnElement[Any]:
        """The local epoch second (UTC + the offset in force then)."""
        if len(self.offsets) == 1:
            return epoch + self.offsets[0][1]
        whens = [
            (epoch < start, offset)
            for (start, _), (_, offset) in zip(self.offsets[1:], self.offsets, strict=False)
        ]
        return epoch + case(*whens, else_=self.offsets[-1][1])

    def day_of(self, local_epoch: Any) -> ColumnElement[Any]:
        return cast(self.floor(local_epoch / SECONDS_PER_DAY), Integer)

    def room_rows(self, events: Sequence[str], since: datetime, until: datetime):  # type: ignore[no-untyped-def]
        return and_(
            log.c.hotel_id == self.hotel_id,
            log.c.entity_kind == "room",
            log.c.event.in_(events),
            log.c.created_at >= since,
            log.c.created_at < until,
        )

    def in_period(self, epoch: Any) -> ColumnElement[bool]:
        return and_(epoch >= self.period.start.timestamp(), epoch < self.period.end.timestamp())

    # statements

    def turnovers(self):  # type: ignore[no-untyped-def]
        """Each room checkout of the period: its local day and hour, and when (local
        epoch) and how long after it the room was next ready, if it was."""
        events = ("check_out", "force_checkout", "pass_inspection")
        at = self.epoch(log.c.created_at)
        marks = (
            select(
                log.c.event,
                at.label("at"),
                func.lead(log.c.event)
                .over(partition_by=log.c.entity_id, order_by=log.c.id)
                .label("next_event"),
                func.lead(at)
                .over(partition_by=log.c.entity_id, order_by=log.c.id)
                .label("next_at"),
            )
            .where(self.room_rows(events, self.period.start, self.period.end + LOOK_AHEAD))
            .subquery("marks")
        )
        ready = marks.c.next_event == "pass_inspection"
        local_at = self.local(marks.c.at)
        day = self.day_of(local_at)
        into_day = local_at - day * SECONDS_PER_DAY
        return (
            select(
                day.label("day"),
                cast(self.floor(into_day / 3600), Integer).label("hour"),
                case((ready, self.local(marks.c.next_at))).label("ready_local"),
                case((ready, marks.c.next_at - marks.c.at)).label("value"),
            )
            .where(marks.c.event == "check_out", self.in_period(marks.c.at))
            .cte("turnovers")
        )

    def departures_per_day(self, turnovers: Any, ready_by: time) -> Select[Any]:
        deadline = turnovers.c.day * SECONDS_PER_DAY + ready_by.hour * 3600 + ready_by.minute * 60
        ready = case((turnovers.c.ready_local <= deadline, 1), else_=0)
        return select(turnovers.c.day, func.count(), func.sum(ready)).group_by(turnovers.c.day)

    def checkouts_per_hour(self, turnovers: Any) -> Select[Any]:
        return select(turnovers.c.hour, func.count()).group_by(turnovers.c.hour)

    def inspections_per_day(self) -> Select[Any]:
        day = self.day_of(self.local(self.epoch(log.c.created_at))).label("day")
        passed = func.sum(case((log.c.event == "pass_inspection", 1), else_=0))
        failed = func.sum(case((log.c.event == "fail_inspection", 1), else_=0))
        where = self.room_rows(
            ("pass_inspection", "fail_inspection"), self.period.start, self.period.end
        )
        return select(day, passed, failed).where(where).group_by(day)

    def cleanings(self):  # type: ignore[no-untyped-def]
        """Each cleaning started in the period: who started it, its kind, its seconds
        (when it was finished)."""
        events = ("start_cleaning", "finish_cleaning", *DIRTYING_EVENTS)
        at = self.epoch(log.c.created_at)
        window = ROOM_ORDER
        steps = (
            select(
                log.c.event,
                log.c.actor,
                at.label("at"),
                func.lag(log.c.event).over(**window).label("previous_event"),
                func.lead(log.c.event).over(**window).label("next_event"),
                func.lead(at).over(**window).label("next_at"),
            )
            .where(
                self.room_rows(events, self.period.start - LOOK_BACK, self.period.end + LOOK_AHEAD)
            )
            .subquery("steps")
        )
        kind = case(
            *[(steps.c.previous_event == event, name) for event, name in DIRTYING_EVENTS.items()],
            else_="other",
        )
        return (
            select(
                steps.c.actor,
                kind.label("kind"),
                (steps.c.next_at - steps.c.at).label("value"),
            )
            .where(
                steps.c.event == "start_cleaning",
                steps.c.next_event == "finish_cleaning",
                self.in_period(steps.c.at),
            )
            .cte("cleanings")
        )

    def spreads(self, source: Any, key: Any | None) -> Select[Any]:
        """(key, count, median, p90) of `source.c.value` per `key` (one row of them all
        when None); rows without a value are left out."""
        if not self.postgres:
            return _window_percentiles(source, key)
        value = source.c.value
        statement = select(
            (literal_column("0") if key is None else key).label("key"),
            func.count(value),
            func.percentile_cont(0.5).within_group(value),
            func.percentile_cont(0.9).within_group(value),
        ).where(value.is_not(None))
        return statement if key is None else statement.group_by(key)


def _window_percentiles(source: Any, key: Any | None) -> Select[Any]:
    """percentile_cont(0.5) and (0.9) without percentile_cont (SQLite): in each group of n
    values sorted, the value at rank 1 + p(n - 1), interpolated between the two ranks
    around it."""
    ranked = (
        select(
            (literal_column("0") if key is None else key).label("key"),
            source.c.value.label("value"),
            func.row_number().over(partition_by=key, order_by=source.c.value).label("rank"),
            func.count().over(partition_by=key).label("n"),
        )
        .where(source.c.value.is_not(None))
        .subquery("ranked")
    )

    def percentile(p: float) -> ColumnElement[Any]:
        position = 1 + p * (ranked.c.n - 1)
        lower_rank = cast(position, Integer)
        lower = func.max(case((ranked.c.rank == lower_rank, ranked.c.value)))
        upper = func.max(case((ranked.c.rank == lower_rank + 1, ranked.c.value)))
        fraction = func.max(position - lower_rank)
        return lower + fraction * (func.coalesce(upper, lower) - lower)

    statement = select(ranked.c.key, func.count(), percentile(0.5), percentile(0.9))
    return statement if key is None else statement.group_by(ranked.c.key)

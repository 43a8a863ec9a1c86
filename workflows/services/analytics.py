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

Nothing of the log is loaded into Python: four SQL statements over two indexes of the
log, one by hotel, kind, event and time (the period's rows), one by room and id (a
room's neighbouring transitions). A room's next or previous transition comes from `LEAD`
and `LAG` on PostgreSQL and from one index lookup per row on SQLite, whose window
functions cost more than the lookups (the two ways give the same pairs; the tests hold
them to the same figures). Percentiles are PostgreSQL's `percentile_cont`; SQLite has
none, so there they are computed the same way (linear interpolation between the two
nearest ranks) with `ROW_NUMBER` and `COUNT` as window functions. Local days and hours:
SQLite has no timezone database, so the hotel's UTC offsets over the period (with their
DST changes, from Python's zoneinfo) are written into the statement as a `CASE` on the
epoch second, and days and hours are whole-number arithmetic on the local epoch second:
correct on the days the clocks change, on both databases.
"""

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import (
    BigInteger,
    Integer,
    Select,
    and_,
    case,
    cast,
    extract,
    func,
    literal_column,
    select,
    text,
    union_all,
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
# The hotel's UTC offsets are written into the statements for the period and this long
# after it (a room's ready time is compared with its checkout day's check-in time).
LOOK_AHEAD = timedelta(days=2)
# A room not ready within this long after the period's end counts as not ready (and gives
# no turnover time); a cleaning's dirtying event is looked for this far back.
PAIRING_HORIZON = timedelta(days=31)
SECONDS_PER_DAY = 86_400
DIRTYING_EVENTS = {
    "check_out": "departure",
    "fail_inspection": "failed_inspection",
    "return_to_service": "out_of_order",
    "force_checkout": "forced_checkout",
}
CLEANING_KINDS = (*DIRTYING_EVENTS.values(), "other")
ALL_DAYS = -1  # the "day" of the whole period's turnover figures
BY_HOUSEKEEPER, BY_KIND = "housekeeper", "kind"

log = TransitionLog.__table__  # type: ignore[attr-defined]
# A room's rows in the order they happened (PostgreSQL's windows).
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
        if sql.postgres:
            # The planner's cost estimate of these statements switches JIT compilation on,
            # which takes longer (0.7 s measured) than running them does; and a year's
            # rows sort in memory with more than the default 4 MB.
            run(text("SET LOCAL jit = off"))
            run(text("SET LOCAL work_mem = '32MB'"))
        turnovers = run(sql.turnovers(ready_by)).all()
        cleanings = run(sql.cleanings()).all()
        per_day = _day_figures(
            period,
            turnovers=[row for row in turnovers if row[0] != ALL_DAYS],
            inspections=run(sql.inspections_per_day()).all(),
        )
        overall = [row for row in turnovers if row[0] == ALL_DAYS]
        return TurnoverAnalytics(
            hotel_slug=hotel_slug,
            timezone=str(zone.key),
            period=period,
            check_in_time=ready_by,
            turnover=_spread(overall[0][3:]) if overall else Spread(),
            days=per_day,
            cleaning_by_housekeeper=[
                CleaningFigures(row[1], _spread(row[3:]))
                for row in cleanings
                if row[0] == BY_HOUSEKEEPER
            ],
            cleaning_by_kind=_kinds([row[1:] for row in cleanings if row[0] == BY_KIND]),
            checkouts_by_hour=_hours(run(sql.checkouts_per_hour()).all()),
        )


# --- shaping the rows --------------------------------------------------------------------


def _minutes(seconds: Any) -> float | None:
    return None if seconds is None else round(float(seconds) / 60.0, 1)


def _spread(row: Sequence[Any]) -> Spread:
    """(count, median seconds, p90 seconds) -> a Spread in minutes."""
    count, median, p90 = row
    return Spread(int(count or 0), _minutes(median), _minutes(p90))


def _day_figures(
    period: Period,
    *,
    turnovers: Sequence[Sequence[Any]],
    inspections: Sequence[Sequence[Any]],
) -> list[DayFigures]:
    """Every day of the period, from rows keyed by day number (days since 1970-01-01)."""
    epoch_day = date(1970, 1, 1)
    out = {row[0]: row for row in turnovers}
    checks = {row[0]: (int(row[1] or 0), int(row[2] or 0)) for row in inspections}
    figures = []
    for day in period.days:
        number = (day - epoch_day).days
        row = out.get(number)
        passed, failed = checks.get(number, (0, 0))
        if row is None:
            figures.append(DayFigures(day, inspections_passed=passed, inspections_failed=failed))
            continue
        departed, ready = int(row[1]), int(row[2] or 0)
        figures.append(DayFigures(day, departed, ready, _spread(row[3:]), passed, failed))
    return figures


def _kinds(rows: Sequence[Sequence[Any]]) -> list[CleaningFigures]:
    found = {row[0]: _spread(row[2:]) for row in rows}
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
    """The statements for one hotel and period, in the database's dialect.

    Times are whole epoch seconds (integers on both databases, so a local day is an
    integer division and 11:00:00 is never 10:59:59.99998). A room's next (or previous)
    event is one lookup in the room's timeline index per row: measured on SQLite, 2.4 times
    faster than `LEAD` over the rows, whose window machinery costs more than the lookups.
    Intermediate rows are MATERIALIZED common table expressions, computed once.
    """

    def __init__(self, dialect: str, hotel_id: int, period: Period) -> None:
        self.postgres = dialect == "postgresql"
        self.hotel_id = hotel_id
        self.period = period
        self.start = int(period.start.timestamp())
        self.end = int(period.end.timestamp())
        self.offsets = utc_offsets(period.zone, period.start, period.end + LOOK_AHEAD)

    # expressions

    def epoch(self, column: Any) -> ColumnElement[Any]:
        """Whole seconds since 1970 (UTC), rounded."""
        if self.postgres:
            return cast(func.round(extract("epoch", column)), BigInteger)
        # julianday() is a float: rounding to the second keeps it exact.
        return cast((func.julianday(column) - 2440587.5) * 86400.0 + 0.5, BigInteger)

    def offset(self, epoch: Any) -> ColumnElement[Any]:
        """The hotel's UTC offset (seconds) in force at `epoch`."""
        if len(self.offsets) == 1:
            return literal_column(str(self.offsets[0][1]))
        whens = [
            (epoch < start, literal_column(str(offset)))
            for (start, _), (_, offset) in zip(self.offsets[1:], self.offsets, strict=False)
        ]
        return case(*whens, else_=literal_column(str(self.offsets[-1][1])))

    def room_rows(self, events: Sequence[str], since: datetime, until: datetime):  # type: ignore[no-untyped-def]
        return and_(
            log.c.hotel_id == self.hotel_id,
            log.c.entity_kind == "room",
            log.c.event.in_(events),
            log.c.created_at >= since,
            log.c.created_at < until,
        )

    def in_period(self, epoch: Any) -> ColumnElement[bool]:
        return and_(epoch >= self.start, epoch < self.end)

    # statements

    # Pairs of events of a room. The two databases are fast at opposite things: SQLite's
    # window functions cost more per row than an index lookup per row, PostgreSQL's
    # subplans cost more than a window over the rows. Each gets its own way to the same
    # pairs (the tests hold both to the same figures). On SQLite every lookup is named
    # once: a subquery it flattens would run a lookup as often as its result is named.

    def kind_of(self, event: Any) -> ColumnElement[Any]:
        """What made a room dirty, from the event that did."""
        return case(
            *[(event == name, kind) for name, kind in DIRTYING_EVENTS.items()], else_="other"
        )

    def turnover_pairs(self):  # type: ignore[no-untyped-def]
        """Each room checkout of the period: `at`, its epoch second, and `value`, the
        seconds until the room's next pass_inspection (READY_FOR_GUEST: the only way back
        to it, so it ends that checkout's turnover) when that came within PAIRING_HORIZON
        of the period's end, else NULL."""
        horizon = self.period.end + PAIRING_HORIZON
        at = self.epoch(log.c.created_at)
        if self.postgres:
            marks = (
                select(
                    log.c.event,
                    at.label("at"),
                    func.lead(log.c.event).over(**ROOM_ORDER).label("next_event"),
                    func.lead(at).over(**ROOM_ORDER).label("next_at"),
                )
                .where(self.room_rows(["check_out", "pass_inspection"], self.period.start, horizon))
                .subquery("marks")
            )
            value = case((marks.c.next_event == "pass_inspection", marks.c.next_at - marks.c.at))
            pairs = select(marks.c.at, value.label("value")).where(
                marks.c.event == "check_out", self.in_period(marks.c.at)
            )
        else:
            following = log.alias("following")
            ready_at = (
                select(self.epoch(following.c.created_at))
                .where(
                    following.c.entity_kind == "room",
                    following.c.entity_id == log.c.entity_id,
                    following.c.id > log.c.id,
                    following.c.event == "pass_inspection",
                    following.c.created_at < horizon,
                )
                .order_by(following.c.id)
                .limit(1)
                .scalar_subquery()
            )
            pairs = select(at.label("at"), (ready_at - at).label("value")).where(
                self.room_rows(["check_out"], self.period.start, self.period.end)
            )
        return pairs.cte("pairs").prefix_with("MATERIALIZED")  # computed once

    def cleaning_pairs(self):  # type: ignore[no-untyped-def]
        """Each start_cleaning of the period that the room's next transition finished:
        `actor`, `kind` (from the room's transition before the start, the one that made
        it dirty, looked for within PAIRING_HORIZON) and `value`, the seconds it took."""
        since = self.period.start - PAIRING_HORIZON
        until = self.period.end + PAIRING_HORIZON
        at = self.epoch(log.c.created_at)
        if self.postgres:
            # The transitions into and out of a cleaning: no other can come between a
            # room's dirtying event, its start and its finish.
            events = ["start_cleaning", "finish_cleaning", *DIRTYING_EVENTS, "take_out_of_order"]
            steps = (
                select(
                    log.c.event,
                    log.c.actor,
                    at.label("at"),
                    func.lag(log.c.event).over(**ROOM_ORDER).label("previous_event"),
                    func.lead(log.c.event).over(**ROOM_ORDER).label("next_event"),
                    func.lead(at).over(**ROOM_ORDER).label("next_at"),
                )
                .where(self.room_rows(events, since, until))
                .subquery("steps")
            )
            pairs = select(
                steps.c.actor,
                self.kind_of(steps.c.previous_event).label("kind"),
                (steps.c.next_at - steps.c.at).label("value"),
            ).where(
                steps.c.event == "start_cleaning",
                steps.c.next_event == "finish_cleaning",
                self.in_period(steps.c.at),
            )
        else:
            previous, following = log.alias("previous"), log.alias("following")
            kind = (
                select(self.kind_of(previous.c.event))
                .where(
                    previous.c.entity_kind == "room",
                    previous.c.entity_id == log.c.entity_id,
                    previous.c.id < log.c.id,
                    previous.c.created_at >= since,
                )
                .order_by(previous.c.id.desc())
                .limit(1)
                .scalar_subquery()
            )
            finished_at = (
                select(
                    case(
                        (
                            following.c.event == "finish_cleaning",
                            self.epoch(following.c.created_at),
                        )
                    )
                )
                .where(
                    following.c.entity_kind == "room",
                    following.c.entity_id == log.c.entity_id,
                    following.c.id > log.c.id,
                    following.c.created_at < until,
                )
                .order_by(following.c.id)
                .limit(1)
                .scalar_subquery()
            )
            # An unfinished cleaning has no value: left out where the pairs are read.
            pairs = select(
                log.c.actor,
                func.coalesce(kind, "other").label("kind"),
                (finished_at - at).label("value"),
            ).where(self.room_rows(["start_cleaning"], self.period.start, self.period.end))
        return pairs.cte("cleaning_pairs").prefix_with("MATERIALIZED")

    def turnovers(self, ready_by: time) -> Select[Any]:
        """Per local day of a room checkout (and once more for the whole period, day
        ALL_DAYS): departures, how many were ready by `ready_by` that day, and the spread
        of checkout -> ready."""
        pairs = self.turnover_pairs()
        day = (pairs.c.at + self.offset(pairs.c.at)) // SECONDS_PER_DAY
        ready_at = pairs.c.at + pairs.c.value
        deadline = day * SECONDS_PER_DAY + ready_by.hour * 3600 + ready_by.minute * 60
        in_time = ready_at + self.offset(ready_at) <= deadline
        departures = select(
            day.label("day"), case((in_time, 1), else_=0).label("ready"), pairs.c.value
        ).subquery("departures")
        if self.postgres:  # both groupings in one pass
            every_day = func.grouping(departures.c.day) == 1
            return self.spreads(
                departures,
                [case((every_day, ALL_DAYS), else_=departures.c.day)],
                sums=["ready"],
                group_by=[text("GROUPING SETS ((departures.day), ())")],
            )
        keyed = union_all(
            select(departures.c.day.label("key"), departures.c.ready, departures.c.value),
            select(
                literal_column(str(ALL_DAYS)).label("key"),
                literal_column("0").label("ready"),
                departures.c.value,
            ).where(departures.c.value.is_not(None)),
        ).subquery("keyed")
        return self.spreads(keyed, [keyed.c.key], sums=["ready"])

    def cleanings(self) -> Select[Any]:
        """Per housekeeper and per kind (dimension BY_HOUSEKEEPER or BY_KIND, then the
        key): the spread of start_cleaning -> finish_cleaning, for the cleanings started
        in the period."""
        pairs = self.cleaning_pairs()
        if self.postgres:  # both groupings in one pass
            by_housekeeper = func.grouping(pairs.c.actor) == 0
            return self.spreads(
                pairs,
                [
                    case((by_housekeeper, BY_HOUSEKEEPER), else_=BY_KIND),
                    case((by_housekeeper, pairs.c.actor), else_=pairs.c.kind),
                ],
                group_by=[text("GROUPING SETS ((cleaning_pairs.actor), (cleaning_pairs.kind))")],
            )
        keyed = union_all(
            select(
                literal_column(f"'{BY_HOUSEKEEPER}'").label("dimension"),
                pairs.c.actor.label("key"),
                pairs.c.value,
            ).where(pairs.c.value.is_not(None)),
            select(
                literal_column(f"'{BY_KIND}'").label("dimension"),
                pairs.c.kind.label("key"),
                pairs.c.value,
            ).where(pairs.c.value.is_not(None)),
        ).subquery("keyed")
        return self.spreads(keyed, [keyed.c.dimension, keyed.c.key])

    def checkouts_per_hour(self) -> Select[Any]:
        at = self.epoch(log.c.created_at)
        hour = ((at + self.offset(at)) % SECONDS_PER_DAY) // 3600
        where = self.room_rows(("check_out",), self.period.start, self.period.end)
        return select(hour.label("hour"), func.count()).where(where).group_by(hour)

    def inspections_per_day(self) -> Select[Any]:
        at = self.epoch(log.c.created_at)
        day = ((at + self.offset(at)) // SECONDS_PER_DAY).label("day")
        passed = func.sum(case((log.c.event == "pass_inspection", 1), else_=0))
        failed = func.sum(case((log.c.event == "fail_inspection", 1), else_=0))
        where = self.room_rows(
            ("pass_inspection", "fail_inspection"), self.period.start, self.period.end
        )
        return select(day, passed, failed).where(where).group_by(day)

    def spreads(
        self,
        source: Any,
        keys: list[Any],
        sums: Sequence[str] = (),
        group_by: Sequence[Any] | None = None,
    ) -> Select[Any]:
        """Per `keys` (grouped by `group_by`, by default the keys): how many rows, the sums
        of the columns `sums`, then how many rows have a value, their median and 90th
        percentile (percentile_cont: NULLs left out)."""
        if not self.postgres:
            return _window_percentiles(source, keys, sums)
        value = source.c.value
        return select(
            *keys,
            func.count(),
            *[func.sum(source.c[name]) for name in sums],
            func.count(value),
            func.percentile_cont(0.5).within_group(value),
            func.percentile_cont(0.9).within_group(value),
        ).group_by(*(group_by if group_by is not None else keys))


def _window_percentiles(source: Any, keys: list[Any], sums: Sequence[str]) -> Select[Any]:
    """What `percentile_cont(0.5)` and `(0.9)` give, without percentile_cont (SQLite): in
    each group's n values, sorted, the value at rank 1 + p(n - 1), interpolated between
    the two ranks around it. NULLs sort last and are not counted."""
    order = source.c.value.asc().nulls_last()
    ranked = select(
        source,
        func.row_number().over(partition_by=keys, order_by=order).label("rank"),
        # The same partition and order (one sort), the whole partition as the frame.
        func.count(source.c.value)
        .over(partition_by=keys, order_by=order, rows=(None, None))
        .label("n"),
    ).subquery("ranked")
    group = [ranked.c[key.name] for key in keys]

    def percentile(p: float) -> ColumnElement[Any]:
        position = 1 + p * (ranked.c.n - 1)
        lower_rank = cast(position, Integer)
        lower = func.max(case((ranked.c.rank == lower_rank, ranked.c.value)))
        upper = func.max(case((ranked.c.rank == lower_rank + 1, ranked.c.value)))
        fraction = func.max(position - lower_rank)
        return lower + fraction * (func.coalesce(upper, lower) - lower)

    return select(
        *group,
        func.count(),
        *[func.sum(ranked.c[name]) for name in sums],
        func.max(ranked.c.n),
        percentile(0.5),
        percentile(0.9),
    ).group_by(*group)

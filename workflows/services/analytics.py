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

Nothing is loaded into Python but the figures. The counts (departures per day and hour,
inspections per day) are read from an index of the log; the durations from the log's facts,
`TurnoverInterval` (storage/turnover_intervals.py: one row per finished turnover and per
finished cleaning, written with the transition that ends it, local day and times
precomputed in the hotel's timezone), so a year is about 90,000 small rows, not 300,000
log rows to pair. Percentiles: PostgreSQL's `percentile_cont`; SQLite has none, so there a
group's count comes first, then the values at the two ranks around each percentile are read
from an index in the duration's order (`LIMIT 2 OFFSET k`), interpolated as
`percentile_cont` does. Local days and hours of the log's rows: SQLite has no timezone
database, so the hotel's UTC offsets over the period (with their DST changes, from
Python's zoneinfo) are written into the statement as a `CASE` on the epoch second.
"""

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Select, and_, case, func, literal_column, select, text
from sqlalchemy.sql.elements import ColumnElement

from storage.models import TransitionLog, TurnoverInterval
from storage.turnover_intervals import (
    CLEANING,
    DIRTYING_EVENTS,
    SECONDS_PER_DAY,
    TURNOVER,
    epoch_sql,
    utc_offsets,
)
from storage.unit_of_work import UnitOfWork
from workflows.machines.actors import Actor, Role
from workflows.machines.errors import PERMISSION_DENIED, DomainError
from workflows.services.hotel_calendar import hotel_check_in_time, hotel_timezone
from workflows.services.scope import hotel_scope

__all__ = ["utc_offsets"]

ANALYTICS_READERS = (Role.SUPERVISOR, Role.MANAGER)
MAX_PERIOD_DAYS = 366
DEFAULT_PERIOD_DAYS = 30
# The hotel's UTC offsets are written into the statements for the period and this long
# after it (a room's ready time is compared with its checkout day's check-in time).
LOOK_AHEAD = timedelta(days=2)
# A room not ready within this long after the period's end counts as not ready (and gives
# no turnover time); so does a cleaning not finished within it.
PAIRING_HORIZON = timedelta(days=31)
CLEANING_KINDS = (*DIRTYING_EVENTS.values(), "other")
ALL_DAYS = -1  # the "day" of the whole period's turnover figures
BY_HOUSEKEEPER, BY_KIND = "housekeeper", "kind"
EPOCH_DAY = date(1970, 1, 1)
# SQLite reads this many percentile ranks per statement (a compound SELECT has at most 500).
RANKS_PER_STATEMENT = 200

# The facts' index that holds a group's durations in order, per grouping key (SQLite).
RANK_INDEXES = {
    "local_day": "ix_turnoverinterval_day",
    "kind": "ix_turnoverinterval_kind",
    "actor": "ix_turnoverinterval_actor",
}

log = TransitionLog.__table__  # type: ignore[attr-defined]
facts = TurnoverInterval.__table__  # type: ignore[attr-defined]


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


@dataclass(frozen=True)
class _Durations:
    """What the facts say: per day (count, ready by check-in, Spread), the whole
    period's Spread, and per housekeeper and per kind of cleaning."""

    by_day: dict[int, tuple[int, Spread]]
    overall: Spread
    by_housekeeper: list[CleaningFigures]
    by_kind: list[CleaningFigures]


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
        durations = sql.durations(run, ready_by)
        checkouts = run(sql.checkouts()).all()
        return TurnoverAnalytics(
            hotel_slug=hotel_slug,
            timezone=str(zone.key),
            period=period,
            check_in_time=ready_by,
            turnover=durations.overall,
            days=_day_figures(
                period,
                departures=checkouts,
                durations=durations.by_day,
                inspections=run(sql.inspections_per_day()).all(),
            ),
            cleaning_by_housekeeper=durations.by_housekeeper,
            cleaning_by_kind=durations.by_kind,
            checkouts_by_hour=_hours(checkouts),
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
    departures: Sequence[Sequence[Any]],
    durations: dict[int, tuple[int, Spread]],
    inspections: Sequence[Sequence[Any]],
) -> list[DayFigures]:
    """Every day of the period, from rows keyed by day number (days since 1970-01-01):
    (day, hour, checkouts), (day, passed, failed) and the turnovers per day."""
    departed: dict[int, int] = {}
    for day, _, count in departures:
        departed[int(day)] = departed.get(int(day), 0) + int(count)
    checks = {int(row[0]): (int(row[1] or 0), int(row[2] or 0)) for row in inspections}
    figures = []
    for day in period.days:
        number = (day - EPOCH_DAY).days
        ready, spread = durations.get(number, (0, Spread()))
        passed, failed = checks.get(number, (0, 0))
        figures.append(DayFigures(day, departed.get(number, 0), ready, spread, passed, failed))
    return figures


def _cleaning(rows: Sequence[Sequence[Any]]) -> list[CleaningFigures]:
    """(key, count, median, p90) rows, by key."""
    return [CleaningFigures(str(row[0]), _spread(row[1:])) for row in sorted(rows)]


def _kinds(rows: Sequence[Sequence[Any]]) -> list[CleaningFigures]:
    found = {row[0]: _spread(row[1:]) for row in rows}
    return [CleaningFigures(kind, found[kind]) for kind in CLEANING_KINDS if kind in found]


def _hours(rows: Sequence[Sequence[Any]]) -> list[int]:
    counts = [0] * 24
    for _, hour, count in rows:
        counts[int(hour)] += int(count)
    return counts


# --- the statements ----------------------------------------------------------------------


class _Sql:
    """The statements for one hotel and period, in the database's dialect.

    Times are whole epoch seconds (integers on both databases, so a local day is an
    integer division and 11:00:00 is never 10:59:59.99998)."""

    def __init__(self, dialect: str, hotel_id: int, period: Period) -> None:
        self.dialect = dialect
        self.postgres = dialect == "postgresql"
        self.hotel_id = hotel_id
        self.period = period
        self.start = int(period.start.timestamp())
        self.end = int(period.end.timestamp())
        self.first_day = (period.first - EPOCH_DAY).days
        self.last_day = (period.last - EPOCH_DAY).days
        self.horizon = int((period.end + PAIRING_HORIZON).timestamp())
        self.offsets = utc_offsets(period.zone, period.start, period.end + LOOK_AHEAD)

    # --- counts from the log's index

    def local_hours(self, events: Sequence[str]) -> Any:
        """The period's room rows of `events`: their event and local hour (hours since
        1970, local). Its epoch second is computed once per row: the offset's `CASE`
        compares the stored timestamp with the instants of the changes, and on SQLite
        `LIMIT -1` keeps the grouping query from inlining the expression per mention."""
        at = epoch_sql(log.c.created_at, self.dialect)
        changes = [datetime.fromtimestamp(start, UTC) for start, _ in self.offsets]
        offset: Any = literal_column(str(self.offsets[0][1]))
        if len(self.offsets) > 1:
            whens = [
                (log.c.created_at < change, literal_column(str(previous)))
                for change, (_, previous) in zip(changes[1:], self.offsets, strict=False)
            ]
            offset = case(*whens, else_=literal_column(str(self.offsets[-1][1])))
        rows = select(log.c.event, ((at + offset) // 3600).label("hour")).where(
            self.room_rows(events)
        )
        return (rows if self.postgres else rows.limit(-1)).subquery("local_hours")

    def room_rows(self, events: Sequence[str]) -> ColumnElement[bool]:
        return and_(
            log.c.hotel_id == self.hotel_id,
            log.c.entity_kind == "room",
            log.c.event.in_(events),
            log.c.created_at >= self.period.start,
            log.c.created_at < self.period.end,
        )

    def checkouts(self) -> Select[Any]:
        """(local day, local hour, room checkouts) of the period."""
        rows = self.local_hours(("check_out",))
        return select(rows.c.hour // 24, rows.c.hour % 24, func.count()).group_by(rows.c.hour)

    def inspections_per_day(self) -> Select[Any]:
        rows = self.local_hours(("pass_inspection", "fail_inspection"))
        day = (rows.c.hour // 24).label("day")
        passed = func.sum(case((rows.c.event == "pass_inspection", 1), else_=0))
        failed = func.sum(case((rows.c.event == "fail_inspection", 1), else_=0))
        return select(day, passed, failed).group_by(day)

    # --- durations from the facts

    def durations(self, run: Callable[..., Any], ready_by: time) -> _Durations:
        deadline = ready_by.hour * 3600 + ready_by.minute * 60
        if self.postgres:
            return self.postgres_durations(run, deadline)
        return self.sqlite_durations(run, deadline)

    def facts_of(self, measure: str) -> ColumnElement[bool]:
        """The measure's facts that started on a day of the period and ended before
        the horizon."""
        return and_(
            facts.c.hotel_id == self.hotel_id,
            facts.c.measure == measure,
            facts.c.local_day.between(self.first_day, self.last_day),
            facts.c.ends_epoch < self.horizon,
        )

    def postgres_durations(self, run: Callable[..., Any], deadline: int) -> _Durations:
        # A year's rows sort in memory with more than the default 4 MB; the planner's cost
        # estimate would switch JIT compilation on, which takes longer than the query.
        run(text("SET LOCAL jit = off"))
        run(text("SET LOCAL work_mem = '32MB'"))
        value = facts.c.seconds
        ready = case(
            (facts.c.ends_local <= facts.c.local_day * SECONDS_PER_DAY + deadline, 1), else_=0
        )
        spread = (
            func.count(),
            func.percentile_cont(0.5).within_group(value),
            func.percentile_cont(0.9).within_group(value),
        )
        every_day = func.grouping(facts.c.local_day) == 1
        turnovers = run(
            select(case((every_day, ALL_DAYS), else_=facts.c.local_day), func.sum(ready), *spread)
            .where(self.facts_of(TURNOVER))
            .group_by(text("GROUPING SETS ((turnoverinterval.local_day), ())"))
        ).all()
        by_housekeeper = func.grouping(facts.c.actor) == 0
        cleanings = run(
            select(
                case((by_housekeeper, BY_HOUSEKEEPER), else_=BY_KIND),
                case((by_housekeeper, facts.c.actor), else_=facts.c.kind),
                *spread,
            )
            .where(self.facts_of(CLEANING))
            .group_by(text("GROUPING SETS ((turnoverinterval.actor), (turnoverinterval.kind))"))
        ).all()
        overall = [row for row in turnovers if row[0] == ALL_DAYS]
        return _Durations(
            by_day={
                int(row[0]): (int(row[1] or 0), _spread(row[2:]))
                for row in turnovers
                if row[0] != ALL_DAYS
            },
            overall=_spread(overall[0][2:]) if overall else Spread(),
            by_housekeeper=_cleaning([row[1:] for row in cleanings if row[0] == BY_HOUSEKEEPER]),
            by_kind=_kinds([row[1:] for row in cleanings if row[0] == BY_KIND]),
        )

    def sqlite_durations(self, run: Callable[..., Any], deadline: int) -> _Durations:
        ranks = _SqliteRanks(self, run)
        by_day = ranks.spreads(TURNOVER, "local_day", ready_deadline=deadline)
        overall = ranks.spreads(TURNOVER, "kind")  # every turnover is of kind "departure"
        kinds = {key: spread for key, _, spread in ranks.spreads(CLEANING, "kind")}
        return _Durations(
            by_day={int(key): (ready, spread) for key, ready, spread in by_day},
            overall=overall[0][2] if overall else Spread(),
            by_housekeeper=[
                CleaningFigures(str(key), spread)
                for key, _, spread in sorted(ranks.spreads(CLEANING, "actor"))
            ],
            by_kind=[
                CleaningFigures(kind, kinds[kind]) for kind in CLEANING_KINDS if kind in kinds
            ],
        )


class _SqliteRanks:
    """`percentile_cont(0.5)` and `(0.9)` of the facts' durations per group, on SQLite:
    each group's count first, then the two values around each percentile's rank (1 +
    p(n - 1)) read from the group's index in the duration's order, interpolated."""

    def __init__(self, sql: _Sql, run: Callable[..., Any]) -> None:
        self.sql = sql
        self.run = run

    def where(self, measure: str) -> str:
        """The measure's facts of the period. Whole numbers and the measure's name (ours,
        not the caller's) are written into the statement: hundreds of subqueries share
        them, and SQLite prepares a literal faster than it binds a parameter per use."""
        sql = self.sql
        assert measure in (TURNOVER, CLEANING)
        return (
            f"hotel_id = {int(sql.hotel_id)} AND measure = '{measure}' AND local_day "
            f"BETWEEN {int(sql.first_day)} AND {int(sql.last_day)} "
            f"AND ends_epoch < {int(sql.horizon)}"
        )

    def spreads(
        self, measure: str, key: str, ready_deadline: int | None = None
    ) -> list[tuple[Any, int, Spread]]:
        """[(group key, ready by the deadline, Spread)] of the measure's facts by `key`."""
        ready = (
            f"SUM(ends_local <= local_day * {SECONDS_PER_DAY} + {int(ready_deadline)})"
            if ready_deadline is not None
            else "0"
        )
        counts = self.run(
            text(
                f"SELECT {key}, COUNT(*), {ready} FROM turnoverinterval "
                f"INDEXED BY {RANK_INDEXES[key]} WHERE {self.where(measure)} GROUP BY {key}"
            )
        ).all()
        values = self.values_at_ranks(measure, key, [(row[0], int(row[1])) for row in counts])
        return [
            (
                group,
                int(ready_count or 0),
                _spread((n, values.get((group, 0.5)), values.get((group, 0.9)))),
            )
            for group, n, ready_count in counts
        ]

    def values_at_ranks(
        self, measure: str, key: str, groups: list[tuple[Any, int]]
    ) -> dict[tuple[Any, float], float]:
        terms: list[str] = []
        params: dict[str, Any] = {}
        where = self.where(measure)
        for number, (group, n) in enumerate(groups):
            named = str(int(group)) if key == "local_day" else f":g{number}"
            params[f"g{number}"] = group
            for p in (0.5, 0.9):
                position = p * (n - 1)
                below = int(position)
                fraction = position - below
                terms.append(
                    f"SELECT {named}, {p}, MIN(seconds) + {fraction!r} * "
                    f"(MAX(seconds) - MIN(seconds)) FROM (SELECT seconds FROM turnoverinterval "
                    f"INDEXED BY {RANK_INDEXES[key]} WHERE {where} AND {key} = {named} "
                    f"ORDER BY seconds LIMIT {2 if fraction else 1} OFFSET {below})"
                )
        found: dict[tuple[Any, float], float] = {}
        for start in range(0, len(terms), RANKS_PER_STATEMENT):
            statement = " UNION ALL ".join(terms[start : start + RANKS_PER_STATEMENT])
            used = {name: value for name, value in params.items() if f":{name} " in statement}
            for group, p, value in self.run(text(statement), used).all():
                found[group, float(p)] = value
        return found

"""The turnover analytics' facts (`TurnoverInterval`): one row per finished turnover and
per finished cleaning of a room, so a year's figures aggregate about 80,000 small rows
instead of pairing 300,000 log rows each time the page opens.

Two ways to the same rows, which the tests hold to each other:

- `interval_ending_now`, called by the room machine's hooks of `pass_inspection` and
  `finish_cleaning` (`RoomTurnover.record_turnover_interval`): one indexed look at the
  room's last log rows, one row added to the transition's session (written with its log
  row, in the same transaction). A checkout writes nothing here.
- `derive_turnover_intervals`: the same pairs from the whole log in SQL (`LAG` over each
  room's rows), for the migration that adds the table and for logs written without the
  machines (the demo history, the benchmark, the tests).

A turnover is a room's `check_out` followed (among its checkouts and passed inspections) by
a `pass_inspection`; a cleaning is a `start_cleaning` followed (among the cleaning events
and those that make a room dirty or take it out of order) by a `finish_cleaning`, of the
kind of the event before the start ("other" when the log has none). Times are whole epoch
seconds; local times are the hotel's timezone's, when the row is written.
"""

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import BigInteger, case, cast, delete, extract, func, insert, literal, select
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from storage.models import Hotel, TransitionLog, TurnoverInterval

TURNOVER, CLEANING = "turnover", "cleaning"
TURNOVER_EVENTS = ("check_out", "pass_inspection")
DIRTYING_EVENTS = {
    "check_out": "departure",
    "fail_inspection": "failed_inspection",
    "return_to_service": "out_of_order",
    "force_checkout": "forced_checkout",
}
# The transitions into and out of a cleaning: none other can come between a room's
# dirtying event, its start and its finish.
CLEANING_EVENTS = ("start_cleaning", "finish_cleaning", *DIRTYING_EVENTS, "take_out_of_order")
SECONDS_PER_DAY = 86_400

log = TransitionLog.__table__  # type: ignore[attr-defined]
facts = TurnoverInterval.__table__  # type: ignore[attr-defined]


def zone_of(name: str | None) -> ZoneInfo:
    try:
        return ZoneInfo(name or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def epoch_of(moment: datetime) -> int:
    """Whole seconds since 1970 (UTC), rounded as the statements round them."""
    stamp = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    return int((stamp.timestamp() + 0.5) // 1)


def local_of(epoch: int, zone: ZoneInfo) -> int:
    """The wall clock of `zone` at `epoch`, as seconds since 1970 (local)."""
    offset = datetime.fromtimestamp(epoch, UTC).astimezone(zone).utcoffset()
    return epoch + int(offset.total_seconds())  # type: ignore[union-attr]


def interval(
    *, hotel_id: int, room_id: int, measure: str, kind: str, actor: str, starts: int, ends: int
) -> dict[str, Any]:
    return {
        "hotel_id": hotel_id,
        "room_id": room_id,
        "measure": measure,
        "kind": kind,
        "actor": actor,
        "starts_epoch": starts,
        "ends_epoch": ends,
        "seconds": ends - starts,
    }


# --- the write path ------------------------------------------------------------------------


def interval_ending_now(
    session: Session, hotel: Hotel, room_id: int, event: str, now: datetime
) -> TurnoverInterval | None:
    """The interval the room's `event` (now) ends, from its last log rows; None when it
    ends none (a pass_inspection whose checkout the log does not hold, say)."""
    if event == "pass_inspection":
        measure, events, wanted = TURNOVER, TURNOVER_EVENTS, 1
    elif event == "finish_cleaning":
        measure, events, wanted = CLEANING, CLEANING_EVENTS, 2
    else:
        return None
    rows = session.execute(
        select(log.c.event, log.c.actor, log.c.created_at)
        .where(log.c.entity_kind == "room", log.c.entity_id == room_id, log.c.event.in_(events))
        .order_by(log.c.id.desc())
        .limit(wanted)
    ).all()
    start = "check_out" if measure == TURNOVER else "start_cleaning"
    if not rows or rows[0].event != start:
        return None
    if measure == TURNOVER:
        kind = "departure"
    else:
        kind = DIRTYING_EVENTS.get(rows[1].event, "other") if len(rows) > 1 else "other"
    zone = zone_of(hotel.timezone)
    starts, ends = epoch_of(rows[0].created_at), epoch_of(now)
    values = interval(
        hotel_id=hotel.id,  # type: ignore[arg-type]
        room_id=room_id,
        measure=measure,
        kind=kind,
        actor=rows[0].actor,
        starts=starts,
        ends=ends,
    )
    starts_local = local_of(starts, zone)
    return TurnoverInterval(
        **values,
        starts_local=starts_local,
        ends_local=local_of(ends, zone),
        local_day=starts_local // SECONDS_PER_DAY,
    )


# --- from the log ----------------------------------------------------------------------------


def epoch_sql(column: Any, dialect: str) -> ColumnElement[Any]:
    """Whole seconds since 1970 (UTC) of a timestamp column, rounded."""
    if dialect == "postgresql":
        return cast(func.round(extract("epoch", column)), BigInteger)
    # julianday() is a float: rounding to the second keeps it exact.
    return cast((func.julianday(column) - 2440587.5) * 86400.0 + 0.5, BigInteger)


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


def offset_sql(offsets: Sequence[tuple[int, int]], epoch: Any) -> ColumnElement[Any]:
    """The UTC offset (seconds) in force at `epoch`, from `utc_offsets`."""
    if len(offsets) == 1:
        return literal(offsets[0][1])
    whens = [
        (epoch < start, literal(offset))
        for (start, _), (_, offset) in zip(offsets[1:], offsets, strict=False)
    ]
    return case(*whens, else_=literal(offsets[-1][1]))


def derive_turnover_intervals(connection: Connection, hotel_id: int | None = None) -> int:
    """(Re)writes the intervals of one hotel (or of every hotel) from its log; returns
    how many. Pure SQL per hotel: the hotel's UTC offsets over its log's span are written
    into the statement."""
    hotels = select(Hotel.id, Hotel.timezone)  # type: ignore[call-overload]
    if hotel_id is not None:
        hotels = hotels.where(Hotel.id == hotel_id)
    written = 0
    for each_id, timezone in connection.execute(hotels).all():
        connection.execute(delete(facts).where(facts.c.hotel_id == each_id))
        span = connection.execute(
            select(func.min(log.c.created_at), func.max(log.c.created_at)).where(
                log.c.hotel_id == each_id, log.c.entity_kind == "room"
            )
        ).one()
        if span[0] is None:
            continue
        first, last = (_aware(moment) for moment in span)
        offsets = utc_offsets(
            zone_of(timezone), first - timedelta(days=1), last + timedelta(days=1)
        )
        for measure in (TURNOVER, CLEANING):
            written += connection.execute(
                _derive(connection.dialect.name, each_id, measure, offsets)
            ).rowcount
    return written


def _aware(moment: Any) -> datetime:
    if isinstance(moment, str):  # SQLite's MIN() of a timestamp column
        moment = datetime.fromisoformat(moment)
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _derive(dialect: str, hotel_id: int, measure: str, offsets: Sequence[tuple[int, int]]):  # type: ignore[no-untyped-def]
    events, start, end = (
        (TURNOVER_EVENTS, "check_out", "pass_inspection")
        if measure == TURNOVER
        else (CLEANING_EVENTS, "start_cleaning", "finish_cleaning")
    )
    room_order: dict[str, Any] = {"partition_by": log.c.entity_id, "order_by": log.c.id}
    at = epoch_sql(log.c.created_at, dialect)
    steps = (
        select(
            log.c.entity_id,
            log.c.event,
            at.label("at"),
            func.lag(log.c.event).over(**room_order).label("previous_event"),
            func.lag(log.c.actor).over(**room_order).label("previous_actor"),
            func.lag(at).over(**room_order).label("previous_at"),
            func.lag(log.c.event, 2).over(**room_order).label("dirtying_event"),
        )
        .where(
            log.c.hotel_id == hotel_id,
            log.c.entity_kind == "room",
            log.c.event.in_(events),
        )
        .subquery("steps")
    )
    if measure == TURNOVER:
        kind: Any = literal("departure")
    else:
        kind = case(
            *[(steps.c.dirtying_event == name, k) for name, k in DIRTYING_EVENTS.items()],
            else_="other",
        )
    starts_local = steps.c.previous_at + offset_sql(offsets, steps.c.previous_at)
    rows = select(
        literal(hotel_id),
        steps.c.entity_id,
        literal(measure),
        kind,
        steps.c.previous_actor,
        steps.c.previous_at,
        steps.c.at,
        steps.c.at - steps.c.previous_at,
        starts_local,
        steps.c.at + offset_sql(offsets, steps.c.at),
        starts_local // SECONDS_PER_DAY,
    ).where(steps.c.event == end, steps.c.previous_event == start)
    columns = [
        "hotel_id",
        "room_id",
        "measure",
        "kind",
        "actor",
        "starts_epoch",
        "ends_epoch",
        "seconds",
        "starts_local",
        "ends_local",
        "local_day",
    ]
    return insert(facts).from_select(columns, rows)

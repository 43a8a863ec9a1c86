"""Turnover analytics from the transition log, on SQLite and PostgreSQL: each figure
against a hand-worked log around a DST change (Europe/Dublin, 30 March 2025: 01:00 UTC
becomes 02:00 local), and against a plain-Python reading of a random log."""

import random
import statistics
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from alembic import command

from storage.models import Hotel, Room, TransitionLog, TurnoverInterval
from storage.schema_upgrade import alembic_config
from storage.turnover_intervals import derive_turnover_intervals
from storage.unit_of_work import UnitOfWork
from tests.conftest import ANNA
from workflows.machines.actors import Actor, Role
from workflows.machines.errors import DomainError
from workflows.services import analytics
from workflows.services.analytics import InvalidPeriod, turnover_analytics
from workflows.services.checkout import BookingRef, checkout_booking
from workflows.services.housekeeping import RoomRef, transition_room

DUBLIN = ZoneInfo("Europe/Dublin")
MAEVE = Actor(username="maeve", role=Role.MANAGER)
HOTEL = "hotel-analytics"


def make_hotel(rooms: int) -> dict[int, int]:
    """A hotel on Dublin time with rooms 1..rooms; room number -> room id."""
    with UnitOfWork() as uow:
        hotel = Hotel(slug=HOTEL, name="Analytics", timezone="Europe/Dublin")
        uow.session.add(hotel)
        uow.session.flush()
        records = [Room(hotel_id=hotel.id, room_number=n) for n in range(1, rooms + 1)]  # type: ignore[arg-type]
        uow.session.add_all(records)
        uow.session.flush()
        ids = {room.room_number: room.id for room in records}
        uow.commit()
    return ids  # type: ignore[return-value]


def write_log(
    entries: list[tuple[int, str, datetime, str]], kind: str = "room", derive: bool = True
) -> None:
    """(entity id, event, moment, actor) rows, in the order given."""
    with UnitOfWork() as uow:
        hotel_id = uow.session.exec(Hotel.__table__.select()).first().id  # type: ignore[attr-defined,union-attr]
        for entity_id, event, moment, actor in entries:
            uow.session.add(
                TransitionLog(
                    hotel_id=hotel_id,
                    entity_kind=kind,
                    entity_id=entity_id,
                    entity_ref=str(entity_id),
                    event=event,
                    from_state="X",
                    to_state="Y",
                    actor=actor,
                    source="test",
                    created_at=moment.astimezone(UTC),
                )
            )
        uow.session.flush()
        if not derive:
            uow.commit()
            return
        # Written without the machines: the facts come from the log, as the migration
        # derives them (test_the_machines_write_the_facts_the_log_gives holds the two equal).
        derive_turnover_intervals(uow.session.connection(), hotel_id)
        uow.commit()


def local(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=DUBLIN)


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def test_figures_around_a_dst_change(database: str) -> None:
    room = make_hotel(4)
    write_log(
        [
            # room 4 leaves late on the 29th (UTC+0) and is ready the next morning
            (room[4], "check_out", local("2025-03-29 23:30"), "fiona"),
            (room[4], "start_cleaning", local("2025-03-30 07:00"), "hugh"),
            (room[4], "finish_cleaning", local("2025-03-30 07:50"), "hugh"),
            (room[4], "pass_inspection", local("2025-03-30 09:00"), "sinead"),
            # room 3 leaves at 00:30, before the clocks go forward at 01:00 UTC
            (room[3], "check_out", utc("2025-03-30 00:30"), "fiona"),
            (room[3], "start_cleaning", utc("2025-03-30 00:40"), "hugh"),
            (room[3], "finish_cleaning", utc("2025-03-30 01:10"), "hugh"),  # 02:10 local
            (room[3], "pass_inspection", utc("2025-03-30 02:30"), "sinead"),  # 03:30 local
            # room 1: a plain morning turnover
            (room[1], "check_out", local("2025-03-30 10:00"), "fiona"),
            (room[1], "start_cleaning", local("2025-03-30 10:30"), "hugh"),
            (room[1], "finish_cleaning", local("2025-03-30 11:10"), "hugh"),
            (room[1], "pass_inspection", local("2025-03-30 12:00"), "sinead"),
            # room 2 fails its inspection and is ready only after 15:00
            (room[2], "check_out", local("2025-03-30 11:00"), "fiona"),
            (room[2], "start_cleaning", local("2025-03-30 12:00"), "nora"),
            (room[2], "finish_cleaning", local("2025-03-30 13:00"), "nora"),
            (room[2], "fail_inspection", local("2025-03-30 13:30"), "sinead"),
            (room[2], "start_cleaning", local("2025-03-30 14:00"), "nora"),
            (room[2], "finish_cleaning", local("2025-03-30 14:20"), "nora"),
            (room[2], "pass_inspection", local("2025-03-30 16:00"), "sinead"),
            # outside the period
            (room[1], "check_out", local("2025-03-31 10:00"), "fiona"),
        ]
    )
    # a booking's checkout is no room's turnover
    write_log([(room[1], "check_out", local("2025-03-30 10:00"), "fiona")], kind="booking")

    figures = turnover_analytics(
        HOTEL, actor=MAEVE, first=date(2025, 3, 29), last=date(2025, 3, 30)
    )

    assert figures.timezone == "Europe/Dublin" and figures.check_in_time == time(15, 0)
    day29, day30 = figures.days
    assert (day29.day, day29.departures, day29.ready_by_check_in) == (date(2025, 3, 29), 1, 0)
    assert (day30.departures, day30.ready_by_check_in) == (3, 2)
    assert day29.turnover == analytics.Spread(1, 510.0, 510.0)
    # 120 (room 3: 2 h of real time, though the clock moved 3 h), 120 and 300 minutes
    assert day30.turnover == analytics.Spread(3, 120.0, 264.0)
    assert figures.turnover == analytics.Spread(4, 210.0, 447.0)
    assert (day30.inspections_passed, day30.inspections_failed) == (4, 1)
    assert figures.inspection_failure_rate == pytest.approx(0.2)
    hours = figures.checkouts_by_hour
    assert (hours[23], hours[0], hours[10], hours[11], sum(hours)) == (1, 1, 1, 1, 4)
    by_housekeeper = {c.key: c.spread for c in figures.cleaning_by_housekeeper}
    assert by_housekeeper == {
        "hugh": analytics.Spread(3, 40.0, 48.0),
        "nora": analytics.Spread(2, 40.0, 56.0),
    }
    by_kind = {c.key: c.spread for c in figures.cleaning_by_kind}
    assert by_kind == {
        "departure": analytics.Spread(4, 45.0, 57.0),
        "failed_inspection": analytics.Spread(1, 20.0, 20.0),
    }


def test_the_check_in_time_decides_ready(database: str) -> None:
    room = make_hotel(1)
    write_log(
        [
            (room[1], "check_out", local("2025-06-01 10:00"), "fiona"),
            (room[1], "pass_inspection", local("2025-06-01 14:30"), "sinead"),
        ]
    )
    day = date(2025, 6, 1)
    assert (
        turnover_analytics(HOTEL, actor=MAEVE, first=day, last=day).days[0].ready_by_check_in == 1
    )
    early = turnover_analytics(HOTEL, actor=MAEVE, first=day, last=day, check_in_time=time(14, 0))
    assert early.days[0].ready_by_check_in == 0 and early.ready_rate == 0.0


def test_a_period_is_checked(database: str) -> None:
    make_hotel(1)
    with pytest.raises(InvalidPeriod, match="starts"):
        turnover_analytics(HOTEL, actor=MAEVE, first=date(2025, 2, 2), last=date(2025, 2, 1))
    with pytest.raises(InvalidPeriod, match="at most 366 days"):
        turnover_analytics(HOTEL, actor=MAEVE, first=date(2024, 1, 1), last=date(2025, 6, 1))
    empty = turnover_analytics(HOTEL, actor=MAEVE, last=date(2025, 6, 30), today=date(2025, 6, 30))
    assert empty.period.first == date(2025, 6, 1) and len(empty.days) == 30
    assert empty.turnover == analytics.Spread() and empty.inspection_failure_rate is None


def test_only_supervisors_and_managers_read_them(database: str) -> None:
    make_hotel(1)
    for role in (Role.FRONT_DESK, Role.HOUSEKEEPER):
        with pytest.raises(DomainError, match="for supervisors and managers"):
            turnover_analytics(HOTEL, actor=Actor(username="x", role=role))
    assert turnover_analytics(HOTEL, actor=Actor(username="s", role=Role.SUPERVISOR)).days


def test_utc_offsets_name_each_change() -> None:
    offsets = analytics.utc_offsets(DUBLIN, utc("2025-03-01 00:00"), utc("2025-11-30 00:00"))
    assert offsets[1:] == [
        (int(utc("2025-03-30 01:00").timestamp()), 3600),
        (int(utc("2025-10-26 01:00").timestamp()), 0),
    ]


# --- against a plain reading of a random log ------------------------------------------------


def percentile_cont(values: list[float], p: float) -> float:
    ordered = sorted(values)
    position = p * (len(ordered) - 1)
    lower = int(position)
    upper = min(lower + 1, len(ordered) - 1)
    return ordered[lower] + (position - lower) * (ordered[upper] - ordered[lower])


def random_log(room_ids: list[int], days: int, seed: int) -> list[tuple[int, str, datetime, str]]:
    """Turnovers of random lengths, some inspections failed; a room whose cleaning is
    never finished stays so (the machine lets nobody check it in again)."""
    rng = random.Random(seed)
    start = utc("2025-10-20 00:00")
    entries = []
    for room_id in room_ids:
        moment = start + timedelta(minutes=rng.randint(0, 600))
        abandoned = False
        while moment < start + timedelta(days=days) and not abandoned:
            entries.append((room_id, "check_out", moment, "fiona"))
            for attempt in range(3):  # cleaned until it passes (the third time does)
                moment += timedelta(minutes=rng.randint(5, 300))
                who = rng.choice(["hugh", "nora", "aoife"])
                entries.append((room_id, "start_cleaning", moment, who))
                if rng.random() < 0.03:
                    abandoned = True
                    break
                moment += timedelta(minutes=rng.randint(10, 90))
                entries.append((room_id, "finish_cleaning", moment, who))
                moment += timedelta(minutes=rng.randint(5, 120))
                passed = attempt == 2 or rng.random() < 0.8
                event = "pass_inspection" if passed else "fail_inspection"
                entries.append((room_id, event, moment, "s"))
                if passed:
                    break
            moment += timedelta(hours=rng.randint(2, 60))
    entries.sort(key=lambda entry: entry[2])
    return entries


def expected_turnovers(entries, first: date, last: date):  # type: ignore[no-untyped-def]
    by_room: dict[int, list] = {}
    for entry in entries:
        by_room.setdefault(entry[0], []).append(entry)
    minutes: dict[date, list[float]] = {}
    departures: dict[date, int] = {}
    for rows in by_room.values():
        marks = [r for r in rows if r[1] in ("check_out", "pass_inspection")]
        for mark, following in zip(marks, [*marks[1:], None], strict=True):
            day = mark[2].astimezone(DUBLIN).date()
            if mark[1] != "check_out" or not first <= day <= last:
                continue
            departures[day] = departures.get(day, 0) + 1
            if following is not None and following[1] == "pass_inspection":
                seconds = (following[2] - mark[2]).total_seconds()
                minutes.setdefault(day, []).append(seconds / 60)
    return departures, minutes


def test_random_log_agrees_with_a_plain_reading(database: str) -> None:
    room_ids = list(make_hotel(12).values())
    entries = random_log(room_ids, days=14, seed=15)
    write_log(entries)
    first, last = date(2025, 10, 21), date(2025, 11, 1)  # the clocks go back on 26 October
    figures = turnover_analytics(HOTEL, actor=MAEVE, first=first, last=last)
    departures, minutes = expected_turnovers(entries, first, last)
    for day in figures.days:
        assert day.departures == departures.get(day.day, 0), day.day
        values = minutes.get(day.day, [])
        assert day.turnover.count == len(values)
        if values:
            assert day.turnover.median_minutes == pytest.approx(statistics.median(values), abs=0.06)
            assert day.turnover.p90_minutes == pytest.approx(percentile_cont(values, 0.9), abs=0.06)
    everything = [m for values in minutes.values() for m in values]
    assert figures.turnover.p90_minutes == pytest.approx(percentile_cont(everything, 0.9), abs=0.06)


# --- the facts the machines write are those the log gives -----------------------------------


def facts() -> list[tuple]:
    with UnitOfWork() as uow:
        found = uow.session.exec(TurnoverInterval.__table__.select()).all()  # type: ignore[attr-defined]
    return sorted(
        (
            *(row.room_id, row.measure, row.kind, row.actor),
            *(row.starts_epoch, row.ends_epoch, row.local_day, row.ends_local - row.ends_epoch),
        )
        for row in found
    )


def same_facts(written: list[tuple], derived: list[tuple]) -> bool:
    """Equal, the times to the second (SQLite reads a timestamp to the millisecond)."""
    return len(written) == len(derived) and all(
        a[:4] == b[:4] and abs(a[4] - b[4]) <= 1 and abs(a[5] - b[5]) <= 1 and a[6:] == b[6:]
        for a, b in zip(written, derived, strict=True)
    )


def test_the_machines_write_the_facts_the_log_gives(hotel: str) -> None:
    checkout_booking(booking=BookingRef(hotel, "BK-1"), performed_by=ANNA)
    cleaning = ["start_cleaning", "finish_cleaning"]
    for event in [*cleaning, "fail_inspection", *cleaning, "pass_inspection"]:
        transition_room(room=RoomRef(hotel, 101), event=event, performed_by=MAEVE)
    for event in [*cleaning, "pass_inspection"]:  # dirty before the log began
        transition_room(room=RoomRef(hotel, 104), event=event, performed_by=MAEVE)
    transition_room(room=RoomRef(hotel, 102), event="take_out_of_order", performed_by=MAEVE)
    written = facts()
    assert sorted((row[1], row[2]) for row in written) == [
        ("cleaning", "departure"),
        ("cleaning", "failed_inspection"),
        ("cleaning", "other"),
        ("turnover", "departure"),
    ]
    with UnitOfWork() as uow:
        derive_turnover_intervals(uow.session.connection())
        uow.commit()
    assert same_facts(written, facts())


def test_the_migration_derives_the_facts_of_an_existing_log(database: str) -> None:
    room = make_hotel(2)
    command.downgrade(alembic_config(), "0011")  # before the facts existed
    write_log(
        [
            (room[1], "check_out", local("2025-03-29 23:30"), "fiona"),
            (room[1], "start_cleaning", local("2025-03-30 09:00"), "hugh"),
            (room[1], "finish_cleaning", local("2025-03-30 09:40"), "hugh"),
            (room[1], "pass_inspection", local("2025-03-30 10:00"), "sinead"),
            (room[2], "start_cleaning", local("2025-03-30 11:00"), "nora"),
            (room[2], "finish_cleaning", local("2025-03-30 11:20"), "nora"),
        ],
        derive=False,
    )
    command.upgrade(alembic_config(), "head")
    figures = turnover_analytics(
        HOTEL, actor=MAEVE, first=date(2025, 3, 29), last=date(2025, 3, 30)
    )
    # 23:30 GMT to 10:00 IST: ten and a half hours on the clock, nine and a half elapsed
    assert figures.days[0].turnover == analytics.Spread(1, 570.0, 570.0)
    # ... and ready the next day, not by the check-in time of the checkout's day
    assert figures.days[0].departures == 1 and figures.days[0].ready_by_check_in == 0
    assert [(c.key, c.spread.count) for c in figures.cleaning_by_kind] == [
        ("departure", 1),
        ("other", 1),
    ]

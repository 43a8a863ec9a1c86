"""The daily plan: the day's stayovers once, however often and from however many processes
it runs; previous days' flags cleared; the API process's schedule by each hotel's clock."""

import multiprocessing
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlmodel import select
from typer.testing import CliRunner

from cli.main import app
from storage.database import get_engine
from storage.models import HousekeepingTask, Room, TransitionLog
from storage.unit_of_work import UnitOfWork
from tests.conftest import seed
from workflows.machines.actors import Actor, Role
from workflows.services.housekeeping_plan import DailyPlans, plan_day
from workflows.services.housekeeping_tasks import set_room_flags

HOTEL = "hotel-plan"
DAY = date(2026, 12, 2)
SUE = Actor(username="sue", role=Role.SUPERVISOR)


def plan_hotel(rooms: int = 6, timezone: str = "UTC") -> None:
    """`rooms` occupied rooms staying past DAY, one leaving on DAY, one dirty room."""
    numbers = [101 + i for i in range(rooms)]
    seed(
        {
            "hotels": [{"slug": HOTEL, "timezone": timezone}],
            "rooms": [
                *({"hotel": HOTEL, "room_number": n, "room_status": "OCCUPIED"} for n in numbers),
                {"hotel": HOTEL, "room_number": 900, "room_status": "OCCUPIED"},
                {"hotel": HOTEL, "room_number": 901, "room_status": "CHECKOUT_DIRTY"},
            ],
            "bookings": [
                *(_stay(f"BK-{n}", n, DAY + timedelta(days=2)) for n in numbers),
                _stay("BK-LEAVING", 900, DAY),
            ],
        }
    )


def _stay(booking_id: str, room: int, departure: date) -> dict[str, Any]:
    return {
        "hotel": HOTEL,
        "booking_id": booking_id,
        "status": "CHECKED_IN",
        "room_number": room,
        "arrival_date": (DAY - timedelta(days=1)).isoformat(),
        "departure_date": departure.isoformat(),
    }


def planned() -> list[tuple[int, str, date]]:
    with UnitOfWork(write=False) as uow:
        query = select(HousekeepingTask, Room).join(Room, HousekeepingTask.room_id == Room.id)  # type: ignore[arg-type]
        return sorted((r.room_number, t.kind, t.service_date) for t, r in uow.session.exec(query))


def creations() -> int:
    with UnitOfWork(write=False) as uow:
        query = select(TransitionLog).where(TransitionLog.event == "create")
        return len(list(uow.session.exec(query)))


def test_the_plan_creates_the_days_tasks_once(database: str) -> None:
    plan_hotel(rooms=3)
    first = plan_day(hotel_slug=HOTEL, day=DAY, performed_by=SUE)
    assert first.created == {"STAYOVER": 3, "DEPARTURE": 1}
    assert planned() == [
        (101, "STAYOVER", DAY),
        (102, "STAYOVER", DAY),
        (103, "STAYOVER", DAY),
        (901, "DEPARTURE", DAY),  # dirty before tasks existed
    ]
    again = plan_day(hotel_slug=HOTEL, day=DAY, performed_by=SUE)
    assert again.created == {} and len(planned()) == 4 and creations() == 4


def test_the_next_day_clears_the_flags(database: str) -> None:
    plan_hotel(rooms=1)
    set_room_flags(
        hotel_slug=HOTEL, room_number=101, flags={"do_not_disturb": True}, performed_by=SUE
    )
    today = datetime.now(UTC).date()
    assert plan_day(hotel_slug=HOTEL, day=today, performed_by=SUE).flags_cleared == 0
    result = plan_day(hotel_slug=HOTEL, day=today + timedelta(days=1), performed_by=SUE)
    assert result.flags_cleared == 1
    with UnitOfWork(write=False) as uow:
        room = uow.session.exec(select(Room).where(Room.room_number == 101)).one()
        assert not room.do_not_disturb
        events = [e.event for e in uow.session.exec(select(TransitionLog)) if e.entity_ref == "101"]
    assert events == ["set_flags", "clear_flags"]


def test_the_schedule_plans_at_the_local_hour(database: str) -> None:
    plan_hotel(rooms=2, timezone="Pacific/Auckland")  # UTC+13 in December
    plans = DailyPlans(hour=6)
    before = datetime(2026, 12, 1, 16, 59, tzinfo=UTC)  # 05:59 on DAY in Auckland
    assert plans.run_due_plans(before) == []
    at_six = datetime(2026, 12, 1, 17, 0, tzinfo=UTC)
    [result] = plans.run_due_plans(at_six)
    assert result.day == DAY and result.created["STAYOVER"] == 2
    assert plans.run_due_plans(at_six + timedelta(hours=3)) == []  # once a day


def test_the_scheduler_plans_each_day_once(database: str) -> None:
    from api.scheduler_jobs import new_scheduler

    plan_hotel(rooms=2, timezone="Pacific/Auckland")
    clock = [datetime(2026, 12, 1, 16, 59, tzinfo=UTC)]  # 05:59 on DAY in Auckland
    scheduler = new_scheduler(clock=lambda: clock[0])
    assert scheduler.tick()["housekeeping plan"] == 0
    clock[0] = datetime(2026, 12, 1, 17 + 6, 0, tzinfo=UTC)  # 12:00 (past the plan hour, 6)
    assert scheduler.tick()["housekeeping plan"] == 3  # 2 stayovers, the dirty room's cleaning
    assert new_scheduler(clock=lambda: clock[0]).tick()["housekeeping plan"] == 0  # another
    clock[0] += timedelta(days=1)
    assert scheduler.tick()["housekeeping plan"] == 2  # the next day's stayovers
    assert [kind for _, kind, _ in planned()].count("STAYOVER") == 4


def test_turnover_tick_plans_the_day(sqlite_database: str) -> None:
    plan_hotel(rooms=1)
    result = CliRunner().invoke(app, ["tick"])
    assert result.exit_code == 0, result.output
    assert "out-of-order periods: 0 change(s)" in result.output
    assert "housekeeping plan:" in result.output


def test_cli_plan(sqlite_database: str) -> None:
    plan_hotel(rooms=2)
    runner = CliRunner()
    result = runner.invoke(app, ["housekeeping", "plan", "--hotel", HOTEL, "--date", "2026-12-02"])
    assert result.exit_code == 0, result.output
    assert "created 1 DEPARTURE, 2 STAYOVER" in result.output
    again = runner.invoke(app, ["housekeeping", "plan", "--hotel", HOTEL, "--date", "2026-12-02"])
    assert "created nothing" in again.output
    bad = runner.invoke(app, ["housekeeping", "plan", "--hotel", HOTEL, "--date", "monday"])
    assert bad.exit_code == 2
    missing = runner.invoke(app, ["housekeeping", "plan", "--hotel", "nowhere"])
    assert missing.exit_code == 2


def _plan_in_another_process(url: str, start: Any) -> None:
    from storage.database import use_database

    use_database(url)
    start.wait(timeout=60)
    plan_day(hotel_slug=HOTEL, day=DAY, performed_by=SUE)


def test_concurrent_processes_plan_each_task_once(postgres_database: str) -> None:
    plan_hotel(rooms=40)
    url = get_engine().url.render_as_string(hide_password=False)
    context = multiprocessing.get_context("spawn")
    start = context.Event()
    workers = [
        context.Process(target=_plan_in_another_process, args=(url, start)) for _ in range(4)
    ]
    for worker in workers:
        worker.start()
    start.set()
    for worker in workers:
        worker.join(timeout=120)
        assert worker.exitcode == 0
    assert len(planned()) == 41 and creations() == 41


def _tick_in_another_process(url: str, start: Any, changes: Any) -> None:
    from api.scheduler_jobs import new_scheduler
    from storage.database import use_database

    use_database(url)
    scheduler = new_scheduler(clock=lambda: datetime(2026, 12, 2, 12, tzinfo=UTC))
    start.wait(timeout=60)
    for _ in range(2):
        changes.put(scheduler.tick()["housekeeping plan"])


def test_concurrent_schedulers_plan_the_day_once(postgres_database: str) -> None:
    plan_hotel(rooms=40)
    url = get_engine().url.render_as_string(hide_password=False)
    context = multiprocessing.get_context("spawn")
    start, changes = context.Event(), context.Queue()
    workers = [
        context.Process(target=_tick_in_another_process, args=(url, start, changes))
        for _ in range(4)
    ]
    for worker in workers:
        worker.start()
    start.set()
    for worker in workers:
        worker.join(timeout=120)
        assert worker.exitcode == 0
    per_tick = sorted(changes.get(timeout=10) for _ in range(8))
    assert per_tick == [0] * 7 + [41]  # one scheduler planned the day, in one tick
    assert len(planned()) == 41 and creations() == 41

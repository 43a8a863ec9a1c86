"""The scheduler's jobs (workers/scheduler.py), composed here because workers import no
services: the API process runs them in its lifespan, `turnover tick` once. They are the
out-of-order periods starting and ending and each hotel's daily housekeeping plan."""

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from config.settings import get_settings
from storage.timestamps import utc_now
from workers.scheduler import Clock, Job, Scheduler
from workflows.services.housekeeping_plan import DailyPlans
from workflows.services.out_of_order import apply_due_periods


def scheduler_jobs() -> list[Job]:
    return [
        Job("out-of-order periods", apply_due_periods),
        Job("housekeeping plan", DailyPlans().run),
    ]


def new_scheduler(clock: Clock = utc_now) -> Scheduler:
    settings = get_settings()
    return Scheduler(scheduler_jobs(), clock=clock, interval=settings.scheduler_interval_seconds)


@asynccontextmanager
async def scheduler_lifespan(clock: Clock = utc_now) -> AsyncIterator[None]:
    """Runs the scheduler in a thread of the API process (TURNOVER_SCHEDULER_IN_PROCESS)."""
    if not get_settings().scheduler_in_process:
        yield
        return
    scheduler = new_scheduler(clock)
    scheduler.start()
    try:
        yield
    finally:
        await asyncio.to_thread(scheduler.stop)

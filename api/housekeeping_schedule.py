"""The API process plans each hotel's housekeeping day by itself, at
TURNOVER_HOUSEKEEPING_PLAN_HOUR local time (docs/housekeeping.md).

A small thread wakes every `interval` seconds and calls `DailyPlans.run_due_plans(now)`
with its clock's time; the job is a plain function so that a generic scheduler can take
it over. Several API processes may run it at once: the plan's unique key makes it create
each task once.
"""

import logging
import threading
from collections.abc import Callable
from datetime import datetime

from storage.timestamps import utc_now
from workflows.services.housekeeping_plan import DailyPlans

log = logging.getLogger("turnover.housekeeping")


class PlanSchedule:
    def __init__(
        self,
        plans: DailyPlans | None = None,
        *,
        clock: Callable[[], datetime] = utc_now,
        interval: float = 60.0,
    ) -> None:
        self.plans = plans or DailyPlans()
        self.clock = clock
        self.interval = interval
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def run_once(self) -> None:
        try:
            for result in self.plans.run_due_plans(self.clock()):
                log.info("planned %s for %s: %s", result.hotel_slug, result.day, result.created)
        except Exception:  # a failed run is retried at the next wake-up
            log.exception("housekeeping plan run failed")

    def start(self) -> None:
        self._thread = threading.Thread(target=self._loop, name="housekeeping-plan", daemon=True)
        self._thread.start()

    def _loop(self) -> None:
        while not self._stop.is_set():
            self.run_once()
            self._stop.wait(self.interval)

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=10)

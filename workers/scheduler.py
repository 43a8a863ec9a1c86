"""Time-driven work: a list of jobs run on every tick, in the API process (a thread started
by its lifespan) or once per `turnover tick` (cron). Each job is a function of "now" that
makes its changes in its own transactions and returns how many it made; jobs must be safe
to run from several processes at once (claim each change with a row lock or a
compare-and-set), since every API process and host runs its own scheduler.

The jobs are given by the composition roots (api/, cli/): workers import no services.
The clock is injectable, so a test decides what time it is.
"""

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from storage.timestamps import utc_now

log = logging.getLogger("turnover.scheduler")

Clock = Callable[[], datetime]


@dataclass(frozen=True)
class Job:
    name: str
    run: Callable[[datetime], int]  # now -> changes made


class Scheduler:
    def __init__(self, jobs: list[Job], *, clock: Clock = utc_now, interval: float = 60.0):
        self.jobs = list(jobs)
        self.clock = clock
        self.interval = interval
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def register(self, job: Job) -> None:
        """Add a job (the housekeeping plan registers one, for instance)."""
        self.jobs.append(job)

    def tick(self) -> dict[str, int]:
        """Run every job once at the clock's now; a failing job is logged and the others
        still run. Returns the changes each job made."""
        now = self.clock()
        done: dict[str, int] = {}
        for job in self.jobs:
            try:
                done[job.name] = job.run(now)
            except Exception:
                log.exception("scheduler job %r failed", job.name)
                done[job.name] = 0
        return done

    def start(self) -> None:
        self._stop.clear()
        self._thread = threading.Thread(target=self._loop, name="turnover-scheduler", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 30.0) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None

    def _loop(self) -> None:
        while not self._stop.is_set():
            self.tick()
            self._stop.wait(self.interval)

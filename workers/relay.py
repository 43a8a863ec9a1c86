"""The outbox relay: claims committed outbox rows in id order, publishes them, records
the outcome. At-least-once: a row is marked delivered only after the publisher confirmed
it, so a crash in between sends it again (with the same `event_id`)."""

import logging
import threading
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta

from config.settings import Settings
from storage import outbox
from storage.models import OutboxEvent
from storage.timestamps import utc_now
from storage.unit_of_work import UnitOfWork
from workers.publishers import EventsRejected, Publisher

log = logging.getLogger("turnover.relay")

# What the relay reads the time from for its leases (tests pass a clock they advance).
Clock = Callable[[], datetime]


@dataclass(frozen=True)
class RelayConfig:
    max_backoff_seconds: float = 30.0
    first_backoff_seconds: float = 0.5
    poll_seconds: float = 1.0
    lease_seconds: float = 60.0
    claim_limit: int = 100

    @classmethod
    def from_settings(cls, settings: Settings) -> "RelayConfig":
        return cls(
            max_backoff_seconds=settings.relay_max_backoff_seconds,
            poll_seconds=settings.relay_poll_seconds,
            lease_seconds=settings.relay_lease_seconds,
        )


class Backoff:
    """Exponential delays, doubling from `first` up to `cap`; `reset` after a success."""

    def __init__(self, first: float, cap: float) -> None:
        self.first, self.cap = first, cap
        self.failures = 0

    def next_delay(self) -> float:
        self.failures += 1
        return min(self.cap, self.first * 2 ** (self.failures - 1))

    def reset(self) -> None:
        self.failures = 0


@dataclass
class RoundResult:
    claimed: int = 0
    delivered: int = 0
    failed: int = 0
    error: str | None = None


def _chunks(events: list[OutboxEvent], size: int) -> Iterator[list[OutboxEvent]]:
    for start in range(0, len(events), size):
        yield events[start : start + size]


class Relay:
    def __init__(
        self,
        publisher: Publisher,
        config: RelayConfig | None = None,
        relay_id: str | None = None,
        clock: Clock = utc_now,
    ) -> None:
        self.publisher = publisher
        self.config = config or RelayConfig()
        self.relay_id = relay_id or f"relay-{uuid.uuid4().hex[:12]}"
        if self.config.lease_seconds <= publisher.deadline_seconds:
            raise ValueError(
                f"the relay's lease ({self.config.lease_seconds:g} s, TURNOVER_RELAY_LEASE_"
                f"SECONDS) must be longer than the publisher's deadline "
                f"({publisher.deadline_seconds:g} s, TURNOVER_PUSHER_TIMEOUT_SECONDS)"
            )
        self.clock = clock
        self.rounds = 0  # completed calls of run_once
        self._horizon: outbox.CommittedHorizon | None = None
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.delivered_total = 0

    # -- one round ---------------------------------------------------------------------

    def run_once(self) -> RoundResult:
        """Claim what is pending and publish it; stops at the first passing failure."""
        result = RoundResult()
        claimed_at = self.clock()
        with UnitOfWork() as uow:
            through = self._advance_horizon(uow)
            claimed = outbox.claim_pending(
                uow.session,
                relay_id=self.relay_id,
                limit=self.config.claim_limit,
                lease_seconds=self.config.lease_seconds,
                through_id=through,
                now=claimed_at,
            )
            uow.commit()
        result.claimed = len(claimed)
        lease_ends = claimed_at + timedelta(seconds=self.config.lease_seconds)
        publishable = [event for event in claimed if not self._fails_for_good(event, result)]
        delivered: list[int] = []
        unsent: list[int] = []
        for position, chunk in enumerate(_chunks(publishable, self.publisher.batch_size)):
            error = self._lease_too_short(lease_ends) or self._deliver(chunk, result, delivered)
            if error is not None:
                sent = set(delivered)
                rest = publishable[position * self.publisher.batch_size :]
                unsent = [event.id for event in rest if event.id not in sent]  # type: ignore[misc]
                result.error = error
                break
        self._settle(delivered, unsent, result.error)
        self.rounds += 1
        return result

    def _lease_too_short(self, lease_ends: datetime) -> str | None:
        """Never publish what another relay may take over meanwhile: a request that could
        still be running when the lease ends is not started (its rows are released)."""
        deadline = timedelta(seconds=self.publisher.deadline_seconds)
        if self.clock() + deadline < lease_ends:
            return None
        return "the lease would end before the receiver's deadline: released for next round"

    def _advance_horizon(self, uow: UnitOfWork) -> int:
        if self._horizon is None:
            self._horizon = outbox.CommittedHorizon(outbox.relay_starting_point(uow.session))
        return self._horizon.advance(uow.session)

    def _fails_for_good(self, event: OutboxEvent, result: RoundResult) -> bool:
        reason = self.publisher.problem(event)
        if reason is None:
            return False
        self._mark_failed(event, reason, result)
        return True

    def _deliver(
        self, chunk: list[OutboxEvent], result: RoundResult, delivered: list[int]
    ) -> str | None:
        """Publish `chunk`; None when done (delivered or failed for good), else the error.
        The ids of what the receiver confirmed are added to `delivered`."""
        try:
            self.publisher.publish(chunk)
        except EventsRejected as rejection:
            if len(chunk) == 1:
                self._mark_failed(chunk[0], str(rejection), result)
                return None
            # Find the culprit: one at a time, in order.
            for event in chunk:
                error = self._deliver([event], result, delivered)
                if error is not None:
                    return error
            return None
        except Exception as error:
            log.warning("relay %s: publishing failed: %s", self.relay_id, error)
            return f"{type(error).__name__}: {error}"
        delivered.extend(event.id for event in chunk)  # type: ignore[misc]
        result.delivered += len(chunk)
        self.delivered_total += len(chunk)
        return None

    def _settle(self, delivered: list[int], unsent: list[int], error: str | None) -> None:
        """Record a round's outcome in one transaction (not one per batch sent): delivered
        rows are marked so, rows left unsent after a passing failure are released."""
        if not delivered and not unsent:
            return
        with UnitOfWork() as uow:
            if delivered:
                outbox.mark_delivered(uow.session, delivered, now=self.clock())
            if unsent:
                outbox.release_after_error(uow.session, unsent, error or "")
            uow.commit()

    def _mark_failed(self, event: OutboxEvent, reason: str, result: RoundResult) -> None:
        log.error("relay %s: outbox event %s failed for good: %s", self.relay_id, event.id, reason)
        self._record(outbox.mark_failed, event.id, reason)
        result.failed += 1

    @staticmethod
    def _record(operation, *args) -> None:  # type: ignore[no-untyped-def]
        with UnitOfWork() as uow:
            operation(uow.session, *args)
            uow.commit()

    # -- running -----------------------------------------------------------------------

    def wake(self) -> None:
        """Look at the outbox now (called after every commit in this process)."""
        self._wake.set()

    def run(self, stop: threading.Event | None = None) -> None:
        """Relay until `stop` (or `self.stop()`) is set."""
        stop = stop or self._stop
        backoff = Backoff(self.config.first_backoff_seconds, self.config.max_backoff_seconds)
        while not stop.is_set():
            self._wake.clear()
            try:
                result = self.run_once()
            except Exception as error:  # the database itself is unavailable
                log.exception("relay %s: round failed", self.relay_id)
                result = RoundResult(error=str(error))
            if result.error is not None:
                # Not woken by commits meanwhile: that would hammer a receiver that is down.
                stop.wait(backoff.next_delay())
                continue
            backoff.reset()
            if result.claimed < self.config.claim_limit:
                self._wake.wait(self.config.poll_seconds)

    def start(self) -> None:
        self._stop.clear()
        self._thread = threading.Thread(target=self.run, name=self.relay_id, daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None

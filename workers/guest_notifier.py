"""The guest notifier: sends the `GuestNotification` rows checkouts recorded, through FCM.

Claims due rows under a lease (several notifiers may run), sends each, and records the
outcome: sent, dropped (a dead token), retried later (honouring Retry-After) or, after
`MAX_ATTEMPTS`, failed. Any final outcome forgets the device token.
"""

import logging
import threading
import uuid
from dataclasses import dataclass
from datetime import timedelta

from config.settings import Settings
from storage import guest_notifications as store
from storage.unit_of_work import UnitOfWork
from workers.clock import SYSTEM_CLOCK, Clock
from workers.fcm import DROP, FAIL, RETRY, SENT, FcmClient, SendResult

log = logging.getLogger("turnover.notifier")

MAX_ATTEMPTS = 8
FIRST_RETRY_SECONDS = 5.0
MAX_RETRY_SECONDS = 3600.0
FINAL_STATUS = {SENT: store.SENT, DROP: store.DROPPED, FAIL: store.FAILED}


@dataclass(frozen=True)
class NotifierConfig:
    lease_seconds: float = 60.0
    batch_size: int = 20
    poll_seconds: float = 1.0


def notifier_from_settings(settings: Settings) -> "GuestNotifier | None":
    """A notifier when TURNOVER_FCM_CREDENTIALS is set, else None."""
    if not settings.fcm_credentials:
        return None
    client = FcmClient(settings.fcm_credentials, settings.fcm_base_url)
    return GuestNotifier(client, NotifierConfig(poll_seconds=settings.relay_poll_seconds))


class GuestNotifier:
    def __init__(
        self,
        client: FcmClient,
        config: NotifierConfig | None = None,
        *,
        clock: Clock = SYSTEM_CLOCK,
        worker_id: str | None = None,
    ) -> None:
        self.client = client
        self.config = config or NotifierConfig()
        self.clock = clock
        self.worker_id = worker_id or f"notifier-{uuid.uuid4().hex[:12]}"
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def run_once(self) -> int:
        """Send what is due; returns how many messages were tried."""
        with UnitOfWork() as uow:
            claimed = store.claim_due(
                uow.session,
                worker_id=self.worker_id,
                now=self.clock.now(),
                lease_seconds=self.config.lease_seconds,
                limit=self.config.batch_size,
            )
            uow.commit()
        for notification in claimed:
            assert notification.id is not None
            if not notification.fcm_token:
                self._record(notification.id, notification.attempts, SendResult(DROP, "no token"))
                continue
            result = self.client.send(notification.fcm_token, notification.title, notification.body)
            self._record(notification.id, notification.attempts, result)
        return len(claimed)

    def _record(self, notification_id: int, attempts_before: int, result: SendResult) -> None:
        now = self.clock.now()
        if result.outcome != SENT:
            log.info("guest notification %s: %s %s", notification_id, result.outcome, result.detail)
        with UnitOfWork() as uow:
            if result.outcome == RETRY and attempts_before + 1 < MAX_ATTEMPTS:
                delay = _retry_delay(attempts_before + 1, result.retry_after_seconds)
                store.retry_at(uow.session, notification_id, now + delay, result.detail)
            else:
                status = FINAL_STATUS.get(result.outcome, store.FAILED)
                error = None if status == store.SENT else result.detail
                store.finish(uow.session, notification_id, status, now, error)
            uow.commit()

    # -- running -----------------------------------------------------------------------------

    def wake(self) -> None:
        self._wake.set()

    def run(self, stop: threading.Event | None = None) -> None:
        stop = stop or self._stop
        while not stop.is_set():
            self._wake.clear()
            try:
                tried = self.run_once()
            except Exception:
                log.exception("notifier %s: round failed", self.worker_id)
                stop.wait(5)
                continue
            if tried < self.config.batch_size:
                self._wake.wait(self.config.poll_seconds)

    def start(self) -> None:
        self._stop.clear()
        self._thread = threading.Thread(target=self.run, name=self.worker_id, daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 15.0) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None
        self.client.close()


def _retry_delay(failed_attempts: int, retry_after: float | None) -> timedelta:
    """The server's Retry-After when it gave one, else doubling from 5 s up to an hour."""
    if retry_after is not None:
        return timedelta(seconds=min(retry_after, 24 * 3600))
    seconds = FIRST_RETRY_SECONDS * 2 ** (failed_attempts - 1)
    return timedelta(seconds=min(seconds, MAX_RETRY_SECONDS))

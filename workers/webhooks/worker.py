"""The webhook worker: fans committed outbox rows out to endpoints, claims due deliveries,
sends them and records every attempt.

Each endpoint's claimed run is sent by its own asyncio task, so a receiver that hangs holds
up only its own endpoint (each request ends at its deadline), never another endpoint or the
Pusher relay, which runs apart. Several workers (threads, processes, hosts) may run at once:
a delivery is claimed by one of them, under a lease another takes over if it runs out.
At least once: a worker that stops after a receiver accepted but before recording it sends
again, with the same `webhook-id`.
"""

import asyncio
import contextlib
import logging
import random
import threading
import time
import uuid
from dataclasses import dataclass, field
from datetime import datetime

import httpx

from config.settings import Settings
from storage import webhooks as store
from storage.models import WebhookDelivery, WebhookEndpoint
from storage.unit_of_work import UnitOfWork
from workers.clock import SYSTEM_CLOCK, Clock
from workers.webhooks import messages
from workers.webhooks.fanout import FanOut
from workers.webhooks.outcomes import ANSWER_BYTES, Attempt, record_outcome, storable
from workers.webhooks.signing_secrets import SecretUnavailable, decrypt
from workers.webhooks.url_safety import VettedTransport

log = logging.getLogger("turnover.webhooks")

# On stop, requests under way get this long to finish; the rest are abandoned, their
# deliveries given back (sent again later, with the same webhook-id).
STOP_GRACE_SECONDS = 5.0


@dataclass(frozen=True)
class WebhookConfig:
    connect_timeout_seconds: float = 5.0
    # The whole request, answer included (httpx's own timeouts bound only each wait).
    request_deadline_seconds: float = 15.0
    lease_seconds: float = 60.0
    batch_size: int = 50  # deliveries of one endpoint per claim
    concurrency: int = 16  # endpoints sent to at once
    poll_seconds: float = 1.0
    allow_private: bool = False

    @classmethod
    def from_settings(cls, settings: Settings) -> "WebhookConfig":
        return cls(
            poll_seconds=settings.relay_poll_seconds,
            allow_private=settings.webhooks_allow_private,
        )


@dataclass(frozen=True)
class Outgoing:
    delivery_id: int
    webhook_id: str
    body: str


@dataclass
class Batch:
    """A claim, ready to send: bodies built, secrets decrypted (held in memory only)."""

    endpoint_id: int
    url: str
    secrets: list[str]
    deliveries: list[Outgoing]
    lease_until: datetime
    problem: str | None = None  # why nothing can be sent (every attempt fails with it)


@dataclass
class RoundResult:
    fanned_out: int = 0
    claimed: int = 0
    attempts: list[Attempt] = field(default_factory=list)

    @property
    def delivered(self) -> int:
        return sum(attempt.succeeded for attempt in self.attempts)


class WebhookWorker:
    def __init__(
        self,
        config: WebhookConfig | None = None,
        *,
        clock: Clock = SYSTEM_CLOCK,
        worker_id: str | None = None,
        rng: random.Random | None = None,
    ) -> None:
        self.config = config or WebhookConfig()
        self.clock = clock
        self.worker_id = worker_id or f"webhooks-{uuid.uuid4().hex[:12]}"
        self.fanout = FanOut(clock)
        self._rng = rng or random.Random()
        self._stop = threading.Event()
        self._stopping = False
        self._thread: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._wakeup: asyncio.Event | None = None

    # -- one round (tests, benchmarks) -------------------------------------------------------

    def run_once(self) -> RoundResult:
        """Fan out, claim what is due, send it all, record it; returns when done."""
        return asyncio.run(self._round())

    async def _round(self) -> RoundResult:
        result = RoundResult()
        result.fanned_out = await asyncio.to_thread(self.fanout.run_until_caught_up)
        batches = await asyncio.to_thread(self._claim, self.config.concurrency)
        result.claimed = sum(len(batch.deliveries) for batch in batches)
        async with self._client() as client:
            sent = await asyncio.gather(*(self._deliver(client, batch) for batch in batches))
        result.attempts = [attempt for attempts in sent for attempt in attempts]
        return result

    # -- running -----------------------------------------------------------------------------

    def start(self) -> None:
        self._stop.clear()
        self._thread = threading.Thread(
            target=self.run, args=(self._stop,), name=self.worker_id, daemon=True
        )
        self._thread.start()

    def stop(self, timeout: float = 30.0) -> None:
        self._stop.set()
        self.wake()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None

    def wake(self) -> None:
        """Look for work now (called after every commit in this process)."""
        loop, wakeup = self._loop, self._wakeup
        if loop is not None and wakeup is not None and not loop.is_closed():
            with contextlib.suppress(RuntimeError):  # the loop closed meanwhile
                loop.call_soon_threadsafe(wakeup.set)

    def run(self, stop: threading.Event) -> None:
        """Work until `stop` is set (the `turnover webhooks run` command, or `start`)."""
        asyncio.run(self._serve(stop))

    async def _serve(self, stop: threading.Event) -> None:
        self._loop, self._wakeup = asyncio.get_running_loop(), asyncio.Event()
        self._stopping = False
        in_flight: set[asyncio.Task[list[Attempt]]] = set()
        failures = 0
        async with self._client() as client:
            while not stop.is_set():
                self._wakeup.clear()
                free = self.config.concurrency - len(in_flight)
                try:
                    await asyncio.to_thread(self.fanout.run_until_caught_up)
                    batches = await asyncio.to_thread(self._claim, free) if free > 0 else []
                    failures = 0
                except Exception:  # the database is unavailable: try again, slower each time
                    log.exception("webhook worker %s: round failed", self.worker_id)
                    failures += 1
                    await self._wait(min(30.0, 0.5 * 2**failures))
                    continue
                for batch in batches:
                    task = asyncio.create_task(self._deliver(client, batch))
                    in_flight.add(task)
                    task.add_done_callback(
                        lambda done: (in_flight.discard(done), self._wakeup.set())
                    )  # type: ignore[union-attr]
                await self._wait(self.config.poll_seconds)
            self._stopping = True
            if in_flight:  # let requests under way finish, briefly; then abandon them
                await asyncio.wait(in_flight, timeout=STOP_GRACE_SECONDS)
                for task in in_flight:
                    task.cancel()
                await asyncio.gather(*in_flight, return_exceptions=True)
        self._loop = self._wakeup = None

    async def _wait(self, seconds: float) -> None:
        assert self._wakeup is not None
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._wakeup.wait(), seconds)

    # -- claiming ----------------------------------------------------------------------------

    def _claim(self, max_endpoints: int) -> list[Batch]:
        now = self.clock.now()
        with UnitOfWork(write=False) as uow:
            if not store.claimable_endpoint_ids(uow.session, now):
                return []
        with UnitOfWork() as uow:
            claims = store.claim_due(
                uow.session,
                worker_id=self.worker_id,
                now=now,
                lease_seconds=self.config.lease_seconds,
                max_endpoints=max_endpoints,
                batch_size=self.config.batch_size,
            )
            event_ids = [
                d.outbox_event_id for c in claims for d in c.deliveries if d.outbox_event_id
            ]
            events = store.events_by_id(uow.session, event_ids)  # type: ignore[arg-type]
            uow.commit()
        return [self._batch(claim, events, now) for claim in claims]

    @staticmethod
    def _batch(claim: store.Claim, events: dict, now: datetime) -> Batch:
        endpoint = claim.endpoint
        outgoing = [_outgoing(delivery, events) for delivery in claim.deliveries]
        batch = Batch(endpoint.id, endpoint.url, [], outgoing, claim.lease_until)  # type: ignore[arg-type]
        try:
            batch.secrets = _signing_secrets(endpoint, now)
        except SecretUnavailable as error:
            batch.problem = str(error)
        return batch

    # -- sending -----------------------------------------------------------------------------

    def _client(self) -> httpx.AsyncClient:
        connections = self.config.concurrency * 2
        limits = httpx.Limits(max_connections=connections, max_keepalive_connections=connections)
        return httpx.AsyncClient(
            transport=VettedTransport(allow_private=self.config.allow_private, limits=limits),
            timeout=httpx.Timeout(
                self.config.request_deadline_seconds, connect=self.config.connect_timeout_seconds
            ),
            follow_redirects=False,
            trust_env=False,
        )

    async def _deliver(self, client: httpx.AsyncClient, batch: Batch) -> list[Attempt]:
        """Send the batch in order, stopping at the first failure; then record it."""
        attempts: list[Attempt] = []
        try:
            for outgoing in batch.deliveries:
                if self._stopping or not self._lease_covers_a_request(batch):
                    break
                attempt = await self._attempt(client, batch, outgoing)
                attempts.append(attempt)
                if not attempt.succeeded:
                    break
        finally:
            await asyncio.to_thread(self._record, batch, attempts)
        return attempts

    def _lease_covers_a_request(self, batch: Batch) -> bool:
        deadline = self.config.request_deadline_seconds
        return (batch.lease_until - self.clock.now()).total_seconds() > deadline

    async def _attempt(
        self, client: httpx.AsyncClient, batch: Batch, outgoing: Outgoing
    ) -> Attempt:
        at = self.clock.now()
        started = time.perf_counter()
        status: int | None = None
        answer, error = "", None
        deadline = self.config.request_deadline_seconds
        try:
            if batch.problem is not None:
                raise _Unsendable(batch.problem)
            headers = messages.headers(outgoing.webhook_id, at, outgoing.body, batch.secrets)
            async with asyncio.timeout(deadline):
                async with client.stream(
                    "POST", batch.url, content=outgoing.body.encode(), headers=headers
                ) as response:
                    status = response.status_code
                    answer = await _first_bytes(response, ANSWER_BYTES)
        except TimeoutError:
            error = f"no complete answer within {deadline:g} s"
        except _Unsendable as problem:
            error = str(problem)
        except Exception as failure:  # connection refused, reset, refused address, bad URL...
            error = (
                f"{type(failure).__name__}: {failure}" if str(failure) else type(failure).__name__
            )
        if error is not None:
            log.info(
                "webhook endpoint %s, delivery %s: %s",
                batch.endpoint_id,
                outgoing.delivery_id,
                error,
            )
        return Attempt(
            delivery_id=outgoing.delivery_id,
            attempted_at=at,
            status_code=status,
            duration_ms=round((time.perf_counter() - started) * 1000),
            response_body=storable(answer, ANSWER_BYTES),
            error=None if error is None else storable(error, 500),
        )

    def _record(self, batch: Batch, attempts: list[Attempt]) -> None:
        try:
            with UnitOfWork() as uow:
                record_outcome(
                    uow.session,
                    endpoint_id=batch.endpoint_id,
                    claimed_ids=[outgoing.delivery_id for outgoing in batch.deliveries],
                    attempts=attempts,
                    worker_id=self.worker_id,
                    now=self.clock.now(),
                    rng=self._rng,
                )
                uow.commit()
        except Exception:
            # The leases run out and another round sends these again (same webhook-id).
            log.exception(
                "webhook worker %s: recording endpoint %s failed", self.worker_id, batch.endpoint_id
            )


class _Unsendable(Exception):
    pass


def _outgoing(delivery: WebhookDelivery, events: dict) -> Outgoing:
    if delivery.outbox_event_id is None:
        body = messages.body(delivery.event_type, delivery.created_at, delivery.payload or {})
    else:
        event = events[delivery.outbox_event_id]
        event_type, data = messages.outbox_message(event)
        body = messages.body(event_type, event.created_at, data)
    return Outgoing(delivery.id, delivery.webhook_id, body)  # type: ignore[arg-type]


def _signing_secrets(endpoint: WebhookEndpoint, now: datetime) -> list[str]:
    """The current secret, and the previous one while its rotation window lasts."""
    secrets = [decrypt(endpoint.secret_encrypted)]
    expires = endpoint.previous_secret_expires_at
    if endpoint.previous_secret_encrypted and expires is not None and expires > now:
        secrets.append(decrypt(endpoint.previous_secret_encrypted))
    return secrets


async def _first_bytes(response: httpx.Response, limit: int) -> str:
    received = bytearray()
    async for chunk in response.aiter_bytes():
        received += chunk
        if len(received) >= limit:
            break
    return bytes(received[:limit]).decode("utf-8", errors="replace")

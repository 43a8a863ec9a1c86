"""Faults in realtime delivery: the publisher failing, a crash between publishing and
marking delivered, a receiver that accepts and then times out, one that drips its answer
forever, a lease too short for the rest of a round. No event is ever lost (redeliveries
carry the same `event_id`), and no event of a transaction that did not commit is ever
published. Against the signing-checking Pusher stand-in."""

import json
import socketserver
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from sqlalchemy import event

from storage import outbox
from storage.database import get_engine
from storage.models import OutboxEvent
from storage.unit_of_work import add_commit_listener
from tests.conftest import ANNA, HOTEL, rows
from tests.realtime.conftest import FAST, ManualClock, add_events, pusher_relay, wait_until
from tests.realtime.fake_pusher import FakePusher
from tests.reliability.operations import OPERATIONS
from workers.pusher_publisher import DeadlinePusher, PusherPublisher
from workers.relay import Relay, RelayConfig
from workflows.services.checkout import BookingRef, checkout_booking


class InjectedFault(Exception):
    pass


@pytest.fixture
def pusher_server() -> Iterator[FakePusher]:
    server = FakePusher().start()
    yield server
    server.stop()


def check_out(booking_id: str = "BK-1") -> None:
    checkout_booking(booking=BookingRef(HOTEL, booking_id), performed_by=ANNA)


def received_ids(server: FakePusher) -> list[int]:
    return [event_id for _, event_id in server.names_and_ids()]


def committed_ids() -> list[int]:
    return [row.id for row in rows(OutboxEvent)]  # type: ignore[misc]


def statuses() -> list[str]:
    return [row.status for row in rows(OutboxEvent)]


def assert_each_event_received_as_written(server: FakePusher) -> None:
    """Deduplicated by event_id, the receiver has every committed row, in order, with the
    row's own payload (so a redelivery is the same event, not a new one)."""
    first_seen: dict[int, dict[str, Any]] = {}
    for received in server.events:
        data = json.loads(received["data"])
        first_seen.setdefault(data["event_id"], data)
        assert data == first_seen[data["event_id"]]
    by_id = {row.id: row for row in rows(OutboxEvent)}
    assert list(first_seen) == committed_ids()
    for event_id, data in first_seen.items():
        assert data == {**by_id[event_id].payload, "event_id": event_id}


# A checkout writes three events: the booking's, the room's and its departure task's.
EVENTS = 3


def test_an_exception_in_the_publisher_loses_nothing(
    hotel: str, pusher_server: FakePusher, monkeypatch: pytest.MonkeyPatch
) -> None:
    check_out()
    real_publish = PusherPublisher.publish
    failures = []

    def publish_failing_twice(self: PusherPublisher, events: list[OutboxEvent]) -> None:
        if len(failures) < 2:
            failures.append(len(events))
            raise InjectedFault("publisher crashed before sending")
        real_publish(self, events)

    monkeypatch.setattr(PusherPublisher, "publish", publish_failing_twice)
    relay = pusher_relay(pusher_server)

    for _ in range(2):
        result = relay.run_once()
        assert result.error == "InjectedFault: publisher crashed before sending"
        assert pusher_server.events == [] and statuses() == ["PENDING"] * EVENTS
    assert [row.attempts for row in rows(OutboxEvent)] == [2] * EVENTS

    assert relay.run_once().delivered == EVENTS
    assert statuses() == ["DELIVERED"] * EVENTS
    assert received_ids(pusher_server) == committed_ids()  # once each
    assert_each_event_received_as_written(pusher_server)


@pytest.mark.parametrize("successor", ["same relay", "another relay after the lease"])
def test_a_crash_between_publishing_and_marking_delivered_sends_again_with_the_same_ids(
    hotel: str, pusher_server: FakePusher, monkeypatch: pytest.MonkeyPatch, successor: str
) -> None:
    check_out()
    real_mark = outbox.mark_delivered

    def crash_once(session: Any, ids: list[int], **_: Any) -> None:
        monkeypatch.setattr(outbox, "mark_delivered", real_mark)
        raise InjectedFault("crashed after Pusher confirmed")

    monkeypatch.setattr(outbox, "mark_delivered", crash_once)
    clock = ManualClock()
    config = RelayConfig(first_backoff_seconds=0.05, poll_seconds=0.05, lease_seconds=60)
    first = pusher_relay(pusher_server, "relay-1", config, clock)

    with pytest.raises(InjectedFault):
        first.run_once()
    assert len(pusher_server.events) == EVENTS  # published, but not marked
    assert statuses() == ["PENDING"] * EVENTS  # so not lost

    if successor == "same relay":
        assert first.run_once().delivered == EVENTS
    else:
        second = pusher_relay(pusher_server, "relay-2", config, clock)
        assert second.run_once().claimed == 0  # relay-1's lease still holds the channel
        clock.advance(59)
        assert second.run_once().claimed == 0
        clock.advance(1)  # the lease has ended
        assert second.run_once().delivered == EVENTS

    assert statuses() == ["DELIVERED"] * EVENTS
    assert received_ids(pusher_server) == committed_ids() * 2  # at least once: twice here
    assert_each_event_received_as_written(pusher_server)


def test_a_receiver_that_accepts_then_times_out_gets_the_events_again(
    hotel: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The network version of the crash above: Pusher stored the batch but the answer came
    too late, so the relay cannot know and sends it again."""
    slow = FakePusher().start()
    slow.answers.clear()  # the answer comes only once the relay has given up
    try:
        check_out()
        result = pusher_relay(slow, timeout=0.2).run_once()
        assert result.error is not None and "timed out" in result.error.lower()
        wait_until(lambda: len(slow.events) == EVENTS)  # it did arrive
        assert statuses() == ["PENDING"] * EVENTS

        slow.answers.set()
        assert pusher_relay(slow).run_once().delivered == EVENTS
        assert statuses() == ["DELIVERED"] * EVENTS
        assert received_ids(slow) == committed_ids() * 2
        assert_each_event_received_as_written(slow)
    finally:
        slow.stop()


def more_rounds(relay: Relay, count: int = 3) -> None:
    """Wait until `relay` (running in its thread) has looked at the outbox `count` more times."""
    target = relay.rounds + count
    wait_until(lambda: relay.rounds >= target)


@contextmanager
def commit_fails_in_this_thread(relay: Relay) -> Iterator[None]:
    """COMMIT of this thread's transactions fails after `relay` ran a few more rounds (it
    polls meanwhile, in its own thread, and must see nothing of the failing one). On SQLite
    the relay cannot look meanwhile (the failing transaction holds the write lock)."""
    this_thread = threading.current_thread()
    engine = get_engine()
    relay_can_look = engine.dialect.name == "postgresql"

    def fail(*_: Any) -> None:
        if threading.current_thread() is this_thread:
            if relay_can_look:
                more_rounds(relay)
            raise InjectedFault("commit failed")

    event.listen(engine, "commit", fail)
    try:
        yield
    finally:
        event.remove(engine, "commit", fail)


@contextmanager
def running_relay(server: FakePusher) -> Iterator[Relay]:
    relay = pusher_relay(server, config=FAST)
    unregister = add_commit_listener(relay.wake)
    relay.start()
    try:
        yield relay
    finally:
        relay.stop()
        unregister()


@pytest.mark.parametrize("operation", OPERATIONS)
def test_a_transaction_that_did_not_commit_is_never_published(
    hotel: str, pusher_server: FakePusher, operation: str
) -> None:
    with running_relay(pusher_server) as relay:
        with commit_fails_in_this_thread(relay), pytest.raises(InjectedFault):
            OPERATIONS[operation]()
        more_rounds(relay)
        assert pusher_server.events == [] and committed_ids() == []

        OPERATIONS[operation]()  # the same operation, committed this time
        written = committed_ids()
        assert written != []
        wait_until(lambda: statuses() == ["DELIVERED"] * len(written))

    assert received_ids(pusher_server) == written
    assert_each_event_received_as_written(pusher_server)


class DrippingReceiver:
    """Answers every request with a status line, then one header line every `interval`
    seconds for `ceiling` seconds, and only then ends the answer (a plain 200): each read
    gets a byte long before any per-read timeout, so only a deadline on the whole request
    ends the wait. (The ceiling makes a relay without one fail the test, not hang it.)"""

    def __init__(self, interval: float = 0.05, ceiling: float = 30.0) -> None:
        self.requests = 0
        self.finished_answers = 0
        self.stopping = threading.Event()
        receiver = self

        class Handler(socketserver.StreamRequestHandler):
            def handle(self) -> None:
                receiver.requests += 1
                self.wfile.write(b"HTTP/1.1 200 OK\r\n")
                for drop in range(int(ceiling / interval)):
                    if receiver.stopping.wait(interval):
                        return
                    self.wfile.write(f"X-Drip-{drop}: .\r\n".encode())
                self.wfile.write(b"Content-Length: 2\r\nConnection: close\r\n\r\n{}")
                receiver.finished_answers += 1

        self.server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        self.stopping.set()
        self.server.shutdown()
        self.server.server_close()


def test_a_receiver_dripping_its_answer_is_cut_off_at_the_deadline_and_nothing_goes_twice(
    hotel: str, pusher_server: FakePusher
) -> None:
    check_out()
    dripping = DrippingReceiver()
    try:
        options = {**pusher_server.client_options(), "port": dripping.port, "timeout": 0.5}
        relay = Relay(PusherPublisher(DeadlinePusher(**options)), FAST, relay_id="relay-1")
        result = relay.run_once()
    finally:
        dripping.stop()

    assert result.error is not None and "timed out" in result.error
    assert (dripping.requests, dripping.finished_answers) == (1, 0)
    released = rows(OutboxEvent)
    assert [(row.status, row.claimed_by, row.attempts) for row in released] == [
        ("PENDING", None, 1)
    ] * EVENTS
    # Released, so another relay takes them over at once, and they arrive once each.
    assert pusher_relay(pusher_server, "relay-2").run_once().delivered == EVENTS
    assert received_ids(pusher_server) == committed_ids()
    assert_each_event_received_as_written(pusher_server)


class ClockAdvancingPublisher(PusherPublisher):
    """Each request takes `seconds` on the relay's clock."""

    def __init__(self, server: FakePusher, clock: ManualClock, seconds: float) -> None:
        super().__init__(DeadlinePusher(**server.client_options()))
        self.clock, self.seconds = clock, seconds

    def publish(self, events: list[OutboxEvent]) -> None:
        super().publish(events)
        self.clock.advance(self.seconds)


def test_a_relay_starts_no_request_its_lease_could_end_during(
    hotel: str, pusher_server: FakePusher
) -> None:
    ids = add_events(HOTEL, 25)  # three requests of at most 10
    clock = ManualClock()
    publisher = ClockAdvancingPublisher(pusher_server, clock, seconds=20)
    assert publisher.deadline_seconds == 30
    config = RelayConfig(lease_seconds=60)
    relay = Relay(publisher, config, relay_id="relay-1", clock=clock)

    result = relay.run_once()

    # At 0 s and 20 s a request (deadline 30 s) ends within the lease; at 40 s it might not.
    assert (result.delivered, result.error) == (20, result.error) and "lease" in result.error  # type: ignore[operator]
    assert received_ids(pusher_server) == ids[:20]
    assert [(row.status, row.claimed_by) for row in rows(OutboxEvent)][20:] == [
        ("PENDING", None)
    ] * 5
    assert pusher_relay(pusher_server, "relay-2").run_once().delivered == 5
    assert received_ids(pusher_server) == ids


def test_a_lease_not_longer_than_the_publishers_deadline_is_refused(
    pusher_server: FakePusher,
) -> None:
    publisher = PusherPublisher(DeadlinePusher(**pusher_server.client_options()))
    with pytest.raises(ValueError, match="TURNOVER_RELAY_LEASE_SECONDS"):
        Relay(publisher, RelayConfig(lease_seconds=30))

"""Faults in realtime delivery: the publisher failing, a crash between publishing and
marking delivered, a receiver that accepts and then times out. No event is ever lost
(redeliveries carry the same `event_id`), and no event of a transaction that did not
commit is ever published. Against the signing-checking Pusher stand-in."""

import json
import threading
import time
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
from tests.realtime.conftest import FAST, pusher_relay, wait_until
from tests.realtime.fake_pusher import FakePusher
from tests.reliability.operations import OPERATIONS
from workers.pusher_publisher import PusherPublisher
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
        assert pusher_server.events == [] and statuses() == ["PENDING", "PENDING"]
    assert [row.attempts for row in rows(OutboxEvent)] == [2, 2]

    assert relay.run_once().delivered == 2
    assert statuses() == ["DELIVERED", "DELIVERED"]
    assert received_ids(pusher_server) == committed_ids()  # once each
    assert_each_event_received_as_written(pusher_server)


@pytest.mark.parametrize("successor", ["same relay", "another relay after the lease"])
def test_a_crash_between_publishing_and_marking_delivered_sends_again_with_the_same_ids(
    hotel: str, pusher_server: FakePusher, monkeypatch: pytest.MonkeyPatch, successor: str
) -> None:
    check_out()
    real_mark = outbox.mark_delivered

    def crash_once(session: Any, ids: list[int]) -> None:
        monkeypatch.setattr(outbox, "mark_delivered", real_mark)
        raise InjectedFault("crashed after Pusher confirmed")

    monkeypatch.setattr(outbox, "mark_delivered", crash_once)
    config = RelayConfig(first_backoff_seconds=0.05, poll_seconds=0.05, lease_seconds=0.3)
    first = pusher_relay(pusher_server, "relay-1", config)

    with pytest.raises(InjectedFault):
        first.run_once()
    assert len(pusher_server.events) == 2  # published, but not marked
    assert statuses() == ["PENDING", "PENDING"]  # so not lost

    if successor == "same relay":
        assert first.run_once().delivered == 2
    else:
        second = pusher_relay(pusher_server, "relay-2", config)
        assert second.run_once().claimed == 0  # relay-1's lease still holds the channel
        wait_until(lambda: second.run_once().delivered == 2, timeout=5)

    assert statuses() == ["DELIVERED", "DELIVERED"]
    assert received_ids(pusher_server) == committed_ids() * 2  # at least once: twice here
    assert_each_event_received_as_written(pusher_server)


def test_a_receiver_that_accepts_then_times_out_gets_the_events_again(
    hotel: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The network version of the crash above: Pusher stored the batch but the answer came
    too late, so the relay cannot know and sends it again."""
    slow = FakePusher(request_delay=0.5).start()
    try:
        check_out()
        result = pusher_relay(slow, timeout=0.2).run_once()
        assert result.error is not None and "timed out" in result.error.lower()
        wait_until(lambda: len(slow.events) == 2)  # it did arrive
        assert statuses() == ["PENDING", "PENDING"]

        slow.request_delay = 0
        assert pusher_relay(slow).run_once().delivered == 2
        assert statuses() == ["DELIVERED", "DELIVERED"]
        assert received_ids(slow) == committed_ids() * 2
        assert_each_event_received_as_written(slow)
    finally:
        slow.stop()


@contextmanager
def commit_fails_in_this_thread(pause_seconds: float) -> Iterator[None]:
    """COMMIT of this thread's transactions fails after `pause_seconds` (the relay keeps
    polling meanwhile, in its own thread, and must see nothing of the failing one)."""
    this_thread = threading.current_thread()

    def fail(*_: Any) -> None:
        if threading.current_thread() is this_thread:
            time.sleep(pause_seconds)
            raise InjectedFault("commit failed")

    engine = get_engine()
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
    with running_relay(pusher_server):
        with commit_fails_in_this_thread(pause_seconds=0.2), pytest.raises(InjectedFault):
            OPERATIONS[operation]()
        time.sleep(0.2)  # a few more relay rounds
        assert pusher_server.events == [] and committed_ids() == []

        OPERATIONS[operation]()  # the same operation, committed this time
        written = committed_ids()
        assert written != []
        wait_until(lambda: statuses() == ["DELIVERED"] * len(written))

    assert received_ids(pusher_server) == written
    assert_each_event_received_as_written(pusher_server)

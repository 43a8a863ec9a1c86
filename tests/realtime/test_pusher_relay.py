"""The relay delivers outbox events to Pusher: signed, batched, in order, once, and a
broken Pusher never fails or blocks a checkout."""

import json
import threading

from storage import outbox
from storage.unit_of_work import UnitOfWork, add_commit_listener
from tests.conftest import ANNA, HOTEL
from tests.realtime.conftest import (
    SEED_KEYS,
    SMALL_CLAIMS,
    ManualClock,
    add_events,
    outbox_rows,
    pusher_relay,
    seed_in_house_hotel,
    statuses,
    wait_until,
)
from tests.realtime.fake_pusher import FakePusher
from workers.relay import Relay
from workflows.services.checkout import BookingRef, checkout_booking


def check_out(booking_id: str) -> None:
    checkout_booking(booking=BookingRef(HOTEL, booking_id), performed_by=ANNA, source="test")


def test_a_checkout_reaches_pusher_as_the_seeds_two_events_in_order(
    hotel: str, fake_pusher: FakePusher
) -> None:
    check_out("BK-1")
    result = pusher_relay(fake_pusher).run_once()

    # The seed's two events, then the room's departure task (docs/housekeeping.md).
    assert result.delivered == 3 and result.error is None
    written = outbox_rows()
    assert [(e["channel"], e["name"]) for e in fake_pusher.events] == [
        ("hotel-hotel-killarney", row.event_name) for row in written
    ]
    assert [e["name"] for e in fake_pusher.events][2:] == ["task-created"]
    assert {e["name"] for e in fake_pusher.events[:2]} == set(SEED_KEYS)
    for event, row in zip(fake_pusher.events[:2], written[:2], strict=True):
        data = json.loads(event["data"])
        assert set(data) == SEED_KEYS[event["name"]] | {"event_id"}
        assert data == {**row.payload, "event_id": row.id}
    room_event = next(json.loads(e["data"]) for e in fake_pusher.events if "room" in e["name"])
    assert (room_event["room_number"], room_event["old_status"], room_event["new_status"]) == (
        101,
        "OCCUPIED",
        "CHECKOUT_DIRTY",
    )
    assert statuses() == ["DELIVERED"] * 3


def test_a_wrong_secret_is_refused_by_the_signature_check_and_nothing_is_lost(
    hotel: str, fake_pusher: FakePusher
) -> None:
    check_out("BK-1")

    result = pusher_relay(fake_pusher, secret="not-the-secret").run_once()

    assert fake_pusher.rejected_signatures == 1 and fake_pusher.events == []
    assert "Invalid signature" in (result.error or "")
    assert statuses() == ["PENDING"] * 3  # booking, room, the room's departure task
    assert all("Invalid signature" in (row.last_error or "") for row in outbox_rows())

    pusher_relay(fake_pusher).run_once()
    assert len(fake_pusher.events) == 3 and statuses() == ["DELIVERED"] * 3


def test_events_go_out_at_most_ten_per_request_in_id_order(
    hotel: str, fake_pusher: FakePusher
) -> None:
    ids = add_events(HOTEL, 25)

    pusher_relay(fake_pusher).run_once()

    assert fake_pusher.requests == 3
    assert [event_id for _, event_id in fake_pusher.names_and_ids()] == ids


def test_an_oversize_event_fails_with_its_reason_and_does_not_block_the_next(
    hotel: str, fake_pusher: FakePusher
) -> None:
    # 3,500 characters but 10,500 bytes in UTF-8: the limit is on bytes.
    [big] = add_events(HOTEL, 1, payload={"note": "€" * 3500})
    check_out("BK-1")

    pusher_relay(fake_pusher).run_once()

    rows = outbox_rows()
    assert [row.status for row in rows] == ["FAILED", "DELIVERED", "DELIVERED", "DELIVERED"]
    assert "10" in rows[0].last_error and "bytes" in rows[0].last_error  # type: ignore[operator]
    assert [event_id for _, event_id in fake_pusher.names_and_ids()] == [r.id for r in rows[1:]]

    with UnitOfWork() as uow:
        assert outbox.requeue_failed(uow.session) == 1
        uow.commit()
    assert statuses()[0] == "PENDING"
    pusher_relay(fake_pusher).run_once()
    assert statuses()[0] == "FAILED" and big not in dict(fake_pusher.names_and_ids()).values()


def test_checkouts_succeed_through_an_outage_and_every_event_arrives_once_in_order(
    database: str, fake_pusher: FakePusher
) -> None:
    bookings = seed_in_house_hotel(50)
    relay = pusher_relay(fake_pusher)
    unregister = add_commit_listener(relay.wake)
    relay.start()
    try:
        for n, booking_id in enumerate(bookings):
            if n == 10:
                fake_pusher.mode = "error"  # Pusher answers 500
            if n == 15:
                wait_until(lambda: any("500" in (r.last_error or "") for r in outbox_rows()))
            if n == 25:
                fake_pusher.stop()  # connections refused
            if n == 30:
                wait_until(
                    lambda: any("ConnectError" in (r.last_error or "") for r in outbox_rows())
                )
            check_out(booking_id)
        assert "DELIVERED" not in statuses()[30:]  # nothing went out during the outage
        fake_pusher.mode = "ok"
        fake_pusher.start()  # same port
        wait_until(lambda: statuses() == ["DELIVERED"] * 150)  # 3 events a checkout
    finally:
        relay.stop()
        unregister()

    assert [event_id for _, event_id in fake_pusher.names_and_ids()] == [
        row.id for row in outbox_rows()
    ]


def test_several_relays_at_once_publish_each_event_once_in_order_per_channel(
    hotel: str,
) -> None:
    server = FakePusher(request_delay=0.01).start()
    killarney = add_events(HOTEL, 60)
    galway = add_events("hotel-galway", 60)
    relays = [pusher_relay(server, f"relay-{n}", SMALL_CLAIMS) for n in range(3)]
    stop = threading.Event()
    threads = [threading.Thread(target=relay.run, args=(stop,)) for relay in relays]
    for thread in threads:
        thread.start()
    try:
        wait_until(lambda: statuses() == ["DELIVERED"] * 120)
    finally:
        stop.set()
        for thread in threads:
            thread.join(5)
        server.stop()

    assert sum(relay.delivered_total > 0 for relay in relays) >= 2  # they did share the work
    delivered = [json.loads(e["data"])["event_id"] for e in server.events]
    assert sorted(delivered) == sorted(killarney + galway)  # each exactly once
    by_channel = {
        channel: [
            json.loads(e["data"])["event_id"] for e in server.events if e["channel"] == channel
        ]
        for channel in ("hotel-hotel-killarney", "hotel-hotel-galway")
    }
    assert by_channel == {"hotel-hotel-killarney": killarney, "hotel-hotel-galway": galway}


def test_a_relay_that_died_holding_events_is_taken_over_when_its_lease_ends(
    hotel: str, fake_pusher: FakePusher
) -> None:
    add_events(HOTEL, 3)
    clock = ManualClock()
    with UnitOfWork() as uow:
        outbox.claim_pending(
            uow.session,
            relay_id="crashed",
            limit=10,
            lease_seconds=60,
            through_id=10**9,
            now=clock(),
        )
        uow.commit()
    successor: Relay = pusher_relay(fake_pusher, clock=clock)

    assert successor.run_once().claimed == 0  # the lease still holds the channel
    clock.advance(59.9)
    assert successor.run_once().claimed == 0
    clock.advance(0.1)
    assert successor.run_once().delivered == 3
    assert statuses() == ["DELIVERED"] * 3

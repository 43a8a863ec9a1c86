"""The built-in server-sent-events stream, read by a real HTTP client from a real server."""

from collections.abc import Iterator

import httpx
import pytest

from config.settings import get_settings
from storage.models import OutboxEvent
from storage.unit_of_work import UnitOfWork
from tests.conftest import ANNA, HOTEL
from tests.realtime.live_server import SseReader, running_app
from workflows.machines.realtime_events import hotel_channel
from workflows.services.check_in import check_in_booking
from workflows.services.checkout import BookingRef, checkout_booking
from workflows.services.lookups import load_hotel
from workflows.services.staff_accounts import create_staff

EVENTS = "/api/staff/hotels/{hotel}/events/"
CHECKOUT = "/api/staff/hotels/{hotel}/room-bookings/{booking}/check-out/"


def staff_token(hotel_slug: str, username: str) -> str:
    with UnitOfWork() as uow:
        hotel = load_hotel(uow.session, hotel_slug)
        _, token = create_staff(uow.session, hotel_id=hotel.id, username=username)
        uow.commit()
    return token


@pytest.fixture
def server(hotel: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    for name in ("APP_ID", "KEY", "SECRET"):
        monkeypatch.delenv(f"TURNOVER_PUSHER_{name}", raising=False)
    monkeypatch.setenv("TURNOVER_SSE_KEEPALIVE_SECONDS", "0.3")
    monkeypatch.setenv("TURNOVER_RELAY_POLL_SECONDS", "0.1")
    get_settings.cache_clear()
    with running_app() as url:
        yield url
    get_settings.cache_clear()


@pytest.fixture
def client(server: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server, timeout=60) as http:
        yield http


def check_out(client: httpx.Client, token: str, booking: str) -> None:
    response = client.post(
        CHECKOUT.format(hotel=HOTEL, booking=booking), headers={"Authorization": f"Bearer {token}"}
    )
    assert response.status_code == 200, response.text


def roll_back_an_event() -> None:
    """What a transition that failed after writing its outbox row leaves: nothing."""
    with UnitOfWork() as uow:
        hotel = load_hotel(uow.session, HOTEL)
        uow.session.add(
            OutboxEvent(
                hotel_id=hotel.id,
                channel=hotel_channel(HOTEL),
                event_name="rolled-back",
                payload={},
            )
        )
        uow.session.flush()
    # no commit: rolled back


def test_a_checkout_streams_live_in_order_and_never_a_rolled_back_event(
    client: httpx.Client,
) -> None:
    token = staff_token(HOTEL, "frank")
    url = EVENTS.format(hotel=HOTEL)
    with client.stream("GET", url, headers={"Authorization": f"Bearer {token}"}) as response:
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        reader = SseReader(response.iter_lines())
        reader.wait_comment("connected")
        roll_back_an_event()
        check_out(client, token, "BK-1")
        first, second = reader.next_event(), reader.next_event()
        reader.wait_comment("keep-alive")

    assert [first.event, second.event] == ["booking-checked-out", "room-status-changed"]
    assert int(first.id) < int(second.id)  # type: ignore[arg-type]
    assert first.data["booking_id"] == "BK-1" and first.data["event_id"] == int(first.id)
    assert set(second.data) == {
        "room_number",
        "old_status",
        "new_status",
        "source",
        "timestamp",
        "room_flags",
        "event_id",
    }
    assert (second.data["old_status"], second.data["new_status"]) == ("OCCUPIED", "CHECKOUT_DIRTY")


def test_last_event_id_replays_only_what_was_missed(client: httpx.Client) -> None:
    token = staff_token(HOTEL, "frank")
    url = EVENTS.format(hotel=HOTEL)
    with client.stream("GET", url, params={"token": token}) as response:
        reader = SseReader(response.iter_lines())
        reader.wait_comment("connected")
        check_out(client, token, "BK-1")
        seen = [reader.next_event(), reader.next_event(), reader.next_event()]
    # While disconnected: BK-2 arrives and leaves (five more events).
    missed_from = seen[-1].id
    check_in_booking(booking=BookingRef(HOTEL, "BK-2"), performed_by=ANNA)
    checkout_booking(booking=BookingRef(HOTEL, "BK-2"), performed_by=ANNA)

    resume = {"Authorization": f"Bearer {token}", "Last-Event-ID": missed_from}
    with client.stream("GET", url, headers=resume) as response:
        reader = SseReader(response.iter_lines())
        replayed = [reader.next_event() for _ in range(5)]

    assert [m.event for m in replayed] == [
        "booking-checked-in",
        "room-status-changed",
        "booking-checked-out",
        "room-status-changed",
        "task-created",  # the room's departure cleaning
    ]
    ids = [int(m.id) for m in replayed]  # type: ignore[arg-type]
    assert ids == sorted(ids) and ids[0] > int(missed_from)  # type: ignore[arg-type]
    assert {m.data.get("booking_id") for m in replayed if "booking" in m.event} == {"BK-2"}


def test_only_the_hotels_own_staff_may_listen(client: httpx.Client) -> None:
    outsider = staff_token("hotel-galway", "sean")
    url = EVENTS.format(hotel=HOTEL)

    other_hotel = client.get(url, headers={"Authorization": f"Bearer {outsider}"})
    by_query = client.get(url, params={"token": outsider})
    anonymous = client.get(url)
    bad_resume = client.get(
        url,
        headers={"Authorization": f"Bearer {staff_token(HOTEL, 'frank')}", "Last-Event-ID": "x"},
    )

    assert other_hotel.status_code == 403 and by_query.status_code == 403
    assert other_hotel.json()["error"]["code"] == "PERMISSION_DENIED"
    assert anonymous.status_code == 401
    assert anonymous.json()["error"]["code"] == "NOT_AUTHENTICATED"
    assert bad_resume.status_code == 422
    assert bad_resume.json()["error"]["code"] == "VALIDATION_ERROR"

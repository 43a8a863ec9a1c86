"""The board's event stream, opened with the session cookie (no token anywhere), ends
when the session does: a signed-out board stops receiving the hotel's events."""

import time
from collections.abc import Iterator

import httpx
import pytest

from config.settings import get_settings
from tests.conftest import HOTEL
from tests.realtime.live_server import SseReader, running_app
from tests.web.conftest import PASSWORD, form_token
from web.app import create_app

EVENTS = f"/api/staff/hotels/{HOTEL}/events/"


@pytest.fixture
def server(web_hotel: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    monkeypatch.setenv("TURNOVER_SSE_KEEPALIVE_SECONDS", "0.3")
    monkeypatch.setenv("TURNOVER_RELAY_POLL_SECONDS", "0.1")
    get_settings.cache_clear()
    with running_app(create_app) as url:
        yield url
    get_settings.cache_clear()


def signed_in(server: str) -> httpx.Client:
    client = httpx.Client(base_url=server, timeout=60)
    page = client.get("/")
    answer = client.post(
        "/sign-in",
        data={
            "csrf_token": form_token(page.text),
            "hotel": HOTEL,
            "username": "sinead",
            "password": PASSWORD,
        },
    )
    assert answer.status_code == 303
    return client


def test_the_stream_takes_the_cookie_and_ends_with_the_session(
    server: str, web_hotel: dict[str, str]
) -> None:
    board = signed_in(server)
    with board.stream("GET", EVENTS, headers={"Sec-Fetch-Site": "same-origin"}) as response:
        assert response.status_code == 200
        lines = response.iter_lines()
        reader = SseReader(lines)
        reader.wait_comment("connected")
        checkout = httpx.post(
            f"{server}/api/staff/hotels/{HOTEL}/room-bookings/BK-1/check-out/",
            headers={"Authorization": f"Bearer {web_hotel['fiona']}"},
            timeout=60,
        )
        assert checkout.status_code == 200
        assert reader.next_event().event == "booking-checked-out"
        token = form_token(board.get(f"/hotels/{HOTEL}/board").text)
        assert board.post("/sign-out", data={"csrf_token": token}).status_code == 303
        deadline = time.monotonic() + 60  # a ceiling; the stream checks every 0.3 s here
        for _ in lines:
            assert time.monotonic() < deadline, "the stream outlived its session"
    # and it cannot be opened again with that cookie
    assert board.get(EVENTS).status_code == 401
    board.close()


def test_a_request_from_another_site_does_not_ride_the_cookie(server: str) -> None:
    board = signed_in(server)
    refused = board.get(EVENTS, headers={"Sec-Fetch-Site": "cross-site"})
    assert refused.status_code == 401
    assert refused.json()["error"]["code"] == "NOT_AUTHENTICATED"
    board.close()

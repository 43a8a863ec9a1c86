"""POST /api/pusher/auth signs private-hotel-{slug} subscriptions for that hotel's staff only."""

from collections.abc import Iterator

import pusher
import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from config.settings import get_settings
from tests.realtime.fake_pusher import APP_ID, KEY, SECRET
from tests.realtime.test_sse import staff_token

SOCKET_ID = "1234.5678"
OWN_CHANNEL = "private-hotel-hotel-killarney"


@pytest.fixture
def client(hotel: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[TestClient]:
    settings = {"APP_ID": APP_ID, "KEY": KEY, "SECRET": SECRET, "PRIVATE": "1"}
    for name, value in settings.items():
        monkeypatch.setenv(f"TURNOVER_PUSHER_{name}", value)
    monkeypatch.setenv("TURNOVER_RELAY_IN_PROCESS", "0")
    get_settings.cache_clear()
    with TestClient(create_app()) as test_client:
        yield test_client
    get_settings.cache_clear()


def authorize(client: TestClient, token: str | None, channel: str, as_json: bool = False):  # type: ignore[no-untyped-def]
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    fields = {"socket_id": SOCKET_ID, "channel_name": channel}
    if as_json:
        return client.post("/api/pusher/auth", json=fields, headers=headers)
    return client.post("/api/pusher/auth", data=fields, headers=headers)  # as pusher-js sends


def test_own_hotel_staff_get_a_signature_pusher_itself_would_give(client: TestClient) -> None:
    token = staff_token("hotel-killarney", "frank")
    expected = pusher.Pusher(app_id=APP_ID, key=KEY, secret=SECRET).authenticate(
        channel=OWN_CHANNEL, socket_id=SOCKET_ID
    )

    form = authorize(client, token, OWN_CHANNEL)
    body = authorize(client, token, OWN_CHANNEL, as_json=True)

    assert form.status_code == 200 and form.json() == expected
    assert body.status_code == 200 and body.json() == expected
    assert expected["auth"].startswith(f"{KEY}:")


def test_other_hotels_channels_and_strangers_are_refused(client: TestClient) -> None:
    outsider = staff_token("hotel-galway", "sean")
    insider = staff_token("hotel-killarney", "frank")

    other_hotel = authorize(client, outsider, OWN_CHANNEL)
    public_channel = authorize(client, insider, "hotel-hotel-killarney")
    anonymous = authorize(client, None, OWN_CHANNEL)
    bad_socket = client.post(
        "/api/pusher/auth",
        data={"socket_id": "nope", "channel_name": OWN_CHANNEL},
        headers={"Authorization": f"Bearer {insider}"},
    )

    assert other_hotel.status_code == 403
    assert other_hotel.json()["error"]["code"] == "PERMISSION_DENIED"
    assert public_channel.status_code == 403
    assert anonymous.status_code == 401
    assert bad_socket.status_code == 422
    assert bad_socket.json()["error"]["code"] == "VALIDATION_ERROR"

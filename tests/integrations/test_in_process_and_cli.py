"""The workers inside the API process (a checkout over HTTP reaches the webhook receiver
and the guest's phone), and `turnover webhooks list|add|disable|enable`."""

import re
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

from cli.main import app
from config.settings import get_settings
from tests.api.conftest import bearer, new_staff_token
from tests.conftest import HOTEL
from tests.integrations.conftest import endpoint
from tests.integrations.fcm_standin import FcmStandin
from tests.integrations.receiver import Receiver
from tests.realtime.conftest import wait_until
from tests.realtime.live_server import running_app

runner = CliRunner()


@pytest.fixture
def fcm(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[FcmStandin]:
    standin = FcmStandin().start()
    monkeypatch.setenv("TURNOVER_FCM_CREDENTIALS", str(standin.write_service_account(tmp_path)))
    monkeypatch.setenv("TURNOVER_FCM_BASE_URL", standin.base_url)
    get_settings.cache_clear()
    yield standin
    standin.stop()
    get_settings.cache_clear()


def test_a_checkout_over_http_reaches_the_receiver_and_the_guest(
    hotel_with_rooms: str, receiver: Receiver, fcm: FcmStandin
) -> None:
    root = bearer(new_staff_token(HOTEL, "root", superuser=True))
    base = f"/api/staff/hotels/{HOTEL}"
    with running_app() as url, httpx.Client(base_url=url, timeout=30) as client:
        created = client.post(
            f"{base}/webhooks/",
            headers=root,
            json={"url": receiver.url(), "event_types": ["booking-checked-out"]},
        )
        assert created.status_code == 201, created.text
        checkout = client.post(f"{base}/room-bookings/BK-1/check-out/", headers=root)
        assert checkout.status_code == 200

        wait_until(lambda: len(receiver.received()) == 1 and len(fcm.sent) == 1)

    (request,) = receiver.received()
    assert request.json()["type"] == "booking-checked-out"
    assert fcm.sent[0].body["message"]["token"] == "f-101"


def test_cli_add_list_disable_enable(hotel_with_rooms: str, receiver: Receiver) -> None:
    added = runner.invoke(
        app,
        [
            "webhooks",
            "add",
            "--hotel",
            HOTEL,
            "--url",
            receiver.url(),
            "--event",
            "room-status-changed",
        ],
    )
    assert added.exit_code == 0, added.output
    secret = re.search(r"Signing secret \(shown once\): (whsec_\S+)", added.output)
    assert secret is not None

    listed = runner.invoke(app, ["webhooks", "list"])
    assert listed.exit_code == 0
    assert f"{HOTEL}  enabled  room-status-changed  {receiver.url()}" in listed.output
    assert secret.group(1) not in listed.output

    assert runner.invoke(app, ["webhooks", "disable", "1"]).exit_code == 0
    assert not endpoint(1).enabled
    assert "disabled (disabled by staff)" in runner.invoke(app, ["webhooks", "list"]).output
    assert runner.invoke(app, ["webhooks", "enable", "1"]).exit_code == 0
    assert endpoint(1).enabled


def test_cli_refusals(hotel_with_rooms: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("TURNOVER_WEBHOOKS_ALLOW_PRIVATE")
    get_settings.cache_clear()
    refused = runner.invoke(
        app, ["webhooks", "add", "--hotel", HOTEL, "--url", "http://169.254.169.254/"]
    )
    assert refused.exit_code == 1 and "link-local" in refused.output
    unknown_type = runner.invoke(
        app,
        ["webhooks", "add", "--hotel", HOTEL, "--url", "https://93.184.215.14/", "--event", "x"],
    )
    assert unknown_type.exit_code == 1 and "Unknown event type" in unknown_type.output
    assert runner.invoke(app, ["webhooks", "disable", "42"]).exit_code == 1
    assert "No webhook endpoints." in runner.invoke(app, ["webhooks", "list"]).output

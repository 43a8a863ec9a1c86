"""Webhook endpoints over HTTP: create (the secret once), list, read, change, delete,
rotate, test, deliveries with their attempts, retry, replay; and every refusal."""

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from standardwebhooks import Webhook

from config.settings import get_settings
from tests.api.conftest import BASE, OTHER_HOTEL, Headers, error
from tests.conftest import snapshot
from tests.integrations.conftest import FakeClock, worker
from tests.integrations.receiver import Receiver
from tests.realtime.conftest import add_events

WEBHOOKS = BASE + "/webhooks/"
PUBLIC_URL = "https://93.184.215.14/turnover"


def webhook_path(webhook_id: int, rest: str = "") -> str:
    return f"{WEBHOOKS}{webhook_id}/{rest}"


@pytest.fixture
def allow_private(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("TURNOVER_WEBHOOKS_ALLOW_PRIVATE", "1")
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    server = Receiver().start()
    yield server
    server.stop()


def create(client: TestClient, headers: Headers, **body: object) -> dict:
    payload = {"url": PUBLIC_URL, "event_types": ["*"], "description": "PMS", **body}
    response = client.post(WEBHOOKS, headers=headers, json=payload)
    assert response.status_code == 201, response.text
    return response.json()


def test_create_answers_the_secret_once(client: TestClient, superuser: Headers) -> None:
    created = create(client, superuser, event_types=["room-status-changed"])

    assert created["secret"].startswith("whsec_")
    assert created["url"] == PUBLIC_URL and created["enabled"] is True
    assert created["event_types"] == ["room-status-changed"]
    assert created["disabled_reason"] is None and created["previous_secret_valid_until"] is None
    one = client.get(webhook_path(created["id"]), headers=superuser).json()
    listed = client.get(WEBHOOKS, headers=superuser).json()
    assert "secret" not in one and one == {k: v for k, v in created.items() if k != "secret"}
    assert listed["total"] == 1 and listed["items"] == [one]
    assert created["secret"] not in repr(snapshot())


def test_every_path_answers_without_the_trailing_slash(
    client: TestClient, superuser: Headers
) -> None:
    created = create(client, superuser)
    assert client.get(WEBHOOKS.rstrip("/"), headers=superuser).status_code == 200
    assert client.get(webhook_path(created["id"]).rstrip("/"), headers=superuser).status_code == 200
    deliveries = webhook_path(created["id"], "deliveries")
    assert client.get(deliveries, headers=superuser).status_code == 200
    test = webhook_path(created["id"], "test")
    assert client.post(test, headers=superuser).status_code == 202


def test_only_superusers_of_the_hotel_manage_webhooks(
    client: TestClient, superuser: Headers, staff: Headers, other_staff: Headers
) -> None:
    created = create(client, superuser)
    body = {"url": PUBLIC_URL, "event_types": ["*"]}
    for headers in (staff, other_staff):
        assert error(client.post(WEBHOOKS, headers=headers, json=body)) == (
            403,
            "PERMISSION_DENIED",
        )
        assert error(client.get(webhook_path(created["id"]), headers=headers))[0] == 403
        assert error(client.delete(webhook_path(created["id"]), headers=headers))[0] == 403
    assert error(client.get(WEBHOOKS)) == (401, "NOT_AUTHENTICATED")
    assert client.get(WEBHOOKS, headers=superuser).json()["total"] == 1


def test_another_hotels_webhook_is_not_found(
    client: TestClient, superuser: Headers, other_staff: Headers
) -> None:
    from tests.api.conftest import bearer, new_staff_token

    other_root = bearer(new_staff_token(OTHER_HOTEL, "root2", superuser=True))
    theirs = client.post(
        f"/api/staff/hotels/{OTHER_HOTEL}/webhooks/",
        headers=other_root,
        json={"url": PUBLIC_URL, "event_types": ["*"]},
    ).json()

    assert error(client.get(webhook_path(theirs["id"]), headers=superuser)) == (
        404,
        "WEBHOOK_NOT_FOUND",
    )
    assert error(client.delete(webhook_path(theirs["id"]), headers=superuser))[0] == 404


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({"url": "http://127.0.0.1:8080/hook", "event_types": ["*"]}, "WEBHOOK_URL_NOT_ALLOWED"),
        ({"url": "http://169.254.169.254/", "event_types": ["*"]}, "WEBHOOK_URL_NOT_ALLOWED"),
        ({"url": "ftp://93.184.215.14/x", "event_types": ["*"]}, "WEBHOOK_URL_NOT_ALLOWED"),
        ({"url": PUBLIC_URL, "event_types": ["room-sttus-changed"]}, "VALIDATION_ERROR"),
        ({"url": PUBLIC_URL, "event_types": []}, "VALIDATION_ERROR"),
        ({"url": PUBLIC_URL}, "VALIDATION_ERROR"),
        ({"url": 7, "event_types": ["*"]}, "VALIDATION_ERROR"),
        ({"url": PUBLIC_URL, "event_types": ["*"], "secret": "mine"}, "VALIDATION_ERROR"),
        ({"url": PUBLIC_URL, "event_types": ["*"], "description": "x" * 501}, "VALIDATION_ERROR"),
        ({"url": "https://93.184.215.14/\x00", "event_types": ["*"]}, "VALIDATION_ERROR"),
    ],
)
def test_create_refusals(
    client: TestClient, superuser: Headers, body: dict, code: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("TURNOVER_WEBHOOKS_ALLOW_PRIVATE", raising=False)
    get_settings.cache_clear()
    before = snapshot()
    response = client.post(WEBHOOKS, headers=superuser, json=body)
    assert error(response) == (422, code)
    assert snapshot() == before


def test_patch_changes_what_is_given(client: TestClient, superuser: Headers) -> None:
    created = create(client, superuser)
    path = webhook_path(created["id"])

    changed = client.patch(
        path, headers=superuser, json={"event_types": ["booking-checked-out"], "description": "B"}
    ).json()
    disabled = client.patch(path, headers=superuser, json={"enabled": False}).json()
    enabled = client.patch(path, headers=superuser, json={"enabled": True}).json()

    assert changed["event_types"] == ["booking-checked-out"] and changed["url"] == PUBLIC_URL
    assert changed["description"] == "B"
    assert disabled["enabled"] is False and disabled["disabled_reason"] == "disabled by staff"
    assert enabled["enabled"] is True and enabled["disabled_reason"] is None
    for body, code in [
        ({"url": None}, "VALIDATION_ERROR"),
        ({"enabled": "yes"}, "VALIDATION_ERROR"),
        ({"colour": "red"}, "VALIDATION_ERROR"),
        ({"url": "http://10.0.0.1/"}, "WEBHOOK_URL_NOT_ALLOWED"),
    ]:
        assert error(client.patch(path, headers=superuser, json=body)) == (422, code)
    assert error(client.patch(webhook_path(999), headers=superuser, json={})) == (
        404,
        "WEBHOOK_NOT_FOUND",
    )


def test_delete_removes_the_endpoint_and_its_deliveries(
    client: TestClient, superuser: Headers
) -> None:
    created = create(client, superuser)
    client.post(webhook_path(created["id"], "test/"), headers=superuser)

    response = client.delete(webhook_path(created["id"]), headers=superuser)

    assert response.status_code == 204 and response.content == b""
    assert error(client.get(webhook_path(created["id"]), headers=superuser))[0] == 404
    assert error(client.delete(webhook_path(created["id"]), headers=superuser))[0] == 404
    assert snapshot()["webhookdelivery"] == []


def test_rotate_secret(client: TestClient, superuser: Headers) -> None:
    created = create(client, superuser)

    rotated = client.post(webhook_path(created["id"], "rotate-secret/"), headers=superuser)

    assert rotated.status_code == 200
    body = rotated.json()
    assert body["secret"].startswith("whsec_") and body["secret"] != created["secret"]
    valid_until = datetime.fromisoformat(body["previous_secret_valid_until"])
    assert timedelta(hours=23, minutes=59) < valid_until - datetime.now(UTC) <= timedelta(hours=24)
    assert "secret" not in client.get(webhook_path(created["id"]), headers=superuser).json()
    assert error(client.post(webhook_path(404, "rotate-secret/"), headers=superuser))[0] == 404


def test_test_event_is_delivered_and_listed_with_its_attempts(
    client: TestClient, superuser: Headers, allow_private: None, receiver: Receiver
) -> None:
    created = create(client, superuser, url=receiver.url())
    queued = client.post(webhook_path(created["id"], "test/"), headers=superuser)
    assert queued.status_code == 202
    assert queued.json()["event_type"] == "webhook.test" and queued.json()["status"] == "PENDING"

    worker(FakeClock()).run_once()

    (request,) = receiver.received()
    message = Webhook(created["secret"]).verify(request.body, request.headers)
    assert message["type"] == "webhook.test"
    assert message["data"]["webhook_endpoint_id"] == created["id"]
    page = client.get(webhook_path(created["id"], "deliveries/"), headers=superuser).json()
    (delivery,) = page["items"]
    assert delivery["status"] == "DELIVERED" and delivery["webhook_id"] == request.webhook_id
    assert delivery["next_attempt_at"] is None and delivery["attempt_count"] == 1
    (attempt,) = delivery["attempts"]
    assert attempt["status_code"] == 200 and attempt["response_body"] == "ok"
    assert attempt["error"] is None and attempt["duration_ms"] >= 0
    assert error(client.post(webhook_path(99, "test/"), headers=superuser))[0] == 404


def test_deliveries_filter_retry_and_errors(
    client: TestClient, superuser: Headers, allow_private: None, receiver: Receiver
) -> None:
    created = create(client, superuser, url=receiver.url(), event_types=["room-status-changed"])
    add_events("hotel-killarney", 2)
    receiver.answer_with(500, b"nope" * 400)
    clock = FakeClock()
    worker(clock).run_once()
    deliveries = webhook_path(created["id"], "deliveries/")

    pending = client.get(deliveries, headers=superuser, params={"status": "PENDING"}).json()
    failed = client.get(deliveries, headers=superuser, params={"status": "FAILED"}).json()
    assert pending["total"] == 2 and failed["total"] == 0
    first = pending["items"][-1]  # newest first
    assert first["attempts"][0]["status_code"] == 500
    assert len(first["attempts"][0]["response_body"]) == 1024
    assert first["last_error"].startswith("HTTP 500: nope")
    bad = client.get(deliveries, headers=superuser, params={"status": "LOST"})
    assert error(bad) == (422, "VALIDATION_ERROR")

    receiver.answer_with(200)
    retried = client.post(
        webhook_path(created["id"], f"deliveries/{first['id']}/retry/"), headers=superuser
    )
    assert retried.status_code == 202 and retried.json()["status"] == "PENDING"
    worker(FakeClock()).run_once()  # due now, without waiting for the schedule
    assert client.get(deliveries, headers=superuser).json()["items"][-1]["status"] == "DELIVERED"
    missing = client.post(webhook_path(created["id"], "deliveries/999/retry/"), headers=superuser)
    assert error(missing) == (404, "DELIVERY_NOT_FOUND")


def test_replay_sends_a_period_again_with_the_same_ids(
    client: TestClient, superuser: Headers, allow_private: None, receiver: Receiver
) -> None:
    created = create(client, superuser, url=receiver.url())
    add_events("hotel-killarney", 3)
    worker(FakeClock()).run_once()
    first_ids = [r.webhook_id for r in receiver.received()]
    since = (datetime.now(UTC) - timedelta(minutes=5)).isoformat()
    replay = webhook_path(created["id"], "replay/")

    response = client.post(replay, headers=superuser, json={"since": since})
    assert response.status_code == 202 and response.json() == {"queued": 3}
    worker(FakeClock()).run_once()

    assert [r.webhook_id for r in receiver.received()] == first_ids * 2
    future = (datetime.now(UTC) + timedelta(hours=1)).isoformat()
    assert client.post(replay, headers=superuser, json={"since": future}).json() == {"queued": 0}
    for body in (
        {},
        {"since": "yesterday"},
        {"since": "2025-12-22T00:00:00"},  # no time zone
        {"since": since, "until": "2000-01-01T00:00:00Z"},
        {"since": since, "extra": 1},
    ):
        assert error(client.post(replay, headers=superuser, json=body)) == (422, "VALIDATION_ERROR")
    assert (
        error(client.post(webhook_path(77, "replay/"), headers=superuser, json={"since": since}))[0]
        == 404
    )


def test_a_wrong_method_lists_every_method_of_the_path(
    client: TestClient, superuser: Headers
) -> None:
    """Found by schemathesis: Starlette named only the first route's methods."""
    collection = client.put(WEBHOOKS, headers=superuser)
    one = client.post(webhook_path(1), headers=superuser)
    assert error(collection) == (405, "METHOD_NOT_ALLOWED")
    assert collection.headers["allow"] == "GET, POST"
    assert one.headers["allow"] == "DELETE, GET, PATCH"

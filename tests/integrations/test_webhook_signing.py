"""Every delivery verifies with the `standardwebhooks` library's verifier and with an
independent implementation of the specification's signature; during a secret rotation
both secrets sign, for 24 hours."""

import base64
import hashlib
import hmac
from datetime import timedelta
from math import floor

import pytest
from standardwebhooks import Webhook, WebhookVerificationError

from storage.models import WebhookEndpoint
from tests.conftest import ANNA, HOTEL, rows, snapshot
from tests.integrations.conftest import FakeClock, add_endpoint, worker
from tests.integrations.receiver import Received, Receiver
from tests.realtime.conftest import add_events
from workflows.services import webhooks
from workflows.services.checkout import BookingRef, checkout_booking


def independent_signatures(secret: str, request: Received) -> bool:
    """Standard Webhooks 1.0, section "Signature scheme", written from the text: HMAC-SHA256
    over "{webhook-id}.{webhook-timestamp}.{body}" with the base64-decoded secret after
    `whsec_`; the header lists space-separated `v1,<base64>` signatures."""
    key = base64.b64decode(secret.removeprefix("whsec_"))
    signed = f"{request.headers['webhook-id']}.{request.headers['webhook-timestamp']}.".encode()
    expected = base64.b64encode(hmac.new(key, signed + request.body, hashlib.sha256).digest())
    offered = [
        part.split(",", 1)[1].encode()
        for part in request.headers["webhook-signature"].split(" ")
        if part.startswith("v1,")
    ]
    return any(hmac.compare_digest(expected, signature) for signature in offered)


def test_deliveries_verify_with_the_library_and_independently(
    hotel_with_rooms: str, receiver: Receiver, clock: FakeClock
) -> None:
    _, secret = add_endpoint(receiver.url())
    assert secret.startswith("whsec_") and len(base64.b64decode(secret[6:])) == 32
    checkout_booking(booking=BookingRef(HOTEL, "BK-1"), performed_by=ANNA)

    worker(clock).run_once()

    got = receiver.received()
    assert len(got) == 3  # booking, room, the room's departure task
    for request in got:
        assert Webhook(secret).verify(request.body, request.headers) == request.json()
        assert independent_signatures(secret, request)
        assert request.headers["webhook-timestamp"] == str(floor(clock.now().timestamp()))
        assert request.headers["content-type"] == "application/json"
        assert request.headers["webhook-id"].startswith("msg_")
        assert set(request.json()) == {"type", "timestamp", "data"}


def test_a_tampered_body_or_another_secret_does_not_verify(
    hotel_with_rooms: str, receiver: Receiver, clock: FakeClock
) -> None:
    _, secret = add_endpoint(receiver.url())
    add_events(HOTEL, 1)
    worker(clock).run_once()
    (request,) = receiver.received()
    assert b"100" in request.body
    tampered = Received(request.path, request.headers, request.body.replace(b"100", b"999"))
    other_secret = webhooks.create_endpoint(
        hotel_slug=HOTEL, url=receiver.url("/other"), event_types=["*"]
    ).secret

    with pytest.raises(WebhookVerificationError):
        Webhook(secret).verify(tampered.body, tampered.headers)
    with pytest.raises(WebhookVerificationError):
        Webhook(other_secret).verify(request.body, request.headers)
    assert not independent_signatures(secret, tampered)
    assert not independent_signatures(other_secret, request)


def test_rotation_signs_with_both_secrets_for_24_hours(
    hotel_with_rooms: str, receiver: Receiver, clock: FakeClock
) -> None:
    endpoint_id, old = add_endpoint(receiver.url())
    rotated = webhooks.rotate_secret(hotel_slug=HOTEL, endpoint_id=endpoint_id)
    new = rotated.secret
    one = worker(clock)

    add_events(HOTEL, 1)
    one.run_once()
    clock.advance(hours=23, minutes=59)
    add_events(HOTEL, 1)
    one.run_once()
    clock.advance(minutes=2)  # 24 h and a minute after the rotation
    add_events(HOTEL, 1)
    one.run_once()

    during, late_during, after = receiver.received()
    assert new != old
    assert Webhook(old).verify(during.body, during.headers)  # an unchanged receiver
    assert Webhook(new).verify(during.body, during.headers)  # an updated one
    assert len(during.headers["webhook-signature"].split(" ")) == 2
    assert independent_signatures(old, late_during) and independent_signatures(new, late_during)
    assert after.headers["webhook-signature"].count("v1,") == 1
    assert independent_signatures(new, after) and not independent_signatures(old, after)
    (stored,) = rows(WebhookEndpoint)
    assert stored.previous_secret_expires_at is not None
    assert abs(
        stored.previous_secret_expires_at - rotated.endpoint.updated_at - timedelta(hours=24)
    ) < timedelta(seconds=1)


def test_secrets_are_stored_encrypted(hotel_with_rooms: str, receiver: Receiver) -> None:
    endpoint_id, secret = add_endpoint(receiver.url())
    rotated = webhooks.rotate_secret(hotel_slug=HOTEL, endpoint_id=endpoint_id).secret

    stored = repr(snapshot())
    for value in (secret, rotated, secret[6:], rotated[6:]):
        assert value not in stored

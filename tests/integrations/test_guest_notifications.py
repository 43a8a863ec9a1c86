"""The guest's phone is told when checkout is done: the checkout records the message in its
own transaction (single, legacy, bulk, destructive bulk), the notifier sends it through FCM
HTTP v1 with a service account's OAuth token, retries as FCM asks, drops dead tokens, and
forgets the token once done. Tests run against a local stand-in of Google's endpoints."""

import logging
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import update

from config.settings import get_settings
from storage.models import GuestNotification, Hotel, OutboxEvent, Room
from storage.unit_of_work import UnitOfWork
from tests.conftest import ADMIN, ANNA, HOTEL, rows, seed, small_hotel
from tests.integrations.conftest import FakeClock
from tests.integrations.fcm_standin import PROJECT_ID, FcmStandin, fcm_error
from workers.fcm import FcmClient
from workers.guest_notifier import MAX_ATTEMPTS, GuestNotifier
from workflows.machines.room_turnover import RoomTurnover
from workflows.services.bulk_checkout import bulk_checkout
from workflows.services.checkout import BookingRef, checkout_booking

HOTEL_NAME = "Killarney Park"


@pytest.fixture
def fcm() -> Iterator[FcmStandin]:
    standin = FcmStandin().start()
    yield standin
    standin.stop()


@pytest.fixture
def credentials(fcm: FcmStandin, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """FCM switched on, pointed at the stand-in."""
    path = fcm.write_service_account(tmp_path)
    monkeypatch.setenv("TURNOVER_FCM_CREDENTIALS", str(path))
    monkeypatch.setenv("TURNOVER_FCM_BASE_URL", fcm.base_url)
    get_settings.cache_clear()
    yield path
    get_settings.cache_clear()


@pytest.fixture
def guest_hotel(database: str) -> str:
    data = small_hotel()
    data["hotels"][0]["name"] = HOTEL_NAME
    data["rooms"][3]["fcm_token"] = "f-104"  # a dirty room that still has a device
    seed(data)
    return HOTEL


def notifier(credentials: Path, fcm: FcmStandin, clock: FakeClock) -> GuestNotifier:
    return GuestNotifier(FcmClient(credentials, fcm.base_url), clock=clock)


def notifications() -> list[GuestNotification]:
    return rows(GuestNotification)


def room(number: int) -> Room:
    return next(r for r in rows(Room) if r.room_number == number and r.hotel_id == 1)


def check_out_bk1() -> None:
    checkout_booking(booking=BookingRef(HOTEL, "BK-1"), performed_by=ANNA)


def test_checkout_sends_the_message_in_fcm_shape(
    guest_hotel: str, credentials: Path, fcm: FcmStandin
) -> None:
    check_out_bk1()
    clock = FakeClock()  # after the checkout: its message is due now
    (recorded,) = notifications()
    assert recorded.fcm_token == "f-101" and recorded.status == "PENDING"
    assert room(101).fcm_token is None

    assert notifier(credentials, fcm, clock).run_once() == 1

    (sent,) = fcm.sent
    assert sent.path == f"/v1/projects/{PROJECT_ID}/messages:send"
    assert sent.body == {
        "message": {
            "token": "f-101",
            "notification": {
                "title": HOTEL_NAME,
                "body": f"Your checkout at {HOTEL_NAME} is complete.",
            },
        }
    }
    (done,) = notifications()
    assert done.status == "SENT" and done.fcm_token is None and done.sent_at is not None
    assert notifier(credentials, fcm, clock).run_once() == 0
    assert len(fcm.sent) == 1


def test_the_hotel_chooses_the_text(guest_hotel: str, credentials: Path) -> None:
    with UnitOfWork() as uow:
        uow.session.execute(
            update(Hotel)
            .where(Hotel.slug == HOTEL)
            .values(
                checkout_notification_text="Merci ! Votre départ de {hotel_name} est enregistré."
            )
        )
        uow.commit()
    check_out_bk1()
    (recorded,) = notifications()
    assert recorded.body == f"Merci ! Votre départ de {HOTEL_NAME} est enregistré."


def test_legacy_bulk_and_destructive_checkouts_record_it_too(
    guest_hotel: str, credentials: Path
) -> None:
    ids = {r.room_number: r.id for r in rows(Room) if r.hotel_id == 1}
    bulk_checkout(hotel_slug=HOTEL, room_ids=[ids[101], ids[103]], performed_by=ANNA)
    assert [n.fcm_token for n in notifications()] == ["f-101"]  # 103 had no device

    bulk_checkout(hotel_slug=HOTEL, room_ids=[ids[104]], performed_by=ADMIN, destructive=True)
    assert [n.fcm_token for n in notifications()] == ["f-101", "f-104"]
    assert room(104).fcm_token is None


def test_nothing_is_recorded_without_fcm(guest_hotel: str) -> None:
    check_out_bk1()
    assert notifications() == []
    assert room(101).fcm_token is None  # the checkout still forgets the device


def test_a_checkout_that_rolls_back_records_nothing(
    guest_hotel: str, credentials: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(self: RoomTurnover) -> None:
        raise RuntimeError("disk full")

    monkeypatch.setattr(RoomTurnover, "delete_open_orders", broken)
    with pytest.raises(RuntimeError):
        check_out_bk1()
    assert notifications() == []
    assert room(101).fcm_token == "f-101"


@pytest.mark.parametrize(
    ("status", "rpc_status", "error_code"),
    [(404, "NOT_FOUND", "UNREGISTERED"), (400, "INVALID_ARGUMENT", "INVALID_ARGUMENT")],
)
def test_a_dead_token_is_dropped_not_retried(
    guest_hotel: str,
    credentials: Path,
    fcm: FcmStandin,
    status: int,
    rpc_status: str,
    error_code: str,
) -> None:
    fcm.answer = lambda sent: (status, fcm_error(status, rpc_status, error_code), {})
    check_out_bk1()
    clock = FakeClock()  # after the checkout: its message is due now
    sender = notifier(credentials, fcm, clock)

    sender.run_once()
    clock.advance(days=1)
    sender.run_once()

    assert len(fcm.sent) == 1
    (dropped,) = notifications()
    assert dropped.status == "DROPPED" and dropped.fcm_token is None
    assert dropped.last_error == f"HTTP {status} {error_code}"


def test_retry_after_is_honoured(guest_hotel: str, credentials: Path, fcm: FcmStandin) -> None:
    quota = (429, fcm_error(429, "RESOURCE_EXHAUSTED", "QUOTA_EXCEEDED"), {"Retry-After": "120"})
    answers = iter([quota])
    fcm.answer = lambda sent: next(answers, (200, {"name": "projects/p/messages/1"}, {}))
    check_out_bk1()
    clock = FakeClock()  # after the checkout: its message is due now
    sender = notifier(credentials, fcm, clock)

    sender.run_once()
    (waiting,) = notifications()
    assert waiting.status == "PENDING" and waiting.fcm_token == "f-101"
    assert (waiting.next_attempt_at - clock.now()).total_seconds() == pytest.approx(120, abs=1)
    clock.advance(seconds=119)
    sender.run_once()
    assert len(fcm.sent) == 1
    clock.advance(seconds=2)
    sender.run_once()

    assert len(fcm.sent) == 2
    (sent,) = notifications()
    assert sent.status == "SENT" and sent.attempts == 2 and sent.fcm_token is None


def test_server_errors_back_off_then_give_up(
    guest_hotel: str, credentials: Path, fcm: FcmStandin
) -> None:
    fcm.answer = lambda sent: (503, fcm_error(503, "UNAVAILABLE"), {})
    check_out_bk1()
    clock = FakeClock()  # after the checkout: its message is due now
    sender = notifier(credentials, fcm, clock)
    waits = []

    for _ in range(MAX_ATTEMPTS):
        sender.run_once()
        (current,) = notifications()
        waits.append((current.next_attempt_at - clock.now()).total_seconds())
        clock.set(current.next_attempt_at)

    assert len(fcm.sent) == MAX_ATTEMPTS
    assert [round(w) for w in waits[:4]] == [5, 10, 20, 40]
    (failed,) = notifications()
    assert failed.status == "FAILED" and failed.fcm_token is None


def test_one_oauth_token_serves_many_messages(
    guest_hotel: str, credentials: Path, fcm: FcmStandin
) -> None:
    ids = {r.room_number: r.id for r in rows(Room) if r.hotel_id == 1}
    check_out_bk1()
    bulk_checkout(hotel_slug=HOTEL, room_ids=[ids[104]], performed_by=ADMIN, destructive=True)

    notifier(credentials, fcm, FakeClock()).run_once()

    assert len(fcm.sent) == 2 and fcm.grants == 1
    assert {sent.token for sent in fcm.sent} == {"ya29.test-1"}


def test_a_token_near_expiry_is_renewed_before_use(
    guest_hotel: str, credentials: Path, fcm: FcmStandin
) -> None:
    fcm.expires_in = 60  # inside google-auth's renewal margin: stale at once
    ids = {r.room_number: r.id for r in rows(Room) if r.hotel_id == 1}
    check_out_bk1()
    bulk_checkout(hotel_slug=HOTEL, room_ids=[ids[104]], performed_by=ADMIN, destructive=True)

    notifier(credentials, fcm, FakeClock()).run_once()

    assert fcm.grants == 2
    assert [sent.token for sent in fcm.sent] == ["ya29.test-1", "ya29.test-2"]


def test_a_revoked_token_is_renewed_and_the_message_sent(
    guest_hotel: str, credentials: Path, fcm: FcmStandin
) -> None:
    check_out_bk1()
    notifier(credentials, fcm, FakeClock()).run_once()
    fcm.revoke_tokens()
    ids = {r.room_number: r.id for r in rows(Room) if r.hotel_id == 1}
    bulk_checkout(hotel_slug=HOTEL, room_ids=[ids[104]], performed_by=ADMIN, destructive=True)

    notifier(credentials, fcm, FakeClock()).run_once()

    assert fcm.grants == 2
    assert [n.status for n in notifications()] == ["SENT", "SENT"]
    assert fcm.sent[-1].token == "ya29.test-2"


def test_the_device_token_is_never_logged_nor_published(
    guest_hotel: str, credentials: Path, fcm: FcmStandin, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    answers = iter(
        [
            (503, fcm_error(503, "UNAVAILABLE"), {"Retry-After": "1"}),
            (404, fcm_error(404, "NOT_FOUND", "UNREGISTERED"), {}),
        ]
    )
    fcm.answer = lambda sent: next(answers)
    check_out_bk1()
    clock = FakeClock()  # after the checkout: its message is due now
    sender = notifier(credentials, fcm, clock)
    sender.run_once()
    clock.advance(seconds=2)
    sender.run_once()

    assert len(fcm.sent) == 2
    assert "f-101" not in caplog.text
    assert all("f-101" not in str(event.payload) for event in rows(OutboxEvent))
    assert all(n.fcm_token is None for n in notifications())

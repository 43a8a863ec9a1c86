"""Signing in and out of the pages: the cookie, its session, CSRF, and the ways a session
ends (sign-out, expiry, idling, deactivation, a new password)."""

from datetime import timedelta

import pytest
from fastapi.testclient import TestClient

from storage.models import BoardSession
from storage.unit_of_work import UnitOfWork
from tests.conftest import HOTEL, rows
from tests.web.conftest import PASSWORD, form_token, page_token, sign_in
from workflows.services import board_sessions
from workflows.services.staff_accounts import change_staff_member

BOARD = f"/hotels/{HOTEL}/board"


def test_sign_in_sets_a_strict_cookie_and_opens_the_board(browser_client: TestClient) -> None:
    answer = sign_in(browser_client, "sinead")
    assert answer.status_code == 303 and answer.headers["location"] == BOARD
    cookie = answer.headers["set-cookie"]
    assert "turnover_session=" in cookie
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie and "Secure" not in cookie
    board = browser_client.get(BOARD)
    assert board.status_code == 200
    assert "Signed in as <strong>sinead</strong>" in board.text
    assert f"at <strong>{HOTEL}</strong>" in board.text.replace("\n", "")
    assert board.headers["content-security-policy"].startswith("default-src 'self'")
    # the secret is stored hashed, never as it is
    secret = browser_client.cookies["turnover_session"]
    assert all(secret not in (row.session_hash, row.csrf_token) for row in rows(BoardSession))


def test_the_cookie_is_secure_over_https(web_hotel: dict[str, str]) -> None:
    from web.app import create_app

    client = TestClient(create_app(), base_url="https://board.example", follow_redirects=False)
    answer = sign_in(client, "sinead")
    assert answer.status_code == 303
    assert "Secure" in answer.headers["set-cookie"]


def test_wrong_password_says_so_and_signs_nobody_in(browser_client: TestClient) -> None:
    answer = sign_in(browser_client, "sinead", password="not the password")
    assert answer.status_code == 401
    assert "Wrong hotel, username or password." in answer.text
    assert "turnover_session" not in browser_client.cookies
    assert browser_client.get(BOARD).headers["location"] == f"/?next={BOARD}"
    assert rows(BoardSession) == []


def test_repeated_failures_are_throttled_like_the_api(browser_client: TestClient) -> None:
    for _ in range(10):  # TURNOVER_AUTH_MAX_FAILURES_PER_USERNAME
        assert sign_in(browser_client, "sinead", password="guess guess").status_code == 401
    answer = sign_in(browser_client, "sinead")  # even the right password waits now
    assert answer.status_code == 429
    assert "Too many failed sign-in attempts" in answer.text and "Retry-After" in answer.headers


def test_sign_in_form_without_its_token_is_refused(browser_client: TestClient) -> None:
    browser_client.get("/")
    answer = browser_client.post(
        "/sign-in", data={"hotel": HOTEL, "username": "sinead", "password": PASSWORD}
    )
    assert answer.status_code == 403
    assert "reload the page" in answer.text and "<html" in answer.text


def test_a_post_without_the_csrf_token_is_refused(browser_client: TestClient) -> None:
    sign_in(browser_client, "sinead")
    answer = browser_client.post(f"{BOARD}/rooms/104/actions", data={"event": "start_cleaning"})
    assert answer.status_code == 403
    assert "reload the page and try again" in answer.text
    assert "CSRF_TOKEN_INVALID" not in answer.text  # a sentence, not an envelope
    wrong = browser_client.post(
        f"{BOARD}/rooms/104/actions",
        data={"event": "start_cleaning", "csrf_token": "x" * 43},
    )
    assert wrong.status_code == 403
    # from another site, even with the token
    token = page_token(browser_client, BOARD)
    foreign = browser_client.post(
        f"{BOARD}/rooms/104/actions",
        data={"event": "start_cleaning", "csrf_token": token},
        headers={"Origin": "https://evil.example"},
    )
    assert foreign.status_code == 403
    room = browser_client.get(f"{BOARD}/rooms/104")
    assert 'data-status="CHECKOUT_DIRTY"' in room.text  # nothing happened


def test_a_post_with_the_token_goes_through(browser_client: TestClient) -> None:
    sign_in(browser_client, "hugh")
    token = page_token(browser_client, BOARD)
    answer = browser_client.post(
        f"{BOARD}/rooms/104/actions", data={"event": "start_cleaning", "csrf_token": token}
    )
    assert answer.status_code == 303
    assert "Cleaning" in browser_client.get(f"{BOARD}/rooms/104").text


def test_sign_out_ends_the_session_everywhere(browser_client: TestClient) -> None:
    sign_in(browser_client, "sinead")
    secret = browser_client.cookies["turnover_session"]
    token = page_token(browser_client, BOARD)
    answer = browser_client.post("/sign-out", data={"csrf_token": token})
    assert answer.status_code == 303 and answer.headers["location"] == "/?signed_out=true"
    assert "You are signed out." in browser_client.get("/?signed_out=true").text
    # the old cookie, replayed, opens nothing
    replay = TestClient(browser_client.app, base_url="http://127.0.0.1:8700")
    replay.cookies.set("turnover_session", secret)
    assert replay.get(BOARD, follow_redirects=False).status_code == 303
    assert board_sessions.signed_in(secret) is None


def test_sign_out_needs_the_token(browser_client: TestClient) -> None:
    sign_in(browser_client, "sinead")
    assert browser_client.post("/sign-out", data={}).status_code == 403
    assert browser_client.get(BOARD).status_code == 200


def _shift_session(**changes: timedelta) -> None:
    """Move the only session's clocks into the past."""
    with UnitOfWork() as uow:
        (session,) = uow.session.exec(
            BoardSession.__table__.select()  # type: ignore[attr-defined]
        ).all()
        row = uow.session.get(BoardSession, session.id)
        for name, delta in changes.items():
            setattr(row, name, getattr(row, name) - delta)
        uow.session.add(row)
        uow.commit()


@pytest.mark.parametrize(
    "aged",
    [
        {"last_seen_at": timedelta(minutes=61)},  # idle past TURNOVER_SESSION_IDLE_MINUTES
        {"expires_at": timedelta(hours=13)},  # past its absolute end
    ],
)
def test_an_idle_or_expired_session_ends(
    browser_client: TestClient, aged: dict[str, timedelta]
) -> None:
    sign_in(browser_client, "sinead")
    assert browser_client.get(BOARD).status_code == 200
    _shift_session(**aged)
    answer = browser_client.get(BOARD)
    assert answer.status_code == 303 and answer.headers["location"] == f"/?next={BOARD}"


def test_deactivation_and_a_new_password_end_sessions(
    browser_client: TestClient, web_hotel: dict[str, str]
) -> None:
    sign_in(browser_client, "hugh")
    assert browser_client.get(BOARD).status_code == 200
    manager = rows_staff("maeve")
    change_staff_member(HOTEL, manager, "hugh", password="a brand new password")
    assert browser_client.get(BOARD).status_code == 303
    sign_in(browser_client, "hugh", password="a brand new password")
    assert browser_client.get(BOARD).status_code == 200
    change_staff_member(HOTEL, manager, "hugh", is_active=False)
    assert browser_client.get(BOARD).status_code == 303


def rows_staff(username: str) -> int:
    from storage.models import Staff

    return next(s.id for s in rows(Staff) if s.username == username)  # type: ignore[return-value]


def test_another_hotels_page_is_refused_readably(browser_client: TestClient) -> None:
    sign_in(browser_client, "sean", hotel="hotel-galway")
    answer = browser_client.get(BOARD)
    assert answer.status_code == 403
    assert "this page belongs to another hotel" in answer.text
    assert '"error"' not in answer.text


def test_a_signed_in_visit_to_the_sign_in_page_goes_to_the_board(
    browser_client: TestClient,
) -> None:
    sign_in(browser_client, "sinead")
    assert browser_client.get("/").headers["location"] == BOARD


def test_sign_in_returns_to_the_page_asked_for_and_only_to_a_page(
    browser_client: TestClient,
) -> None:
    page = browser_client.get(f"/?next={BOARD}/rooms/101")
    answer = browser_client.post(
        "/sign-in",
        data={
            "csrf_token": form_token(page.text),
            "hotel": HOTEL,
            "username": "sinead",
            "password": PASSWORD,
            "next": "https://evil.example/",
        },
    )
    assert answer.headers["location"] == BOARD
    assert f'value="{BOARD}/rooms/101"' in page.text


def test_the_event_stream_takes_the_session_cookie_of_its_own_site(
    browser_client: TestClient,
) -> None:
    from types import SimpleNamespace

    from api.auth import session_member

    sign_in(browser_client, "sinead")
    cookies = dict(browser_client.cookies)
    same_site = SimpleNamespace(headers={"sec-fetch-site": "same-origin"}, cookies=cookies)
    member = session_member(same_site)  # type: ignore[arg-type]
    assert member is not None and member.staff.username == "sinead"
    cross_site = SimpleNamespace(headers={"sec-fetch-site": "cross-site"}, cookies=cookies)
    assert session_member(cross_site) is None  # type: ignore[arg-type]

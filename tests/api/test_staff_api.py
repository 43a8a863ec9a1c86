"""Staff management over the API: a manager adds a housekeeper, gives them a password and a
named token, changes their role, deactivates them and revokes tokens; everyone else is
refused, and failed authentication is slowed down per client address and username."""

from datetime import timedelta

import pytest
from fastapi import FastAPI, Request
from fastapi.testclient import TestClient
from pydantic import BaseModel
from sqlmodel import select

from api.app import create_app
from api.auth import authenticate_password
from api.auth_throttle import AuthThrottles, FailureWindow
from api.errors import install_error_handlers
from storage.models import Staff, StaffToken
from storage.timestamps import utc_now
from storage.unit_of_work import UnitOfWork
from tests.api.conftest import BASE, OTHER_HOTEL, Headers, bearer, error, new_staff_token
from tests.conftest import HOTEL, rows, snapshot
from workflows.services.staff_accounts import password_matches

STAFF = BASE + "/staff/"


@pytest.fixture
def manager(api_hotel: str) -> Headers:
    return bearer(new_staff_token(HOTEL, "maeve", role="manager"))


def member(username: str) -> Staff:
    return next(s for s in rows(Staff) if s.username == username)


def add(client: TestClient, headers: Headers, **body: object):  # type: ignore[no-untyped-def]
    return client.post(STAFF, headers=headers, json=body)


def test_a_manager_adds_a_housekeeper_with_a_password_a_token_a_new_role_and_revokes_it(
    client: TestClient, manager: Headers
) -> None:
    added = add(client, manager, username="Nora", role="housekeeper", password="nora-password")
    assert added.status_code == 201, added.text
    assert added.json() == {
        "username": "Nora",
        "role": "housekeeper",
        "is_superuser": False,
        "is_active": True,
        "has_password": True,
        "created_at": added.json()["created_at"],
    }
    assert password_matches(member("Nora"), "nora-password")
    assert "nora-password" not in str(snapshot())

    issued = client.post(
        STAFF + "nora/tokens/", headers=manager, json={"name": "laptop", "expires_in": "90d"}
    )
    assert issued.status_code == 201, issued.text
    laptop = issued.json()
    assert laptop["name"] == "laptop" and laptop["expires_at"] and not laptop["expired"]
    nora = bearer(laptop["token"])
    assert client.get(BASE + "/rooms/", headers=nora).status_code == 200

    listed = client.get(STAFF + "nora/tokens/", headers=manager).json()["items"]
    assert [t["name"] for t in listed] == ["laptop"]
    assert "token" not in listed[0] and listed[0]["last_used_at"] is not None

    changed = client.patch(STAFF + "NORA/", headers=manager, json={"role": "supervisor"})
    assert changed.status_code == 200 and changed.json()["role"] == "supervisor"
    assert member("Nora").role == "supervisor"

    revoked = client.delete(f"{STAFF}nora/tokens/{laptop['id']}/", headers=manager)
    assert revoked.status_code == 204 and revoked.content == b""
    assert error(client.get(BASE + "/rooms/", headers=nora)) == (401, "NOT_AUTHENTICATED")
    assert client.get(STAFF + "nora/tokens/", headers=manager).json()["items"] == []
    again = client.delete(f"{STAFF}nora/tokens/{laptop['id']}/", headers=manager)
    assert error(again) == (404, "TOKEN_NOT_FOUND")


def test_the_staff_list_shows_roles_and_never_a_secret(
    client: TestClient, manager: Headers, staff: Headers
) -> None:
    page = client.get(STAFF, headers=manager).json()
    assert page["total"] == len(page["items"]) >= 4
    maria = next(item for item in page["items"] if item["username"] == "maria")
    assert maria["role"] == "front_desk" and maria["has_password"] is False
    assert "password_hash" not in str(page) and "token" not in str(page)


def test_deactivating_a_member_stops_their_tokens_at_once(
    client: TestClient, manager: Headers, staff: Headers
) -> None:
    assert client.get(BASE + "/rooms/", headers=staff).status_code == 200
    response = client.patch(STAFF + "maria/", headers=manager, json={"is_active": False})
    assert response.status_code == 200 and response.json()["is_active"] is False
    assert error(client.get(BASE + "/rooms/", headers=staff)) == (401, "NOT_AUTHENTICATED")
    client.patch(STAFF + "maria/", headers=manager, json={"is_active": True})
    assert client.get(BASE + "/rooms/", headers=staff).status_code == 200


def test_an_expired_token_is_refused(client: TestClient, api_hotel: str) -> None:
    token = new_staff_token(HOTEL, "temp")
    with UnitOfWork() as uow:
        row = uow.session.exec(select(StaffToken)).all()[-1]
        row.expires_at = utc_now() - timedelta(seconds=1)
        uow.session.add(row)
        uow.commit()
    assert error(client.get(BASE + "/rooms/", headers=bearer(token))) == (401, "NOT_AUTHENTICATED")


def test_only_managers_and_superusers_manage_staff(
    client: TestClient, staff: Headers, manager: Headers, superuser: Headers
) -> None:
    housekeeper = bearer(new_staff_token(HOTEL, "hugh", role="housekeeper"))
    before = snapshot()
    for headers in (staff, housekeeper):
        assert error(client.get(STAFF, headers=headers)) == (403, "PERMISSION_DENIED")
        assert error(add(client, headers, username="x")) == (403, "PERMISSION_DENIED")
        patch = client.patch(STAFF + "maeve/", headers=headers, json={"role": "housekeeper"})
        assert error(patch) == (403, "PERMISSION_DENIED")
        issue = client.post(STAFF + "maria/tokens/", headers=headers, json={"name": "mine"})
        assert error(issue) == (403, "PERMISSION_DENIED")
    # A manager may not touch a superuser: a token issued for one would act as them.
    for response in (
        client.patch(STAFF + "root/", headers=manager, json={"is_active": False}),
        client.post(STAFF + "root/tokens/", headers=manager, json={}),
        client.get(STAFF + "root/tokens/", headers=manager),
    ):
        assert error(response) == (403, "PERMISSION_DENIED")
    assert snapshot() == before
    by_root = client.post(STAFF + "maeve/tokens/", headers=superuser, json={"name": "by-root"})
    assert by_root.status_code == 201


def test_members_see_their_own_record_and_tokens_and_revoke_their_own(
    client: TestClient, staff: Headers
) -> None:
    assert client.get(STAFF + "maria/", headers=staff).json()["username"] == "maria"
    (own,) = client.get(STAFF + "maria/tokens/", headers=staff).json()["items"]
    assert client.delete(f"{STAFF}maria/tokens/{own['id']}/", headers=staff).status_code == 204
    assert error(client.get(STAFF + "maria/", headers=staff)) == (401, "NOT_AUTHENTICATED")


def test_a_manager_cannot_lock_themselves_out(client: TestClient, manager: Headers) -> None:
    for change in ({"is_active": False}, {"role": "front_desk"}):
        response = client.patch(STAFF + "maeve/", headers=manager, json=change)
        assert error(response) == (403, "PERMISSION_DENIED")
    assert client.patch(STAFF + "maeve/", headers=manager, json={"role": "manager"}).is_success


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ({"username": ""}, (422, "VALIDATION_ERROR")),
        ({"username": "   "}, (422, "VALIDATION_ERROR")),
        ({"username": "anna smith"}, (422, "VALIDATION_ERROR")),
        ({"username": "MARIA"}, (409, "STAFF_EXISTS")),
        ({"username": "x", "role": "chef"}, (422, "VALIDATION_ERROR")),
        ({"username": "x", "password": "short"}, (422, "VALIDATION_ERROR")),
        ({"username": "x", "is_superuser": True}, (422, "VALIDATION_ERROR")),
    ],
)
def test_bad_or_taken_usernames_and_bad_fields_are_refused(
    client: TestClient, manager: Headers, staff: Headers, body: dict, expected: tuple
) -> None:
    before = snapshot()
    assert error(add(client, manager, **body)) == expected
    assert snapshot() == before


def test_token_requests_are_checked(client: TestClient, manager: Headers, staff: Headers) -> None:
    tokens = STAFF + "maria/tokens/"
    assert client.post(tokens, headers=manager, json={"name": "phone"}).status_code == 201
    assert error(client.post(tokens, headers=manager, json={"name": "phone"})) == (
        409,
        "TOKEN_NAME_TAKEN",
    )
    for body in ({"name": ""}, {"name": " x"}, {"expires_in": "soon"}, {"expires_in": "0d"}):
        assert error(client.post(tokens, headers=manager, json=body)) == (422, "VALIDATION_ERROR")
    assert error(client.post(STAFF + "ghost/tokens/", headers=manager, json={})) == (
        404,
        "STAFF_NOT_FOUND",
    )
    assert error(client.patch(STAFF + "maria/", headers=manager, json={})) == (
        422,
        "VALIDATION_ERROR",
    )


def test_a_wrong_method_names_every_method_of_the_path(
    client: TestClient, manager: Headers
) -> None:
    for path, allow in ((STAFF, "GET, POST"), (STAFF + "nora/", "GET, PATCH")):
        response = client.put(path, headers=manager, json={})
        assert error(response) == (405, "METHOD_NOT_ALLOWED")
        assert response.headers["allow"] == allow


def test_another_hotels_staff_are_out_of_reach(
    client: TestClient, manager: Headers, other_staff: Headers
) -> None:
    other = f"/api/staff/hotels/{OTHER_HOTEL}/staff/"
    assert error(client.get(other, headers=manager)) == (403, "PERMISSION_DENIED")
    assert error(client.get(STAFF + "sean/tokens/", headers=manager)) == (404, "STAFF_NOT_FOUND")


# --- failed authentication ------------------------------------------------------------------


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def throttled_app(clock: FakeClock, per_address: int = 3, per_username: int = 2) -> FastAPI:
    app = create_app()
    app.state.auth_throttles = AuthThrottles(
        FailureWindow(per_address, 60, clock), FailureWindow(per_username, 900, clock)
    )
    return app


def test_repeated_bad_tokens_from_one_address_get_429_and_nobody_else_waits(
    api_hotel: str, staff: Headers
) -> None:
    clock = FakeClock()
    app = throttled_app(clock)
    attacker = TestClient(app, client=("203.0.113.7", 5000))
    colleague = TestClient(app, client=("198.51.100.2", 5000))
    wrong = bearer("guessed-token")
    for _ in range(3):
        assert error(attacker.get(BASE + "/rooms/", headers=wrong)) == (401, "NOT_AUTHENTICATED")
    refused = attacker.get(BASE + "/rooms/", headers=wrong)
    assert error(refused) == (429, "TOO_MANY_ATTEMPTS")
    assert refused.headers["Retry-After"] == "60"
    # Refused before the token is looked at: even a good one waits from that address ...
    assert error(attacker.get(BASE + "/rooms/", headers=staff)) == (429, "TOO_MANY_ATTEMPTS")
    # ... while everyone else goes on, and no credentials at all is not a guess.
    assert colleague.get(BASE + "/rooms/", headers=staff).status_code == 200
    assert error(colleague.get(BASE + "/rooms/")) == (401, "NOT_AUTHENTICATED")

    clock.now += 45
    assert attacker.get(BASE + "/rooms/", headers=wrong).headers["Retry-After"] == "15"
    clock.now += 15
    assert attacker.get(BASE + "/rooms/", headers=staff).status_code == 200


class SignIn(BaseModel):
    username: str
    password: str


def sign_in_app(clock: FakeClock) -> FastAPI:
    """A stand-in for the web pages' sign-in form (the board issue), on the real check."""
    app = throttled_app(clock, per_address=100, per_username=2)
    install_error_handlers(app)

    @app.post("/sign-in/{hotel_slug}")
    def sign_in(request: Request, hotel_slug: str, body: SignIn) -> dict[str, str]:
        member = authenticate_password(request, hotel_slug, body.username, body.password)
        return {"username": member.staff.username}

    return app


def test_repeated_wrong_passwords_for_one_username_wait_from_any_address(
    client: TestClient, manager: Headers
) -> None:
    add(client, manager, username="nora", password="nora-password")
    add(client, manager, username="hugh", password="hugh-password")
    clock = FakeClock()
    app = sign_in_app(clock)
    first, second = (TestClient(app, client=(ip, 1)) for ip in ("192.0.2.1", "192.0.2.2"))
    url = f"/sign-in/{HOTEL}"
    good = {"username": "nora", "password": "nora-password"}
    assert first.post(url, json=good).json() == {"username": "nora"}
    for _ in range(2):
        wrong = first.post(url, json={"username": "NORA", "password": "guess"})
        assert error(wrong) == (401, "NOT_AUTHENTICATED")
    assert error(second.post(url, json=good)) == (429, "TOO_MANY_ATTEMPTS")
    hugh = second.post(url, json={"username": "hugh", "password": "hugh-password"})
    assert hugh.json() == {"username": "hugh"}
    clock.now += 900
    assert second.post(url, json=good).json() == {"username": "nora"}

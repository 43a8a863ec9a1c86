"""Bearer tokens and hotel scoping, on every endpoint."""

import pytest
from fastapi.testclient import TestClient
from sqlmodel import select

from storage.models import Staff
from storage.unit_of_work import UnitOfWork
from tests.api.conftest import BASE, BULK, OTHER_HOTEL, Headers, bearer, error, new_staff_token
from tests.conftest import snapshot
from workflows.services.staff_accounts import find_token, issue_token, revoke_token

OTHER_BASE = f"/api/staff/hotels/{OTHER_HOTEL}"

# (method, path under a hotel, JSON body): every hotel-scoped endpoint.
ENDPOINTS = [
    ("post", "/room-bookings/BK-1/check-out/", None),
    ("post", "/bookings/BK-1/checkout/", None),
    ("post", "/room-bookings/BK-2/check-in/", {}),
    ("get", "/bookings/", None),
    ("get", "/bookings/BK-1/", None),
    ("get", "/rooms/", None),
    ("get", "/rooms/101/", None),
    ("get", "/rooms/101/history/", None),
    ("post", "/rooms/104/transitions/", {"event": "start_cleaning"}),
]


def call(client: TestClient, method: str, path: str, body: dict | None, headers: Headers):
    if body is None:
        return client.request(method, path, headers=headers)
    return client.request(method, path, headers=headers, json=body)


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Authorization": "Bearer not-a-token"},
        {"Authorization": "Bearer "},
        {"Authorization": "Basic YW5uYTpzZWNyZXQ="},
        {"Authorization": "Bearer " + "x" * 10_000},
    ],
    ids=["none", "unknown", "empty", "basic", "huge"],
)
def test_without_a_valid_token_every_endpoint_answers_401(client: TestClient, headers: Headers):
    before = snapshot()
    for method, path, body in [*ENDPOINTS, ("post", None, {"room_ids": [1]})]:
        url = BULK if path is None else BASE + path
        assert error(call(client, method, url, body, headers)) == (401, "NOT_AUTHENTICATED")
    assert snapshot() == before


def test_another_hotels_slug_is_refused_with_403(client: TestClient, staff: Headers):
    before = snapshot()
    for method, path, body in ENDPOINTS:
        response = call(client, method, OTHER_BASE + path, body, staff)
        assert error(response) == (403, "PERMISSION_DENIED"), path
    bulk = client.post(
        f"/api/staff/hotel/{OTHER_HOTEL}/rooms/checkout/", headers=staff, json={"room_ids": [1]}
    )
    assert error(bulk) == (403, "PERMISSION_DENIED")
    assert snapshot() == before


def test_an_unknown_hotel_is_refused_like_another_hotel(client: TestClient, staff: Headers):
    for slug in ("no-such-hotel", "x" * 65, "%00"):
        response = client.get(f"/api/staff/hotels/{slug}/rooms/", headers=staff)
        assert response.status_code in (403, 422)
        assert error(response)[1] in ("PERMISSION_DENIED", "VALIDATION_ERROR")


def test_another_hotels_booking_or_room_under_own_path_is_not_found(
    client: TestClient, staff: Headers, other_staff: Headers
):
    before = snapshot()
    assert error(client.get(BASE + "/bookings/BK-G/", headers=staff)) == (404, "BOOKING_NOT_FOUND")
    assert error(client.post(BASE + "/room-bookings/BK-G/check-out/", headers=staff)) == (
        404,
        "BOOKING_NOT_FOUND",
    )
    assert error(client.get(BASE + "/rooms/301/", headers=staff)) == (404, "ROOM_NOT_FOUND")
    transition = client.post(
        BASE + "/rooms/301/transitions/", headers=staff, json={"event": "start_cleaning"}
    )
    assert error(transition) == (404, "ROOM_NOT_FOUND")
    assert snapshot() == before
    # ... while the other hotel's own staff see them.
    assert client.get(OTHER_BASE + "/rooms/301/", headers=other_staff).status_code == 200


def test_a_revoked_token_stops_working_and_the_others_go_on(client: TestClient, api_hotel: str):
    old = new_staff_token(api_hotel, "temp")
    with UnitOfWork() as uow:
        member = uow.session.exec(select(Staff).where(Staff.username == "temp")).one()
        new = issue_token(uow.session, member, name="laptop").secret
        revoke_token(uow.session, find_token(uow.session, member, name="default"))
        uow.commit()
    assert error(client.get(BASE + "/rooms/", headers=bearer(old))) == (401, "NOT_AUTHENTICATED")
    assert client.get(BASE + "/rooms/", headers=bearer(new)).status_code == 200

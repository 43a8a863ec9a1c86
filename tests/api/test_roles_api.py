"""Roles: what each staff role may fire, as the machines' `who_may_fire` tables declare it,
through the API (refusals change nothing; `allowed_events` offers only what the role may)."""

import pytest
from fastapi.testclient import TestClient

from storage.models import STAFF_ROLES
from tests.api.conftest import BASE, Headers, bearer, error, new_staff_token
from tests.conftest import HOTEL, snapshot
from workflows.machines.actors import Role

ROOM = BASE + "/rooms/{}/"
CHECK_OUT = BASE + "/room-bookings/{}/check-out/"


@pytest.fixture
def role_headers(api_hotel: str):
    def headers(role: str) -> Headers:
        return bearer(new_staff_token(HOTEL, f"member-{role}", role=role))

    return headers


def fire(client: TestClient, headers: Headers, room: int, event: str):
    return client.post(ROOM.format(room) + "transitions/", headers=headers, json={"event": event})


def test_the_machines_roles_are_the_roles_staff_are_stored_with() -> None:
    assert {role.value for role in Role} == set(STAFF_ROLES)


def test_a_housekeeper_cleans_but_does_not_check_guests_out(client: TestClient, role_headers):
    housekeeper = role_headers("housekeeper")
    before = snapshot()
    refused = client.post(CHECK_OUT.format("BK-1"), headers=housekeeper)
    assert error(refused) == (403, "PERMISSION_DENIED")
    assert "housekeeper" in refused.json()["error"]["message"]
    assert snapshot() == before
    detail = client.get(ROOM.format(104), headers=housekeeper).json()
    assert detail["allowed_events"] == ["start_cleaning"]
    assert fire(client, housekeeper, 104, "start_cleaning").status_code == 200
    assert fire(client, housekeeper, 104, "finish_cleaning").status_code == 200
    # Inspection is a supervisor's.
    assert error(fire(client, housekeeper, 104, "pass_inspection")) == (403, "PERMISSION_DENIED")


def test_front_desk_checks_out_but_does_not_clean(client: TestClient, role_headers):
    front_desk = role_headers("front_desk")
    assert client.get(ROOM.format(104), headers=front_desk).json()["allowed_events"] == []
    assert error(fire(client, front_desk, 104, "start_cleaning")) == (403, "PERMISSION_DENIED")
    response = client.post(CHECK_OUT.format("BK-1"), headers=front_desk)
    assert response.status_code == 200, response.text
    assert response.json()["booking"]["status"] == "COMPLETED"


def test_a_supervisor_inspects_and_takes_rooms_out_of_order(client: TestClient, role_headers):
    supervisor = role_headers("supervisor")
    for event in ("start_cleaning", "finish_cleaning", "fail_inspection", "take_out_of_order"):
        response = fire(client, supervisor, 104, event)
        assert response.status_code == 200, (event, response.text)
    assert error(client.post(CHECK_OUT.format("BK-1"), headers=supervisor)) == (
        403,
        "PERMISSION_DENIED",
    )

"""The seed's bulk checkout: a mix of rooms, each reported; destructive mode for superusers."""

import pytest
from fastapi.testclient import TestClient

from storage.models import Guest, GuestChatSession, RoomServiceOrder, TransitionLog
from tests.api.conftest import BASE, BULK, OTHER_HOTEL, Headers, error
from tests.conftest import rows, snapshot


def test_mixed_rooms_are_each_reported(client: TestClient, staff: Headers, other_staff, room_ids):
    ids = room_ids()
    galway_301 = room_ids(OTHER_HOTEL, other_staff)[301]
    unknown = 2**31 - 1
    requested = [ids[101], ids[103], ids[104], galway_301, unknown]
    before_galway = client.get(
        f"/api/staff/hotels/{OTHER_HOTEL}/rooms/301/", headers=other_staff
    ).json()

    response = client.post(BULK, headers=staff, json={"room_ids": requested, "destructive": False})

    assert response.status_code == 200, response.text
    assert response.json() == {
        "detail": "Processed 5 room(s) in hotel 'hotel-killarney'",
        "results": {
            "checked_out_bookings": ["BK-1"],
            "rooms_cleared": [103],
            "destructive_mode": False,
            # Every room asked for is accounted for: 104 needed nothing.
            "skipped": [
                {
                    "room_id": ids[104],
                    "room_number": 104,
                    "reason": "Room 104 is CHECKOUT_DIRTY with no booking in house",
                }
            ],
            "errors": [
                {"room_id": galway_301, "code": "ROOM_NOT_FOUND", "message": "Room not found"},
                {"room_id": unknown, "code": "ROOM_NOT_FOUND", "message": "Room not found"},
            ],
        },
    }
    rooms = {
        r["room_number"]: r["room_status"]
        for r in client.get(BASE + "/rooms/", headers=staff).json()["items"]
    }
    assert rooms == {
        101: "CHECKOUT_DIRTY",
        102: "READY_FOR_GUEST",
        103: "CHECKOUT_DIRTY",
        104: "CHECKOUT_DIRTY",
    }
    after_galway = client.get(
        f"/api/staff/hotels/{OTHER_HOTEL}/rooms/301/", headers=other_staff
    ).json()
    assert after_galway == before_galway
    assert client.get(BASE + "/bookings/BK-1/", headers=staff).json()["status"] == "COMPLETED"
    # Guests are kept, only detached (non-destructive).
    assert len(rows(Guest)) == 3


def test_destructive_is_refused_for_staff_and_changes_nothing(
    client: TestClient, staff: Headers, room_ids
):
    ids = room_ids()
    before = snapshot()
    response = client.post(BULK, headers=staff, json={"room_ids": [ids[101]], "destructive": True})
    assert error(response) == (403, "PERMISSION_DENIED")
    assert snapshot() == before


def test_destructive_by_a_superuser_is_audited_with_a_snapshot(
    client: TestClient, superuser: Headers, room_ids
):
    ids = room_ids(headers=superuser)
    response = client.post(
        BULK, headers=superuser, json={"room_ids": [ids[101], ids[102]], "destructive": True}
    )

    assert response.status_code == 200, response.text
    assert response.json()["results"] == {
        "checked_out_bookings": ["BK-1"],
        "rooms_cleared": [101, 102],
        "destructive_mode": True,
        "skipped": [],
        "errors": [],
    }
    remaining_guests = {guest.first_name for guest in rows(Guest)}
    assert remaining_guests == {"Sean"}  # BK-2's guest is not in room 102 yet
    assert rows(GuestChatSession) == []
    assert [order.status for order in rows(RoomServiceOrder)] == ["COMPLETED"]
    (audit,) = [
        entry
        for entry in rows(TransitionLog)
        if entry.event == "force_checkout" and entry.entity_ref == "101"
    ]
    assert audit.actor == "root"
    deleted = audit.details["deleted"]
    assert sorted(guest["first_name"] for guest in deleted["guests"]) == ["John", "Mary"]
    assert len(deleted["chat_sessions"]) == 1 and len(deleted["conversations"]) == 1
    assert sorted(order["status"] for order in deleted["room_service_orders"]) == [
        "IN_PROGRESS",
        "OPEN",
    ]
    history = client.get(BASE + "/rooms/101/history/", headers=superuser).json()["items"]
    assert history[0]["event"] == "force_checkout"
    assert history[0]["details"] == audit.details


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"room_ids": []},
        {"room_ids": list(range(1, 502))},
        {"room_ids": ["1"]},
        {"room_ids": [1.5]},
        {"room_ids": [2.0**31]},
        {"room_ids": [0]},
        {"room_ids": [-3]},
        {"room_ids": [2**31]},
        {"room_ids": [10**40]},
        {"room_ids": [True]},
        {"room_ids": "1,2"},
        {"room_ids": [1], "destructive": "yes"},
        {"room_ids": [1], "destructive": 1},
        {"room_ids": [1], "destructve": True},
        [1, 2, 3],
    ],
)
def test_malformed_bodies_are_422(client: TestClient, superuser: Headers, body):
    before = snapshot()
    response = client.post(BULK, headers=superuser, json=body)
    assert error(response) == (422, "VALIDATION_ERROR")
    assert response.json()["error"]["details"]
    assert snapshot() == before


def test_bulk_path_without_slash_and_repeated_ids(client: TestClient, staff: Headers, room_ids):
    ids = room_ids()
    response = client.post(
        BULK.rstrip("/"),
        headers=staff,
        json={"room_ids": [ids[103], ids[103]]},
        follow_redirects=False,
    )
    assert response.status_code == 200
    assert response.json()["detail"] == "Processed 1 room(s) in hotel 'hotel-killarney'"
    assert response.json()["results"]["rooms_cleared"] == [103]


def test_an_id_written_as_7_0_is_the_integer_7(
    client: TestClient, staff: Headers, room_ids
) -> None:
    """JSON Schema, which the OpenAPI document uses, counts 7.0 as an integer (found by
    schemathesis: a schema-valid body was refused)."""
    room_101 = room_ids()[101]
    response = client.post(BULK, headers=staff, json={"room_ids": [float(room_101)]})
    assert response.status_code == 200, response.text
    assert response.json()["results"]["checked_out_bookings"] == ["BK-1"]


def test_the_documented_id_range_is_the_one_enforced(client: TestClient) -> None:
    document = client.get("/openapi.json").json()
    items = document["components"]["schemas"]["BulkCheckoutRequest"]["properties"]["room_ids"]
    assert items["items"] == {"type": "integer", "minimum": 1, "maximum": 2**31 - 1}


def test_destructive_skips_a_room_already_dirty_and_empty(
    client: TestClient, superuser: Headers, room_ids
):
    """Room 104 is CHECKOUT_DIRTY with no guest records: nothing to force, nothing logged."""
    ids = room_ids(headers=superuser)
    history = BASE + "/rooms/104/history/"
    logged_before = client.get(history, headers=superuser).json()["total"]
    response = client.post(
        BULK, headers=superuser, json={"room_ids": [ids[104]], "destructive": True}
    )
    assert response.status_code == 200, response.text
    results = response.json()["results"]
    assert results["rooms_cleared"] == [] and results["errors"] == []
    assert results["skipped"] == [
        {
            "room_id": ids[104],
            "room_number": 104,
            "reason": "Room 104 is already CHECKOUT_DIRTY with no guest records",
        }
    ]
    assert client.get(history, headers=superuser).json()["total"] == logged_before

"""GET /api/workflows/... (public) and a room's diagram with its state highlighted (staff)."""

import shutil

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from storage.unit_of_work import UnitOfWork
from tests.conftest import ANNA, HOTEL
from workflows.documentation.diagrams import mermaid
from workflows.documentation.introspection import describe
from workflows.documentation.registry import find_machine
from workflows.machines.room_turnover import RoomTurnover
from workflows.services.checkout import BookingRef, checkout_booking
from workflows.services.lookups import load_hotel
from workflows.services.staff_accounts import create_staff

needs_graphviz = pytest.mark.skipif(
    shutil.which("dot") is None, reason="Graphviz `dot` is not installed (apt-get install graphviz)"
)


@pytest.fixture
def client() -> TestClient:
    return TestClient(create_app())


def token_for(hotel_slug: str, username: str) -> dict[str, str]:
    with UnitOfWork() as uow:
        hotel = load_hotel(uow.session, hotel_slug)
        _, token = create_staff(uow.session, hotel_id=hotel.id, username=username)
        uow.commit()
    return {"Authorization": f"Bearer {token}"}


WORKFLOWS = ["booking-lifecycle", "room-turnover", "out-of-order-period", "housekeeping-task"]


def test_lists_the_workflows_without_a_token(client: TestClient) -> None:
    response = client.get("/api/workflows/")
    assert response.status_code == 200
    names = [w["name"] for w in response.json()["workflows"]]
    assert names == [
        "booking-lifecycle",
        "room-turnover",
        "out-of-order-period",
        "housekeeping-task",
    ]
    assert client.get("/api/workflows").json() == response.json()


@pytest.mark.parametrize(
    "name", ["booking-lifecycle", "room-turnover", "out-of-order-period", "housekeeping-task"]
)
def test_definition_is_the_data_the_pages_are_drawn_from(client: TestClient, name: str) -> None:
    response = client.get(f"/api/workflows/{name}/")
    assert response.status_code == 200
    entry = find_machine(name)
    assert entry is not None
    assert response.json() == describe(entry).model_dump(mode="json")


def test_definition_has_states_events_guards_and_emitted_events(client: TestClient) -> None:
    body = client.get("/api/workflows/booking-lifecycle/").json()
    states = {s["value"]: (s["initial"], s["final"]) for s in body["states"]}
    assert states == {
        "CONFIRMED": (True, False),
        "CHECKED_IN": (False, False),
        "COMPLETED": (False, False),  # a wrong checkout can be reinstated
        "CANCELLED": (False, True),
        "NO_SHOW": (False, True),
    }
    check_out = next(e for e in body["events"] if e["name"] == "check_out")
    assert check_out["realtime_event"] == "booking-checked-out"
    assert check_out["fired_by"] == "staff"
    [transition] = check_out["transitions"]
    assert (transition["from_state"], transition["to_state"]) == ("CHECKED_IN", "COMPLETED")
    assert transition["guards"] == ["has_assigned_room", "room_in_same_hotel"]
    assert {"when": "in a state other than CHECKED_IN", "code": "NOT_CHECKED_IN"}.items() <= (
        check_out["refusals"][0].items()
    )


def test_unknown_workflow_is_404_in_the_envelope(client: TestClient) -> None:
    for path in ("/api/workflows/nope/", "/api/workflows/nope/diagram.mmd"):
        response = client.get(path)
        assert response.status_code == 404
        assert response.json()["error"]["code"] == "WORKFLOW_NOT_FOUND"


def test_mermaid_source(client: TestClient) -> None:
    response = client.get("/api/workflows/room-turnover/diagram.mmd")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    assert response.text == mermaid(RoomTurnover)
    assert "checkout_dirty --> cleaning_in_progress : start_cleaning" in response.text


@needs_graphviz
def test_svg_drawn_by_graphviz(client: TestClient) -> None:
    response = client.get("/api/workflows/booking-lifecycle/diagram.svg")
    assert response.status_code == 200
    assert response.headers["content-type"] == "image/svg+xml"
    assert b"<svg" in response.content and b"CHECKED_IN" in response.content


@pytest.mark.usefixtures("without_graphviz")
def test_svg_without_graphviz_is_501_in_the_envelope(client: TestClient) -> None:
    response = client.get("/api/workflows/booking-lifecycle/diagram.svg")
    assert response.status_code == 501
    assert response.json()["error"]["code"] == "GRAPHVIZ_NOT_INSTALLED"
    assert "diagram.mmd" in response.json()["error"]["message"]


def test_room_diagram_highlights_the_rooms_state_and_follows_it(
    client: TestClient, hotel: str
) -> None:
    headers = token_for(hotel, "maria")
    path = f"/api/staff/hotels/{hotel}/rooms/101/diagram.mmd"
    before = client.get(path, headers=headers)
    assert before.status_code == 200
    assert before.text.rstrip().endswith("occupied:::active")
    assert before.text.count(":::active") == 1

    checkout_booking(booking=BookingRef(HOTEL, "BK-1"), performed_by=ANNA, source="test")
    after = client.get(path, headers=headers)
    assert after.text.rstrip().endswith("checkout_dirty:::active")


@needs_graphviz
def test_room_svg_highlights_the_rooms_state(client: TestClient, hotel: str) -> None:
    headers = token_for(hotel, "maria")
    response = client.get(f"/api/staff/hotels/{hotel}/rooms/104/diagram.svg", headers=headers)
    assert response.status_code == 200
    assert response.headers["content-type"] == "image/svg+xml"
    plain = client.get("/api/workflows/room-turnover/diagram.svg").content
    assert response.content != plain  # the highlighted state is filled


@pytest.mark.usefixtures("without_graphviz")
def test_room_svg_without_graphviz_is_501(client: TestClient, hotel: str) -> None:
    headers = token_for(hotel, "maria")
    response = client.get(f"/api/staff/hotels/{hotel}/rooms/104/diagram.svg", headers=headers)
    assert response.status_code == 501
    assert response.json()["error"]["code"] == "GRAPHVIZ_NOT_INSTALLED"


@pytest.mark.parametrize("suffix", ["mmd", "svg"])
def test_room_diagram_is_for_that_hotels_staff_only(
    client: TestClient, hotel: str, suffix: str
) -> None:
    path = f"/api/staff/hotels/{hotel}/rooms/101/diagram.{suffix}"
    assert client.get(path).json()["error"]["code"] == "NOT_AUTHENTICATED"
    galway = token_for("hotel-galway", "niamh")
    response = client.get(path, headers=galway)
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "PERMISSION_DENIED"


@pytest.mark.parametrize("suffix", ["mmd", "svg"])
def test_unknown_or_invalid_room(client: TestClient, hotel: str, suffix: str) -> None:
    headers = token_for(hotel, "maria")
    rooms = f"/api/staff/hotels/{hotel}/rooms"
    missing = client.get(f"{rooms}/999/diagram.{suffix}", headers=headers)
    assert missing.status_code == 404
    assert missing.json()["error"] == {"code": "ROOM_NOT_FOUND", "message": "Room 999 not found"}
    for bad in ("abc", "0", "-1", "99999999999999999999"):
        response = client.get(f"{rooms}/{bad}/diagram.{suffix}", headers=headers)
        assert response.status_code == 422, bad
        assert response.json()["error"]["code"] == "VALIDATION_ERROR"

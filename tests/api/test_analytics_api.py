"""GET /api/staff/hotels/{hotel}/analytics/turnover/: the figures as JSON, its checks."""

from datetime import date

from fastapi.testclient import TestClient

from tests.api.conftest import BASE, Headers, bearer, new_staff_token
from tests.conftest import HOTEL

URL = f"{BASE}/analytics/turnover/"


def test_a_manager_reads_the_figures_of_a_period(
    client: TestClient, staff: Headers, room_ids: object
) -> None:
    manager = bearer(new_staff_token(HOTEL, "maeve", role="manager"))
    # one turnover today, through the API, as the board would see it
    for event in ("start_cleaning", "finish_cleaning", "pass_inspection"):
        answer = client.post(
            f"{BASE}/rooms/104/transitions/", json={"event": event}, headers=manager
        )
        assert answer.status_code == 200, answer.text
    client.post(f"{BASE}/room-bookings/BK-1/check-out/", headers=staff)
    today = date.today().isoformat()
    answer = client.get(URL, params={"from": today, "to": today}, headers=manager)
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["period"] == {
        "from": today,
        "to": today,
        "timezone": "UTC",
        "check_in_time": "15:00",
    }
    assert body["summary"]["departures"] == 1 and body["summary"]["inspections_passed"] == 1
    assert [day["departures"] for day in body["days"]] == [1]
    assert body["cleaning_by_housekeeper"][0]["housekeeper"] == "maeve"
    # room 104 was dirty before the log began: what made it so is not known
    assert [(k["kind"], k["durations"]["count"]) for k in body["cleaning_by_kind"]] == [
        ("other", 1)
    ]
    assert len(body["checkouts_by_hour"]) == 24
    assert sum(hour["checkouts"] for hour in body["checkouts_by_hour"]) == 1


def test_default_period_and_check_in_time(client: TestClient) -> None:
    supervisor = bearer(new_staff_token(HOTEL, "sinead", role="supervisor"))
    answer = client.get(URL, params={"check_in_time": "14:30"}, headers=supervisor)
    assert answer.status_code == 200
    assert answer.json()["period"]["check_in_time"] == "14:30"
    assert len(answer.json()["days"]) == 30


def test_refusals_are_the_envelope(client: TestClient, staff: Headers) -> None:
    manager = bearer(new_staff_token(HOTEL, "maeve", role="manager"))
    front_desk = client.get(URL, headers=staff)
    assert front_desk.status_code == 403
    assert front_desk.json()["error"]["message"] == (
        "Turnover analytics are for supervisors and managers"
    )
    backwards = client.get(URL, params={"from": "2025-02-02", "to": "2025-02-01"}, headers=manager)
    assert backwards.status_code == 422
    assert backwards.json()["error"]["code"] == "VALIDATION_ERROR"
    not_dates = ({"from": "yesterday"}, {"to": "0"}, {"from": "1700000000"}, {"to": "2026-1-5"})
    for bad in (*not_dates, {"check_in_time": "25:00"}, {"since": "2025-01-01"}):
        assert client.get(URL, params=bad, headers=manager).status_code == 422


def test_the_openapi_document_describes_the_answer(client: TestClient) -> None:
    document = client.get("/openapi.json").json()
    operation = document["paths"]["/api/staff/hotels/{hotel_slug}/analytics/turnover/"]["get"]
    schema = operation["responses"]["200"]["content"]["application/json"]["schema"]
    assert schema["$ref"].endswith("/TurnoverAnalyticsResponse")
    period = document["components"]["schemas"]["AnalyticsPeriod"]
    assert "from" in period["properties"]
    assert {p["name"] for p in operation["parameters"]} >= {"from", "to", "check_in_time"}

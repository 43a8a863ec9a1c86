"""The envelope for the unexpected, the body limit, no input giving a 500, the OpenAPI document."""

import json
import logging
import re
from urllib.parse import quote

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import api.routes.rooms
from api.app import create_app
from tests.api.conftest import BASE, BULK, Headers, bearer, error, new_staff_token
from tests.conftest import HOTEL, seed, small_hotel

REQUEST_ID = re.compile(r"request id ([0-9a-f]{12})")


def test_unexpected_exception_is_a_500_envelope_with_a_request_id(
    staff: Headers, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
):
    def broken(**_: object) -> None:
        raise RuntimeError("connection to db-secret-host refused")

    monkeypatch.setattr(api.routes.rooms, "list_rooms", broken)
    client = TestClient(create_app(), raise_server_exceptions=False)

    with caplog.at_level(logging.ERROR, logger="turnover.api"):
        response = client.get(BASE + "/rooms/", headers=staff)

    assert error(response) == (500, "INTERNAL_ERROR")
    message = response.json()["error"]["message"]
    assert "db-secret-host" not in response.text and "RuntimeError" not in response.text
    request_id = REQUEST_ID.search(message).group(1)
    (record,) = [r for r in caplog.records if request_id in r.getMessage()]
    assert record.exc_info[0] is RuntimeError


def test_a_body_over_the_limit_is_413_in_the_envelope(client: TestClient, staff: Headers):
    big = b'{"room_ids": [' + b"1, " * 30_000 + b"1]}"
    headers = {**staff, "Content-Type": "application/json"}
    assert error(client.post(BULK, headers=headers, content=big)) == (413, "PAYLOAD_TOO_LARGE")

    def chunks():  # no Content-Length: counted as it arrives
        yield b'{"room_ids": ['
        for _ in range(30_000):
            yield b"1, "
        yield b"1]}"

    assert error(client.post(BULK, headers=headers, content=chunks())) == (
        413,
        "PAYLOAD_TOO_LARGE",
    )


@pytest.mark.parametrize(
    ("content_type", "content", "expected"),
    [
        # Not sent as JSON: 415, saying to send JSON (tests/api/test_request_checks.py).
        ("text/plain", b"room_ids=1", (415, "UNSUPPORTED_MEDIA_TYPE")),
        ("application/x-www-form-urlencoded", b"room_ids=1", (415, "UNSUPPORTED_MEDIA_TYPE")),
        ("application/json", b"\xff\xfe", (422, "VALIDATION_ERROR")),
        ("application/json", b"", (422, "VALIDATION_ERROR")),
    ],
)
def test_bodies_that_are_not_json_objects_are_refused(
    client: TestClient, staff: Headers, content_type: str, content: bytes, expected: tuple
):
    headers = {**staff, "Content-Type": content_type}
    assert error(client.post(BULK, headers=headers, content=content)) == expected


def test_nul_characters_are_refused_on_both_backends(client: TestClient, staff: Headers):
    for path in ("/bookings/BK%00/", "/room-bookings/BK%00/check-out/"):
        method = "post" if "check-out" in path else "get"
        response = client.request(method, BASE + path, headers=staff)
        assert error(response) == (422, "VALIDATION_ERROR"), path
    note = client.post(
        BASE + "/rooms/104/transitions/",
        headers=staff,
        json={"event": "start_cleaning", "note": "a\x00b"},
    )
    assert error(note) == (422, "VALIDATION_ERROR")


def test_unknown_paths_and_methods_use_the_envelope(client: TestClient, staff: Headers):
    assert error(client.get("/api/nothing-here", headers=staff)) == (404, "NOT_FOUND")
    not_allowed = client.delete(BASE + "/rooms/101/", headers=staff)
    assert error(not_allowed) == (405, "METHOD_NOT_ALLOWED")
    assert not_allowed.headers["allow"] == "GET"  # RFC 9110: a 405 names what is allowed


# --- nothing gives a 500, whatever JSON arrives ---------------------------------------------

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=80),
    lambda inner: (
        st.lists(inner, max_size=5) | st.dictionaries(st.text(max_size=12), inner, max_size=5)
    ),
    max_leaves=20,
)
bulk_like = st.fixed_dictionaries(
    {"room_ids": st.lists(st.integers() | st.text(max_size=5), max_size=5)},
    optional={"destructive": json_values},
)
transition_like = st.fixed_dictionaries(
    {"event": st.text(max_size=80) | json_values}, optional={"note": json_values}
)


@pytest.fixture
def fuzz_client(database: str) -> tuple[TestClient, Headers]:
    seed(small_hotel())
    token = new_staff_token(HOTEL, "fuzzer", superuser=True)
    return TestClient(create_app(), raise_server_exceptions=False), bearer(token)


@settings(
    max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    body=json_values | bulk_like | transition_like,
    target=st.sampled_from(
        [BULK, BASE + "/rooms/104/transitions/", BASE + "/room-bookings/BK-2/check-in/"]
    ),
)
def test_no_json_body_gets_a_500(fuzz_client, body, target: str):
    client, headers = fuzz_client
    content = json.dumps(body)  # NaN and Infinity too, as some clients send them
    headers = {**headers, "Content-Type": "application/json"}
    response = client.post(target, headers=headers, content=content)
    assert response.status_code < 500, response.text
    if response.status_code >= 400:
        error(response)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(segment=st.text(min_size=1, max_size=300))
def test_no_path_segment_gets_a_500(fuzz_client, segment: str):
    client, headers = fuzz_client
    encoded = quote(segment, safe="")
    for template in (BASE + "/rooms/{}/", BASE + "/bookings/{}/", "/api/staff/hotels/{}/rooms/"):
        response = client.get(template.format(encoded), headers=headers)
        assert response.status_code < 500, response.text
        if response.status_code >= 400:
            error(response)


# --- OpenAPI ---------------------------------------------------------------------------------

CONTRACT = {
    ("post", "/api/staff/hotels/{hotel_slug}/room-bookings/{booking_id}/check-out/"),
    ("post", "/api/staff/hotels/{hotel_slug}/bookings/{booking_id}/checkout/"),
    ("post", "/api/staff/hotel/{hotel_slug}/rooms/checkout/"),
    ("post", "/api/staff/hotels/{hotel_slug}/room-bookings/{booking_id}/check-in/"),
    ("post", "/api/staff/hotels/{hotel_slug}/rooms/{room_number}/transitions/"),
    ("get", "/api/staff/hotels/{hotel_slug}/rooms/"),
    ("get", "/api/staff/hotels/{hotel_slug}/rooms/{room_number}/"),
    ("get", "/api/staff/hotels/{hotel_slug}/rooms/{room_number}/history/"),
    ("get", "/api/staff/hotels/{hotel_slug}/bookings/"),
    ("get", "/api/staff/hotels/{hotel_slug}/bookings/{booking_id}/"),
}
ENVELOPE = "#/components/schemas/ErrorEnvelope"


def test_openapi_documents_every_endpoint_body_and_error():
    client = TestClient(create_app())
    document = client.get("/openapi.json").json()
    operations = {
        (method, path): operation
        for path, item in document["paths"].items()
        for method, operation in item.items()
    }
    assert CONTRACT | {("get", "/healthz")} <= set(operations)
    for key in CONTRACT:
        responses = operations[key]["responses"]
        for status in ("401", "403", "422", "500"):
            schema = responses[status]["content"]["application/json"]["schema"]
            assert schema == {"$ref": ENVELOPE}, (key, status)
        assert "$ref" in responses["200"]["content"]["application/json"]["schema"], key
    bodies = {
        key: str(operations[key].get("requestBody", {}).get("content", {}))
        for key in CONTRACT
        if key[0] == "post"
    }
    assert (
        "BulkCheckoutRequest" in bodies[("post", "/api/staff/hotel/{hotel_slug}/rooms/checkout/")]
    )
    assert (
        "RoomTransitionRequest"
        in bodies[("post", "/api/staff/hotels/{hotel_slug}/rooms/{room_number}/transitions/")]
    )
    assert (
        "CheckInRequest"
        in bodies[("post", "/api/staff/hotels/{hotel_slug}/room-bookings/{booking_id}/check-in/")]
    )
    room_status = document["components"]["schemas"]["RoomStatus"]["enum"]
    assert "CHECKOUT_DIRTY" in room_status
    assert "details" in document["components"]["schemas"]["ErrorDetail"]["properties"]


def test_every_documented_error_is_the_envelope():
    """No operation documents FastAPI's own 422 shape, or an error without a body."""
    document = TestClient(create_app()).get("/openapi.json").json()
    for path, item in document["paths"].items():
        for method, operation in item.items():
            for status, response in operation["responses"].items():
                if int(status) >= 400:
                    schema = response["content"]["application/json"]["schema"]
                    assert schema == {"$ref": ENVELOPE}, (method, path, status)


def test_an_unreadable_body_is_a_documented_400(client: TestClient, staff: Headers):
    unreadable = {**staff, "Content-Type": "application/json"}
    assert error(client.post(BULK, headers=unreadable, content=b"\xff\x0e")) == (
        400,
        "BAD_REQUEST",
    )
    document = client.get("/openapi.json").json()
    bulk = document["paths"]["/api/staff/hotel/{hotel_slug}/rooms/checkout/"]["post"]
    assert {"400", "413"} <= set(bulk["responses"])


def test_docs_page_is_served():
    response = TestClient(create_app()).get("/docs")
    assert response.status_code == 200
    assert "/openapi.json" in response.text

"""One rule for every door: unknown query parameters, bodies an endpoint would ignore, and
bodies that are not JSON are refused in the envelope, saying what to send instead."""

from typing import Any

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from tests.api.conftest import BASE, BULK, Headers, error
from tests.conftest import snapshot

# Every GET a client may send with a wrong query parameter, with a real path.
GETS = [
    BASE + "/rooms/",
    BASE + "/rooms/101/",
    BASE + "/rooms/101/history/",
    BASE + "/bookings/",
    BASE + "/bookings/BK-1/",
    BASE + "/staff/maria/",
    BASE + "/staff/maria/tokens/",
    "/api/workflows/",
    "/healthz",
]


def test_a_misspelled_query_parameter_is_a_422_naming_it(
    client: TestClient, staff: Headers
) -> None:
    response = client.get(BASE + "/rooms/?stauts=OCCUPIED", headers=staff)
    assert error(response) == (422, "VALIDATION_ERROR")
    assert response.json()["error"]["details"] == [
        {
            "field": "query.stauts",
            "message": "Unknown query parameter; this endpoint takes: limit, offset, status",
        }
    ]
    assert client.get(BASE + "/rooms/?status=OCCUPIED&limit=5", headers=staff).status_code == 200


@pytest.mark.parametrize("path", GETS)
def test_every_endpoint_refuses_unknown_query_parameters(
    client: TestClient, staff: Headers, path: str
) -> None:
    assert client.get(path, headers=staff).status_code == 200
    assert error(client.get(path, params={"surprise": "1"}, headers=staff)) == (
        422,
        "VALIDATION_ERROR",
    )


def test_the_event_stream_still_takes_its_token_in_the_query(
    client: TestClient, staff: Headers
) -> None:
    token = staff["Authorization"].split()[1]
    refused = client.get(BASE + "/events/", params={"token": token, "tokn": "x"})
    assert error(refused) == (422, "VALIDATION_ERROR")


NO_BODY = [BASE + "/room-bookings/BK-1/check-out/", BASE + "/bookings/BK-1/checkout/"]


@pytest.mark.parametrize("path", NO_BODY)
@pytest.mark.parametrize(
    "body", [b"garbage", b'{"force": true}', b"[1]"], ids=["text", "json", "list"]
)
def test_an_endpoint_without_a_body_refuses_one(
    client: TestClient, staff: Headers, path: str, body: bytes
) -> None:
    before = snapshot()
    headers = {**staff, "Content-Type": "application/json"}
    response = client.post(path, content=body, headers=headers)
    assert error(response) == (422, "VALIDATION_ERROR")
    assert response.json()["error"]["details"][0]["message"] == (
        "This endpoint takes no body; send none"
    )
    assert snapshot() == before


@pytest.mark.parametrize("body", [b"", b"{}", b" { } "])
def test_an_empty_body_or_object_is_fine_where_none_is_taken(
    client: TestClient, staff: Headers, body: bytes
) -> None:
    headers = {**staff, "Content-Type": "application/json"}
    response = client.post(NO_BODY[0], content=body, headers=headers)
    assert response.status_code == 200, response.text


@pytest.mark.parametrize(
    ("kwargs", "sent"),
    [
        ({"data": {"room_ids": "1"}}, "Content-Type application/x-www-form-urlencoded"),
        ({"content": b'{"room_ids": []}'}, "no Content-Type"),
        (
            {"content": b"room_ids=1", "headers": {"Content-Type": "text/plain"}},
            "Content-Type text/plain",
        ),
    ],
    ids=["form", "no content type", "text"],
)
def test_a_body_not_sent_as_json_is_told_to_send_json(
    client: TestClient, staff: Headers, kwargs: dict[str, Any], sent: str
) -> None:
    extra = {key: value for key, value in kwargs.items() if key != "headers"}
    headers = {**staff, **kwargs.get("headers", {})}
    response = client.post(BULK, headers=headers, **extra)
    assert error(response) == (415, "UNSUPPORTED_MEDIA_TYPE")
    assert response.json()["error"]["message"] == (
        f"The body was sent with {sent}; send JSON with Content-Type: application/json"
    )


def test_malformed_json_says_where_it_broke(client: TestClient, staff: Headers) -> None:
    headers = {**staff, "Content-Type": "application/json"}
    response = client.post(BULK, headers=headers, content=b'{"room_ids":\n  [1, 2,,]}')
    assert error(response) == (422, "VALIDATION_ERROR")
    assert response.json()["error"]["message"] == (
        "The body is not valid JSON: Expecting value at line 2, column 9;"
        " send JSON with Content-Type: application/json"
    )


def test_json_with_a_charset_or_a_json_suffix_is_json(client: TestClient, staff: Headers) -> None:
    for content_type in ("application/json; charset=utf-8", "application/merge-patch+json"):
        headers = {**staff, "Content-Type": content_type}
        response = client.post(BULK, headers=headers, content=b'{"room_ids": []}')
        # Read as JSON: its content is what is refused (the list must not be empty).
        assert error(response) == (422, "VALIDATION_ERROR"), content_type
        assert response.json()["error"]["details"][0]["field"] == "body.room_ids"


def test_the_openapi_document_lists_415_for_bodies() -> None:
    operation = create_app().openapi()["paths"]["/api/staff/hotel/{hotel_slug}/rooms/checkout/"]
    assert "415" in operation["post"]["responses"]

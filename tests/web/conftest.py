"""Web page fixtures: the app with its pages (web.app), staff with passwords, signing in."""

import re

import pytest
from fastapi.testclient import TestClient

from storage.unit_of_work import UnitOfWork
from tests.conftest import HOTEL, seed, small_hotel
from web.app import create_app
from workflows.services.lookups import load_hotel
from workflows.services.staff_accounts import create_staff

PASSWORD = "correct horse battery"
ROLES = {
    "fiona": "front_desk",
    "hugh": "housekeeper",
    "sinead": "supervisor",
    "maeve": "manager",
}


def add_member(hotel_slug: str, username: str, role: str, *, superuser: bool = False) -> str:
    """A member with PASSWORD; returns their API token."""
    with UnitOfWork() as uow:
        hotel = load_hotel(uow.session, hotel_slug)
        _, token = create_staff(
            uow.session,
            hotel_id=hotel.id,  # type: ignore[arg-type]
            username=username,
            role=role,
            is_superuser=superuser,
            password=PASSWORD,
        )
        uow.commit()
    return token  # type: ignore[return-value]


@pytest.fixture
def web_hotel(sqlite_database: str) -> dict[str, str]:
    """The small hotel with a member of every role (username -> API token)."""
    seed(small_hotel())
    tokens = {name: add_member(HOTEL, name, role) for name, role in ROLES.items()}
    tokens["sean"] = add_member("hotel-galway", "sean", "front_desk")
    return tokens


@pytest.fixture
def browser_client(web_hotel: dict[str, str]) -> TestClient:
    """A client that keeps cookies, as a browser does; it is not signed in yet."""
    return TestClient(create_app(), base_url="http://127.0.0.1:8700", follow_redirects=False)


def form_token(html: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match, "the page has no CSRF token"
    return match[1]


def sign_in(client: TestClient, username: str, password: str = PASSWORD, hotel: str = HOTEL):  # type: ignore[no-untyped-def]
    page = client.get("/")
    return client.post(
        "/sign-in",
        data={
            "csrf_token": form_token(page.text),
            "hotel": hotel,
            "username": username,
            "password": password,
            "next": "",
        },
    )


def page_token(client: TestClient, path: str) -> str:
    """The CSRF token of the signed-in session, as a page shows it."""
    page = client.get(path)
    assert page.status_code == 200, page.text
    return form_token(page.text)

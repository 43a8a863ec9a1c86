"""Fixtures: a fresh database per test, on SQLite and (when configured) PostgreSQL."""

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from cryptography.fernet import Fernet
from sqlalchemy import Engine, create_engine, text
from sqlmodel import select

from admin.seed_file import load_seed
from storage.database import create_tables, normalize_url, use_database
from storage.models import OutboxEvent, TransitionLog
from storage.unit_of_work import UnitOfWork
from workflows.machines.actors import Actor, Role

POSTGRES_ENV = "TURNOVER_TEST_POSTGRES_URL"
# Webhook secrets are encrypted with this key, not one generated into the working directory.
os.environ.setdefault("TURNOVER_WEBHOOKS_ENCRYPTION_KEY", Fernet.generate_key().decode())
# Servers the tests start run no scheduler (its housekeeping plan's events would mix with the
# ones a test waits for): tests tick a scheduler by hand, with their own clock.
os.environ.setdefault("TURNOVER_SCHEDULER_IN_PROCESS", "0")


@pytest.fixture(autouse=True, scope="session")
def cheap_password_hashing() -> Iterator[None]:
    """argon2 at its cheapest in tests (real hashes, verified the same way): the real cost,
    tens of milliseconds per hash by design, would add up over the suite."""
    from argon2 import PasswordHasher

    from workflows.services import staff_accounts

    real = staff_accounts._password_hasher
    staff_accounts._password_hasher = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
    yield
    staff_accounts._password_hasher = real


ANNA = Actor(username="anna", staff_id=None, role=Role.MANAGER)
ADMIN = Actor(username="admin", is_superuser=True)

BACKENDS = ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]


POSTGRES_FIXTURES = {"postgres_admin", "postgres_database"}


def _needs_postgres(item: pytest.Item) -> bool:
    fixtures = set(getattr(item, "fixturenames", ()))
    return item.get_closest_marker("postgres") is not None or bool(fixtures & POSTGRES_FIXTURES)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Without PostgreSQL configured, its tests are left out (one summary line), not skipped
    one by one (a screen of skip lines)."""
    if os.environ.get(POSTGRES_ENV):
        return
    left_out = [item for item in items if _needs_postgres(item)]
    if left_out:
        config.hook.pytest_deselected(items=left_out)
        items[:] = [item for item in items if not _needs_postgres(item)]
        config.stash[POSTGRES_LEFT_OUT] = len(left_out)


def pytest_terminal_summary(terminalreporter: Any, config: pytest.Config) -> None:
    left_out = config.stash.get(POSTGRES_LEFT_OUT, 0)
    if left_out:
        terminalreporter.write_line(
            f"{left_out} PostgreSQL tests not run (the 'deselected'): set {POSTGRES_ENV}="
            "postgresql://postgres@127.0.0.1:5432/test to run them (.ci/run does)."
        )


POSTGRES_LEFT_OUT = pytest.StashKey[int]()


def postgres_base_url() -> str:
    url = os.environ.get(POSTGRES_ENV)
    if not url:
        pytest.skip(f"{POSTGRES_ENV} is not set: PostgreSQL tests skipped (.ci/run sets it)")
    return normalize_url(url)


@pytest.fixture(scope="session")
def postgres_admin() -> Iterator[Engine]:
    """A connection to the PostgreSQL test database; unreachable means failure, not skip."""
    engine = create_engine(postgres_base_url(), isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as connection:
            connection.execute(text("select 1"))
    except Exception as error:
        pytest.fail(f"{POSTGRES_ENV} is set but PostgreSQL is unreachable: {error}")
    yield engine
    engine.dispose()


def _sqlite_url(tmp_path: Any) -> str:
    return f"sqlite:///{tmp_path}/turnover.db"


def _postgres_schema_url(admin: Engine, schema: str) -> str:
    with admin.connect() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    return f"{postgres_base_url()}?options=-csearch_path%3D{schema}"


@contextmanager
def fresh_database(backend: str, request: pytest.FixtureRequest, tmp_path: Any) -> Iterator[str]:
    """Point the process at a new, empty database of `backend`; yield the backend name."""
    schema = None
    if backend == "sqlite":
        url = _sqlite_url(tmp_path)
    else:
        admin = request.getfixturevalue("postgres_admin")
        schema = f"t_{uuid.uuid4().hex[:12]}"
        url = _postgres_schema_url(admin, schema)
    engine = use_database(url)
    create_tables(engine)
    try:
        yield backend
    finally:
        engine.dispose()
        if schema:
            with admin.connect() as connection:
                connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))


@pytest.fixture(params=BACKENDS)
def database(request: pytest.FixtureRequest, tmp_path: Any) -> Iterator[str]:
    """A new, empty database: each test using it runs on SQLite and on PostgreSQL."""
    with fresh_database(request.param, request, tmp_path) as backend:
        yield backend


@pytest.fixture
def sqlite_database(request: pytest.FixtureRequest, tmp_path: Any) -> Iterator[str]:
    """For tests whose subject does not depend on the database engine."""
    with fresh_database("sqlite", request, tmp_path) as backend:
        yield backend


@pytest.fixture
def postgres_database(request: pytest.FixtureRequest, tmp_path: Any) -> Iterator[str]:
    """For behaviour only PostgreSQL shows (true concurrent writers)."""
    with fresh_database("postgresql", request, tmp_path) as backend:
        yield backend


HOTEL = "hotel-killarney"


def small_hotel() -> dict[str, Any]:
    """Room 101 in house (BK-1, two guests, chat, conversation, open + completed order),
    102 ready with BK-2 confirmed for it, 103 an occupied ghost room, 104 dirty,
    and another hotel with its own in-house room 101."""
    return {
        "hotels": [{"slug": HOTEL}, {"slug": "hotel-galway"}],
        "staff": [
            {"hotel": HOTEL, "username": "anna"},
            {"hotel": HOTEL, "username": "admin", "is_superuser": True},
        ],
        "rooms": [
            {"hotel": HOTEL, "room_number": 101, "room_status": "OCCUPIED", "fcm_token": "f-101"},
            {"hotel": HOTEL, "room_number": 102, "room_status": "READY_FOR_GUEST"},
            {"hotel": HOTEL, "room_number": 103, "room_status": "OCCUPIED"},
            {"hotel": HOTEL, "room_number": 104, "room_status": "CHECKOUT_DIRTY"},
            {"hotel": "hotel-galway", "room_number": 101, "room_status": "OCCUPIED"},
        ],
        "bookings": [
            {
                "hotel": HOTEL,
                "booking_id": "BK-1",
                "status": "CHECKED_IN",
                "room_number": 101,
                "guests": [{"first_name": "Mary"}, {"first_name": "John"}],
            },
            {
                "hotel": HOTEL,
                "booking_id": "BK-2",
                "status": "CONFIRMED",
                "room_number": 102,
                "guests": [{"first_name": "Sean"}],
            },
            {"hotel": HOTEL, "booking_id": "BK-3", "status": "CONFIRMED"},
            {
                "hotel": "hotel-galway",
                "booking_id": "BK-G",
                "status": "CHECKED_IN",
                "room_number": 101,
            },
        ],
        "chat_sessions": [{"hotel": HOTEL, "room_number": 101}],
        "conversations": [{"hotel": HOTEL, "room_number": 101}],
        "room_service_orders": [
            {"hotel": HOTEL, "room_number": 101, "status": "OPEN"},
            {"hotel": HOTEL, "room_number": 101, "status": "IN_PROGRESS"},
            {"hotel": HOTEL, "room_number": 101, "status": "COMPLETED"},
        ],
    }


def seed(data: dict[str, Any]) -> None:
    with UnitOfWork() as uow:
        load_seed(uow.session, data)
        uow.commit()


@pytest.fixture
def hotel(database: str) -> str:
    seed(small_hotel())
    return HOTEL


def rows(table: type) -> list[Any]:
    with UnitOfWork(write=False) as uow:
        return list(uow.session.exec(select(table).order_by(table.id)))


def outbox() -> list[tuple[str, dict]]:
    return [(event.event_name, event.payload) for event in rows(OutboxEvent)]


def log() -> list[tuple[str, str, str, str, str]]:
    return [
        (entry.entity_ref, entry.event, entry.from_state, entry.to_state, entry.actor)
        for entry in rows(TransitionLog)
    ]


# Written by every authenticated request (at most once a minute per token), refused or not:
# bookkeeping of the credentials, not data a request changes.
BOOKKEEPING_COLUMNS = {("stafftoken", "last_used_at")}


def snapshot() -> dict[str, list[dict]]:
    """Every row of every table, for all-or-nothing assertions."""
    from sqlmodel import SQLModel

    result = {}
    for table in SQLModel.metadata.sorted_tables:
        with UnitOfWork(write=False) as uow:
            result[table.name] = [
                {
                    k: v
                    for k, v in row._mapping.items()
                    if (table.name, k) not in BOOKKEEPING_COLUMNS
                }
                for row in uow.session.execute(table.select().order_by(table.c.id))
            ]
    return result

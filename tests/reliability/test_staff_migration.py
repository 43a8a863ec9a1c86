"""Migration 0005 (staff roles, passwords, named tokens): existing staff become front desk
and keep their tokens; usernames that differ only in case stop the upgrade with nothing
changed; a downgrade keeps each member's newest working token."""

import hashlib

import pytest
from alembic import command
from sqlalchemy import text

from storage.database import create_tables, get_engine
from storage.models import Hotel, Staff, StaffToken
from storage.schema_upgrade import alembic_config
from storage.unit_of_work import UnitOfWork
from tests.conftest import rows
from tests.reliability.test_migrations import current_revision, head_revision
from workflows.services.staff_accounts import issue_token, revoke_token, staff_for_token

BEFORE = "0003"  # the revision 0005 upgrades from


def sha256(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def at_revision_before_staff_tokens() -> None:
    command.downgrade(alembic_config(), BEFORE)


def insert_old_staff(*members: tuple[str, str | None]) -> None:
    """Staff as the schema before 0005 held them: a token hash on the staff row."""
    with get_engine().begin() as connection:
        connection.execute(text("INSERT INTO hotel (id, slug, name) VALUES (1, 'h', 'H')"))
        for n, (username, token) in enumerate(members, start=1):
            connection.execute(
                text(
                    "INSERT INTO staff (id, hotel_id, username, is_superuser, token_hash,"
                    " created_at) VALUES (:id, 1, :username, :superuser, :hash, :created)"
                ),
                {
                    "id": n,
                    "username": username,
                    "superuser": username == "admin",
                    "hash": sha256(token) if token else None,
                    "created": "2025-01-02 03:04:05",
                },
            )


def token_owner(token: str) -> str | None:
    with UnitOfWork(write=False) as uow:
        staff = staff_for_token(uow.session, token)
        return staff.username if staff else None


def test_existing_staff_become_front_desk_and_keep_their_tokens(database: str) -> None:
    at_revision_before_staff_tokens()
    insert_old_staff(
        ("Anna", "anna-token-0123456789"), ("admin", "admin-token-0123456789"), ("nora", None)
    )

    create_tables()

    assert current_revision() == head_revision()
    staff = {s.username: s for s in rows(Staff)}
    assert {s.role for s in staff.values()} == {"front_desk"}
    assert all(s.is_active and s.password_hash is None for s in staff.values())
    assert staff["Anna"].username_key == "anna" and staff["admin"].is_superuser
    assert token_owner("anna-token-0123456789") == "Anna"
    assert token_owner("admin-token-0123456789") == "admin"
    tokens = rows(StaffToken)
    assert [(t.staff_id, t.name) for t in tokens] == [(1, "default"), (2, "default")]
    assert tokens[0].created_at.year == 2025  # when the member (and so the token) was made


def test_usernames_differing_only_in_case_stop_the_upgrade(database: str) -> None:
    at_revision_before_staff_tokens()
    insert_old_staff(("Anna", "anna-token-0123456789"), ("anna", None))

    with pytest.raises(RuntimeError, match="differ only in case: 'Anna' / 'anna'"):
        create_tables()

    assert current_revision() == BEFORE
    with get_engine().connect() as connection:
        names = connection.execute(text("SELECT username, token_hash FROM staff ORDER BY id"))
        assert names.all() == [("Anna", sha256("anna-token-0123456789")), ("anna", None)]


def test_downgrade_keeps_each_members_newest_working_token(database: str) -> None:
    with UnitOfWork() as uow:
        uow.session.add(hotel := Hotel(slug="h", name="H"))
        uow.session.flush()
        anna = Staff(hotel_id=hotel.id, username="anna", username_key="anna")
        uow.session.add(anna)
        uow.session.flush()
        issue_token(uow.session, anna, name="old", secret="old-token-0123456789")
        issue_token(uow.session, anna, name="phone", secret="phone-token-0123456789")
        revoked = issue_token(uow.session, anna, name="lost", secret="lost-token-0123456789")
        revoke_token(uow.session, revoked.token)
        uow.commit()

    at_revision_before_staff_tokens()

    with get_engine().connect() as connection:
        kept = connection.execute(text("SELECT token_hash FROM staff")).scalar_one()
    assert kept == sha256("phone-token-0123456789")

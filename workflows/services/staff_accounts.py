"""Staff members and their API tokens. Tokens are random, shown once, stored as sha256."""

import hashlib
import hmac
import secrets

from sqlmodel import Session, select

from storage.models import Staff
from workflows.machines.errors import DomainError


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def new_token() -> str:
    return secrets.token_urlsafe(32)


def create_staff(
    session: Session, *, hotel_id: int, username: str, is_superuser: bool = False
) -> tuple[Staff, str]:
    """Add a staff member; return it with its token (the only time the token is visible)."""
    taken = session.exec(
        select(Staff).where(Staff.hotel_id == hotel_id, Staff.username == username)
    ).first()
    if taken is not None:
        raise DomainError(f"Staff member '{username}' already exists", code="STAFF_EXISTS")
    token = new_token()
    staff = Staff(
        hotel_id=hotel_id,
        username=username,
        is_superuser=is_superuser,
        token_hash=hash_token(token),
    )
    session.add(staff)
    session.flush()
    return staff, token


def rotate_token(session: Session, staff: Staff) -> str:
    """Give `staff` a new token; the previous one stops working."""
    token = new_token()
    staff.token_hash = hash_token(token)
    session.add(staff)
    return token


def staff_for_token(session: Session, token: str) -> Staff | None:
    digest = hash_token(token)
    staff = session.exec(select(Staff).where(Staff.token_hash == digest)).first()
    # The lookup is by digest; the constant-time compare keeps the check honest anyway.
    if staff is None or not hmac.compare_digest(staff.token_hash or "", digest):
        return None
    return staff

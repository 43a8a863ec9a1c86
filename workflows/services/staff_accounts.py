"""Staff members, their roles, passwords and named API tokens.

Token secrets are random, shown once and stored as sha256; passwords are stored as argon2
hashes. Usernames are unique in a hotel whatever their case ("Anna" is "anna").
Every function works in the caller's session; the caller commits.
"""

import hashlib
import hmac
import re
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import or_, update
from sqlmodel import Session, select

from storage.models import DEFAULT_STAFF_ROLE, STAFF_ROLES, Staff, StaffToken
from storage.timestamps import utc_now
from storage.unit_of_work import UnitOfWork
from workflows.machines.errors import DomainError
from workflows.services.lookups import load_hotel
from workflows.services.queries import Page

MAX_USERNAME_LENGTH = 150
# Django's rule, which the hotel app's usernames already follow: no spaces, nothing that
# needs quoting in a URL path except `@` and `+`.
USERNAME_PATTERN = r"^[\w.@+-]+$"
USERNAME_RULE = "1 to 150 letters, digits and @ . + - _ (no spaces)"
MIN_PASSWORD_LENGTH, MAX_PASSWORD_LENGTH = 8, 256
TOKEN_NAME_PATTERN = r"^[\w.@+-]+(?: [\w.@+-]+)*$"
TOKEN_NAME_RULE = "1 to 64 letters, digits, single spaces and @ . + - _"
MAX_TOKEN_NAME_LENGTH = 64
DEFAULT_TOKEN_NAME = "default"
# `last_used_at` is written at most this often per token: not one write per request.
LAST_USED_PRECISION = timedelta(minutes=1)
EXPIRY_UNITS = {"m": "minutes", "h": "hours", "d": "days", "w": "weeks"}
MAX_TOKEN_LIFETIME = timedelta(days=3650)

_password_hasher = PasswordHasher()


class InvalidStaffInput(DomainError):
    code = "VALIDATION_ERROR"


class StaffNotFound(DomainError):
    code = "STAFF_NOT_FOUND"


class TokenNotFound(DomainError):
    code = "TOKEN_NOT_FOUND"


class StaffPermissionDenied(DomainError):
    code = "PERMISSION_DENIED"


# --- rules ---------------------------------------------------------------------------------


def username_key(username: str) -> str:
    return username.casefold()


def username_problem(username: str) -> str | None:
    """Why `username` cannot be a username, or None."""
    if not username or len(username) > MAX_USERNAME_LENGTH:
        return f"a username is {USERNAME_RULE}"
    if not re.fullmatch(USERNAME_PATTERN, username):
        return f"'{username}' is not a valid username: {USERNAME_RULE}"
    return None


def password_problem(password: str) -> str | None:
    if not MIN_PASSWORD_LENGTH <= len(password) <= MAX_PASSWORD_LENGTH:
        return f"a password is {MIN_PASSWORD_LENGTH} to {MAX_PASSWORD_LENGTH} characters long"
    if "\x00" in password:
        return "a password cannot contain the NUL character"
    return None


def role_problem(role: str) -> str | None:
    if role not in STAFF_ROLES:
        return f"'{role}' is not a role; roles are {', '.join(STAFF_ROLES)}"
    return None


def token_name_problem(name: str) -> str | None:
    if len(name) > MAX_TOKEN_NAME_LENGTH or not re.fullmatch(TOKEN_NAME_PATTERN, name):
        return f"a token name is {TOKEN_NAME_RULE}"
    return None


def _require(problem: str | None) -> None:
    if problem is not None:
        raise InvalidStaffInput(problem[0].upper() + problem[1:])


def parse_lifetime(text: str) -> timedelta:
    """`90d`, `12h`, `30m`, `2w` -> a timedelta (what `--expires-in` and the API take)."""
    match = re.fullmatch(r"\s*([1-9][0-9]{0,5})\s*([mhdw])\s*", text)
    if match is None:
        raise InvalidStaffInput(
            f"'{text}' is not a lifetime: a number and a unit, m (minutes), h (hours), "
            "d (days) or w (weeks), e.g. 90d"
        )
    lifetime = timedelta(**{EXPIRY_UNITS[match[2]]: int(match[1])})
    if lifetime > MAX_TOKEN_LIFETIME:
        raise InvalidStaffInput("A token lives at most 3650 days; leave the lifetime out for none")
    return lifetime


# --- staff ---------------------------------------------------------------------------------


def _by_username(hotel_id: int, username: str):  # type: ignore[no-untyped-def]
    key = username_key(username)
    return select(Staff).where(Staff.hotel_id == hotel_id, Staff.username_key == key)


def find_staff(session: Session, hotel_id: int, username: str) -> Staff:
    member = session.exec(_by_username(hotel_id, username)).first()
    if member is None:
        raise StaffNotFound(f"No staff member '{username}' in this hotel")
    return member


def list_staff(session: Session, hotel_id: int) -> list[Staff]:
    return list(session.exec(select(Staff).where(Staff.hotel_id == hotel_id).order_by(Staff.id)))


def create_staff(
    session: Session,
    *,
    hotel_id: int,
    username: str,
    is_superuser: bool = False,
    role: str = DEFAULT_STAFF_ROLE,
    password: str | None = None,
    with_token: bool = True,
) -> tuple[Staff, str | None]:
    """Add a staff member; return it with the secret of its "default" token (the only time
    it is visible), or None when `with_token` is off."""
    _require(username_problem(username))
    _require(role_problem(role))
    taken = session.exec(_by_username(hotel_id, username)).first()
    if taken is not None:
        raise DomainError(f"Staff member '{taken.username}' already exists", code="STAFF_EXISTS")
    staff = Staff(
        hotel_id=hotel_id,
        username=username,
        username_key=username_key(username),
        role=role,
        is_superuser=is_superuser,
    )
    if password is not None:
        set_password(staff, password)
    session.add(staff)
    session.flush()
    if not with_token:
        return staff, None
    return staff, issue_token(session, staff).secret


def change_staff(
    session: Session, staff: Staff, *, role: str | None = None, is_active: bool | None = None
) -> Staff:
    if role is not None:
        _require(role_problem(role))
        staff.role = role
    if is_active is not None:
        staff.is_active = is_active
    session.add(staff)
    session.flush()
    return staff


def may_manage_staff(manager: Staff) -> bool:
    """Managers manage their hotel's staff; superusers too."""
    return manager.is_superuser or manager.role == "manager"


def ensure_may_manage(manager: Staff, target: Staff | None = None) -> None:
    """Refuse unless `manager` may add or change staff (`target`, when given). Only a
    superuser may touch a superuser: a token issued for one would act as them."""
    if not may_manage_staff(manager):
        raise StaffPermissionDenied("Only a manager or a superuser may manage staff")
    if target is not None and target.is_superuser and not manager.is_superuser:
        raise StaffPermissionDenied("Only a superuser may manage a superuser")


# --- passwords -----------------------------------------------------------------------------


def set_password(staff: Staff, password: str) -> None:
    _require(password_problem(password))
    staff.password_hash = _password_hasher.hash(password)


def password_matches(staff: Staff, password: str) -> bool:
    """True when `password` is the member's (and the member is active)."""
    if not staff.is_active or not staff.password_hash:
        return False
    try:
        return _password_hasher.verify(staff.password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def staff_for_password(
    session: Session, hotel_id: int, username: str, password: str
) -> Staff | None:
    """The active member of the hotel with this username and password, or None."""
    member = session.exec(_by_username(hotel_id, username)).first()
    if member is None:
        # Same work as a wrong password, so timing does not tell which usernames exist.
        password_matches(_nobody(), password)
        return None
    return member if password_matches(member, password) else None


@cache
def _nobody() -> Staff:
    return Staff(hotel_id=0, username="", username_key="", password_hash=_password_hasher.hash("-"))


# --- tokens --------------------------------------------------------------------------------


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def new_token() -> str:
    return secrets.token_urlsafe(32)


@dataclass(frozen=True)
class IssuedToken:
    token: StaffToken
    secret: str  # shown once, never stored


def _live(now: datetime):  # type: ignore[no-untyped-def]
    """The SQL condition of a token that still works."""
    return (
        StaffToken.revoked_at.is_(None),  # type: ignore[union-attr]
        or_(StaffToken.expires_at.is_(None), StaffToken.expires_at > now),  # type: ignore[union-attr,operator]
    )


def issue_token(
    session: Session,
    staff: Staff,
    *,
    name: str = DEFAULT_TOKEN_NAME,
    lifetime: timedelta | None = None,
    secret: str | None = None,
    now: datetime | None = None,
) -> IssuedToken:
    """A new named token for `staff`. Names are unique among the member's working tokens;
    `secret` presets the token (seed files, the demo), else a random one is made."""
    _require(token_name_problem(name))
    now = now or utc_now()
    _lock(session, staff)
    clash = session.exec(
        select(StaffToken).where(
            StaffToken.staff_id == staff.id, StaffToken.name == name, *_live(now)
        )
    ).first()
    if clash is not None:
        raise DomainError(
            f"{staff.username} already has a token named '{name}'; revoke it or choose "
            "another name",
            code="TOKEN_NAME_TAKEN",
        )
    secret = secret or new_token()
    token = StaffToken(
        staff_id=staff.id,  # type: ignore[arg-type]
        name=name,
        token_hash=hash_token(secret),
        created_at=now,
        expires_at=now + lifetime if lifetime else None,
    )
    session.add(token)
    session.flush()
    return IssuedToken(token, secret)


def _lock(session: Session, staff: Staff) -> None:
    """Serialize token changes of one member (PostgreSQL; SQLite writers are serial)."""
    if session.get_bind().dialect.name == "postgresql":
        session.exec(select(Staff.id).where(Staff.id == staff.id).with_for_update())


def list_tokens(session: Session, staff: Staff) -> list[StaffToken]:
    """The member's tokens that were not revoked (expired ones included), oldest first."""
    query = select(StaffToken).where(
        StaffToken.staff_id == staff.id,
        StaffToken.revoked_at.is_(None),  # type: ignore[union-attr]
    )
    return list(session.exec(query.order_by(StaffToken.id)))  # type: ignore[arg-type]


def find_token(
    session: Session, staff: Staff, *, token_id: int | None = None, name: str | None = None
) -> StaffToken:
    """One not-revoked token of `staff`, by id or by name (the newest of that name)."""
    query = select(StaffToken).where(
        StaffToken.staff_id == staff.id,
        StaffToken.revoked_at.is_(None),  # type: ignore[union-attr]
    )
    if token_id is not None:
        query = query.where(StaffToken.id == token_id)
    if name is not None:
        query = query.where(StaffToken.name == name)
    token = session.exec(query.order_by(StaffToken.id.desc())).first()  # type: ignore[union-attr]
    if token is None:
        which = f"'{name}'" if name is not None else str(token_id)
        raise TokenNotFound(f"{staff.username} has no token {which} (or it was revoked)")
    return token


def revoke_token(session: Session, token: StaffToken, *, now: datetime | None = None) -> None:
    token.revoked_at = now or utc_now()
    session.add(token)
    session.flush()


def token_holder(
    session: Session, secret: str, *, now: datetime | None = None
) -> tuple[Staff, StaffToken] | None:
    """The active staff member a working token belongs to, with the token; else None."""
    digest = hash_token(secret)
    now = now or utc_now()
    found = session.exec(
        select(Staff, StaffToken)
        .join(StaffToken, StaffToken.staff_id == Staff.id)  # type: ignore[arg-type]
        .where(StaffToken.token_hash == digest, Staff.is_active == True, *_live(now))  # noqa: E712
    ).first()
    # The lookup is by digest; the constant-time compare keeps the check honest anyway.
    if found is None or not hmac.compare_digest(found[1].token_hash, digest):
        return None
    return found[0], found[1]


def staff_for_token(session: Session, secret: str, *, now: datetime | None = None) -> Staff | None:
    holder = token_holder(session, secret, now=now)
    return holder[0] if holder else None


def token_use_is_stale(token: StaffToken, now: datetime) -> bool:
    last = token.last_used_at
    if last is not None and last.tzinfo is None:
        last = last.replace(tzinfo=UTC)
    return last is None or now - last >= LAST_USED_PRECISION


def record_token_use(session: Session, token_id: int, now: datetime) -> None:
    """Stamp `last_used_at` (a compare-and-set: concurrent requests write it once)."""
    session.exec(
        update(StaffToken)
        .where(
            StaffToken.id == token_id,
            or_(
                StaffToken.last_used_at.is_(None),  # type: ignore[union-attr]
                StaffToken.last_used_at <= now - LAST_USED_PRECISION,  # type: ignore[operator]
            ),
        )
        .values(last_used_at=now)
    )


# --- the staff-management operations of the API: one unit of work each ----------------------


@dataclass(frozen=True)
class StaffWork:
    session: Session
    caller: Staff
    target: Staff | None


@contextmanager
def _staff_work(
    hotel_slug: str, caller_id: int, username: str | None, *, write: bool = True
) -> Iterator[StaffWork]:
    with UnitOfWork(write=write) as uow:
        hotel = load_hotel(uow.session, hotel_slug)
        caller = uow.session.get(Staff, caller_id)
        assert caller is not None  # authenticated a moment ago; staff rows are never deleted
        target = find_staff(uow.session, hotel.id, username) if username else None  # type: ignore[arg-type]
        yield StaffWork(uow.session, caller, target)
        if write:
            uow.commit()


def _ensure_self_or_manager(work: StaffWork) -> None:
    if work.target is None or work.target.id != work.caller.id:
        ensure_may_manage(work.caller, work.target)


def hotel_staff(hotel_slug: str, caller_id: int, *, limit: int, offset: int) -> Page[Staff]:
    with _staff_work(hotel_slug, caller_id, None, write=False) as work:
        ensure_may_manage(work.caller)
        members = list_staff(work.session, work.caller.hotel_id)
    return Page(members[offset : offset + limit], len(members), limit, offset)


def staff_member(hotel_slug: str, caller_id: int, username: str) -> Staff:
    """A member as a manager sees them; anyone may look at themselves."""
    with _staff_work(hotel_slug, caller_id, username, write=False) as work:
        _ensure_self_or_manager(work)
        return work.target  # type: ignore[return-value]


def add_staff_member(
    hotel_slug: str, caller_id: int, *, username: str, role: str, password: str | None
) -> Staff:
    with _staff_work(hotel_slug, caller_id, None) as work:
        ensure_may_manage(work.caller)
        staff, _ = create_staff(
            work.session,
            hotel_id=work.caller.hotel_id,
            username=username,
            role=role,
            password=password,
            with_token=False,
        )
    return staff


def change_staff_member(
    hotel_slug: str,
    caller_id: int,
    username: str,
    *,
    role: str | None = None,
    is_active: bool | None = None,
    password: str | None = None,
) -> Staff:
    with _staff_work(hotel_slug, caller_id, username) as work:
        target = work.target
        assert target is not None
        ensure_may_manage(work.caller, target)
        changes_access = (role is not None and role != target.role) or is_active is False
        if target.id == work.caller.id and changes_access:
            raise StaffPermissionDenied(
                "You cannot change your own role or deactivate yourself; ask another manager"
            )
        if password is not None:
            set_password(target, password)
        return change_staff(work.session, target, role=role, is_active=is_active)


def staff_tokens(hotel_slug: str, caller_id: int, username: str) -> list[StaffToken]:
    with _staff_work(hotel_slug, caller_id, username, write=False) as work:
        _ensure_self_or_manager(work)
        return list_tokens(work.session, work.target)  # type: ignore[arg-type]


def issue_staff_token(
    hotel_slug: str, caller_id: int, username: str, *, name: str, lifetime: timedelta | None
) -> IssuedToken:
    """Only a manager (or superuser) issues tokens, also their own: a leaked token must not
    be able to mint others that outlive its revocation."""
    with _staff_work(hotel_slug, caller_id, username) as work:
        ensure_may_manage(work.caller, work.target)
        return issue_token(work.session, work.target, name=name, lifetime=lifetime)  # type: ignore[arg-type]


def revoke_staff_token(hotel_slug: str, caller_id: int, username: str, token_id: int) -> None:
    """A manager revokes anyone's token; anyone may revoke their own (a lost phone)."""
    with _staff_work(hotel_slug, caller_id, username) as work:
        _ensure_self_or_manager(work)
        revoke_token(work.session, find_token(work.session, work.target, token_id=token_id))  # type: ignore[arg-type]

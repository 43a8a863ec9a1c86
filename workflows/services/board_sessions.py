"""Sign-in sessions of the web pages (web/): server-side, one row per signed-in browser.

The browser holds a random secret in an HttpOnly cookie; the database holds its sha256
(as for API tokens), the session's CSRF token, and a stamp of the member's password hash.
A session works while all of these hold: not revoked (sign-out), before `expires_at`
(absolute, TURNOVER_SESSION_MAX_HOURS after sign-in), used within the idle timeout
(TURNOVER_SESSION_IDLE_MINUTES), its member active, and the member's password the one they
signed in with: deactivating someone or changing their password, by any path (API, CLI,
seed), ends their sessions at once. Django ties its sessions to the password hash the
same way.
"""

import hashlib
import hmac
import logging
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import update
from sqlmodel import select

from config.settings import get_settings
from storage.models import BoardSession, Hotel, Staff
from storage.timestamps import utc_now
from storage.unit_of_work import UnitOfWork

log = logging.getLogger("turnover.sessions")

SESSION_COOKIE = "turnover_session"
# `last_seen_at` is written at most this often per session: not one write per request.
LAST_SEEN_PRECISION = timedelta(minutes=1)


@dataclass(frozen=True)
class StartedSession:
    secret: str  # for the cookie only; never stored
    csrf_token: str
    expires_at: datetime


@dataclass(frozen=True)
class SignedIn:
    """Who a working session belongs to."""

    session_id: int
    staff: Staff
    hotel: Hotel
    csrf_token: str


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def password_stamp(staff: Staff) -> str:
    return hashlib.sha256((staff.password_hash or "").encode()).hexdigest()


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def session_limits() -> tuple[timedelta, timedelta]:
    """(idle timeout, absolute lifetime) from the settings."""
    settings = get_settings()
    return (
        timedelta(minutes=settings.session_idle_minutes),
        timedelta(hours=settings.session_max_hours),
    )


def start_session(staff_id: int, *, now: datetime | None = None) -> StartedSession:
    """A new session for a member who has just proved their password."""
    now = now or utc_now()
    secret, csrf_token = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
    _, lifetime = session_limits()
    with UnitOfWork() as uow:
        staff = uow.session.get(Staff, staff_id)
        assert staff is not None  # authenticated a moment ago; staff rows are never deleted
        row = BoardSession(
            session_hash=_digest(secret),
            staff_id=staff_id,
            csrf_token=csrf_token,
            password_stamp=password_stamp(staff),
            created_at=now,
            last_seen_at=now,
            expires_at=now + lifetime,
        )
        uow.session.add(row)
        uow.commit()
    return StartedSession(secret, csrf_token, row.expires_at)


def signed_in(secret: str | None, *, now: datetime | None = None) -> SignedIn | None:
    """The session `secret` opens, when it still works (and note that it was used)."""
    if not secret or len(secret) > 128:
        return None
    now = now or utc_now()
    with UnitOfWork(write=False) as uow:
        found = uow.session.exec(
            select(BoardSession, Staff, Hotel)
            .join(Staff, Staff.id == BoardSession.staff_id)  # type: ignore[arg-type]
            .join(Hotel, Hotel.id == Staff.hotel_id)  # type: ignore[arg-type]
            .where(BoardSession.session_hash == _digest(secret))
        ).first()
    if found is None:
        return None
    row, staff, hotel = found
    if not hmac.compare_digest(row.session_hash, _digest(secret)) or not _works(row, staff, now):
        return None
    if now - _aware(row.last_seen_at) >= LAST_SEEN_PRECISION:
        _touch(row.id, now)  # type: ignore[arg-type]
    return SignedIn(row.id, staff, hotel, row.csrf_token)  # type: ignore[arg-type]


def _works(row: BoardSession, staff: Staff, now: datetime) -> bool:
    idle, _ = session_limits()
    return (
        row.revoked_at is None
        and now < _aware(row.expires_at)
        and now < _aware(row.last_seen_at) + idle
        and staff.is_active
        and hmac.compare_digest(row.password_stamp, password_stamp(staff))
    )


def _touch(session_id: int, now: datetime) -> None:
    """Stamp `last_seen_at` (a compare-and-set: concurrent requests write it once). Best
    effort: a failed stamp must not refuse a signed-in request."""
    try:
        with UnitOfWork(repeatable=True) as uow:
            uow.session.exec(
                update(BoardSession)
                .where(
                    BoardSession.id == session_id,  # type: ignore[arg-type]
                    BoardSession.last_seen_at <= now - LAST_SEEN_PRECISION,  # type: ignore[arg-type,operator]
                )
                .values(last_seen_at=now)
            )
            uow.commit()
    except Exception:
        log.warning("could not record the use of session %s", session_id, exc_info=True)


def end_session(secret: str | None, *, now: datetime | None = None) -> None:
    """Sign-out: the session stops working everywhere at once (nothing when unknown)."""
    if not secret or len(secret) > 128:
        return
    with UnitOfWork() as uow:
        uow.session.exec(
            update(BoardSession)
            .where(
                BoardSession.session_hash == _digest(secret),  # type: ignore[arg-type]
                BoardSession.revoked_at.is_(None),  # type: ignore[union-attr]
            )
            .values(revoked_at=now or utc_now())
        )
        uow.commit()


def csrf_token_matches(session: SignedIn, presented: str | None) -> bool:
    return bool(presented) and hmac.compare_digest(
        session.csrf_token.encode(), (presented or "").encode()
    )

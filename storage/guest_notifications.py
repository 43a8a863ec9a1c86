"""Guest notification queries: claiming due messages with a lease, recording the outcome.
Every final outcome (sent, dropped, failed) forgets the device token."""

from datetime import datetime, timedelta

from sqlalchemy import text, update
from sqlmodel import Session, col, or_, select

from storage.models import GuestNotification

PENDING, SENT, DROPPED, FAILED = "PENDING", "SENT", "DROPPED", "FAILED"

# Serializes claims on PostgreSQL (an arbitrary constant: "turnover notifier claim").
_CLAIM_LOCK_KEY = 0x746E6F74


def claim_due(
    session: Session, *, worker_id: str, now: datetime, lease_seconds: float, limit: int
) -> list[GuestNotification]:
    """Lease up to `limit` due messages no live lease holds. Call in a write unit of work."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _CLAIM_LOCK_KEY})
    rows = list(
        session.exec(
            select(GuestNotification)
            .where(
                GuestNotification.status == PENDING,
                col(GuestNotification.next_attempt_at) <= now,
                or_(
                    col(GuestNotification.claimed_until).is_(None),
                    col(GuestNotification.claimed_until) <= now,
                ),
            )
            .order_by(col(GuestNotification.id))
            .limit(limit)
        )
    )
    if rows:
        session.execute(
            update(GuestNotification)
            .where(col(GuestNotification.id).in_([row.id for row in rows]))
            .values(claimed_by=worker_id, claimed_until=now + timedelta(seconds=lease_seconds))
        )
    return rows


def finish(
    session: Session, notification_id: int, status: str, at: datetime, error: str | None
) -> None:
    """A final outcome: the token is forgotten."""
    session.execute(
        update(GuestNotification)
        .where(GuestNotification.id == notification_id, GuestNotification.status == PENDING)
        .values(
            status=status,
            fcm_token=None,
            attempts=GuestNotification.attempts + 1,
            sent_at=at if status == SENT else None,
            last_error=error,
            claimed_by=None,
            claimed_until=None,
        )
    )


def retry_at(session: Session, notification_id: int, when: datetime, error: str) -> None:
    session.execute(
        update(GuestNotification)
        .where(GuestNotification.id == notification_id, GuestNotification.status == PENDING)
        .values(
            attempts=GuestNotification.attempts + 1,
            next_attempt_at=when,
            last_error=error,
            claimed_by=None,
            claimed_until=None,
        )
    )

"""Database errors after which running the same unit of work again is the right answer.

- A lock conflict: PostgreSQL broke a deadlock, or refused a serializable transaction, by
  rolling this transaction back. Nothing was written; the retry sees the winner's state.
- A lost connection: the server was restarted or the backend terminated
  (`pg_terminate_backend`), or the server could not be reached. Before COMMIT was sent the
  transaction is gone with the connection, so a retry on a fresh connection is safe; while
  COMMIT was in flight nobody knows whether it committed (`CommitOutcomeUnknown`).
"""

import psycopg
from sqlalchemy.exc import DBAPIError

# SQLSTATEs: 40P01 deadlock_detected, 40001 serialization_failure.
LOCK_CONFLICTS = frozenset({"40P01", "40001"})
# Class 08 (connection exception), and the server going away under an open connection:
# 57P01 admin_shutdown (pg_terminate_backend, fast shutdown), 57P02 crash_shutdown,
# 57P03 cannot_connect_now (starting up or shutting down).
CONNECTION_LOST_PREFIXES = ("08", "57P01", "57P02", "57P03")


class CommitOutcomeUnknown(Exception):
    """The connection was lost while COMMIT was in flight: the transaction may or may not
    have committed, so the work must not be run again blindly."""


def _sqlstate(error: BaseException) -> str | None:
    if not isinstance(error, DBAPIError):
        return None
    return getattr(error.orig, "sqlstate", None)


def is_lock_conflict(error: BaseException) -> bool:
    return _sqlstate(error) in LOCK_CONFLICTS


def is_connection_lost(error: BaseException) -> bool:
    """The connection died or could not be opened (nothing of this transaction survives)."""
    if not isinstance(error, DBAPIError):
        return False
    if error.connection_invalidated:
        return True
    sqlstate = _sqlstate(error)
    if sqlstate is not None:
        return sqlstate.startswith(CONNECTION_LOST_PREFIXES)
    # psycopg reports "connection refused" / "server closed the connection" without one.
    return type(error.orig) is psycopg.OperationalError


def is_database_unavailable(error: BaseException) -> bool:
    """What the API answers with 503 and Retry-After once it has stopped retrying."""
    return (
        isinstance(error, CommitOutcomeUnknown)
        or is_connection_lost(error)
        or is_lock_conflict(error)
    )

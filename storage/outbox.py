"""Outbox queries: claiming rows for delivery, recording the outcome, reading them in order.

Rows are delivered in id order, and no committed row is ever skipped. On SQLite writers
are serialized, so id order is commit order. On PostgreSQL a transaction can commit after
one that took a later id: readers stop at the first missing id until every transaction
that could still commit it has ended (`CommittedHorizon`), however long that takes.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Table, event, func, insert, text, update
from sqlmodel import Session, col, select

from storage.models import OutboxEvent
from storage.timestamps import utc_now

PENDING, DELIVERED, FAILED = "PENDING", "DELIVERED", "FAILED"
_OUTBOX_TABLE: Table = OutboxEvent.__table__  # type: ignore[attr-defined]
_INSERT_EVENTS = insert(_OUTBOX_TABLE)
_INSERT_EVENTS_OF_THIS_TRANSACTION = insert(_OUTBOX_TABLE).values(
    transaction_id=text("pg_current_xact_id()::text::bigint")
)

# Serializes claims on PostgreSQL (an arbitrary constant: "turnover outbox claim").
_CLAIM_LOCK_KEY = 0x7475726E6F7672

# In `Session.info`: this session flushed new outbox rows (or requeued some) since the
# last `take_new_work`, so its commit gives the relay and the streams something to read.
_NEW_WORK = "turnover.outbox_new_work"
# In `Session.info`: (root transaction, its PostgreSQL transaction id).
_TRANSACTION_ID = "turnover.transaction_id"


def _is_postgres(session: Session) -> bool:
    return session.get_bind().dialect.name == "postgresql"


@event.listens_for(Session, "before_flush")
def _note_new_rows(session: Session, _flush_context: object, _instances: object) -> None:
    new_rows = [row for row in session.new if isinstance(row, OutboxEvent)]
    if not new_rows:
        return
    session.info[_NEW_WORK] = True
    if _is_postgres(session):
        transaction_id = _transaction_id(session)
        for row in new_rows:
            row.transaction_id = transaction_id


def _transaction_id(session: Session) -> int:
    """This transaction's id, assigned now if it has none yet: always *before* the INSERT
    of this flush takes outbox ids from the sequence. `CommittedHorizon` relies on it."""
    root = session.get_transaction()
    cached = session.info.get(_TRANSACTION_ID)
    if cached is not None and cached[0] is root:
        return cached[1]
    query = text("SELECT pg_current_xact_id()::text::bigint")
    transaction_id = int(session.connection().execute(query).scalar_one())
    session.info[_TRANSACTION_ID] = (root, transaction_id)
    return transaction_id


def insert_events(
    session: Session, events: list[dict[str, Any]], *, transaction_has_written: bool = False
) -> None:
    """Insert outbox rows given as column values (one INSERT for all), in the order given,
    as the ORM's flush would: noted as new work for the consumers and, on PostgreSQL,
    stamped with the transaction's id, which it must have before the rows take ids from
    the sequence. `transaction_has_written`: the transaction has changed a row already, so
    it has its id, and the INSERT reads it itself (no query first)."""
    if not events:
        return
    session.info[_NEW_WORK] = True
    if not _is_postgres(session):
        session.connection().execute(_INSERT_EVENTS, events)
    elif transaction_has_written:
        session.connection().execute(_INSERT_EVENTS_OF_THIS_TRANSACTION, events)
    else:
        transaction_id = _transaction_id(session)
        events = [{**event, "transaction_id": transaction_id} for event in events]
        session.connection().execute(_INSERT_EVENTS, events)


def take_new_work(session: Session) -> bool:
    """Whether `session` wrote outbox rows for consumers since the last call (then forget)."""
    return session.info.pop(_NEW_WORK, False)


def max_id(session: Session) -> int:
    return session.exec(select(func.max(OutboxEvent.id))).one() or 0


def max_id_and_snapshot(session: Session) -> tuple[int, str | None]:
    """The newest outbox id and, on PostgreSQL, the snapshot it was read in (the running
    transactions that may still commit lower ids; see `events_committed_since`)."""
    if not _is_postgres(session):
        return max_id(session), None
    query = text("SELECT coalesce(max(id), 0), pg_current_snapshot()::text FROM outboxevent")
    newest, snapshot = session.execute(query).one()
    return int(newest), snapshot


def snapshot_finished(session: Session, snapshot: str) -> bool:
    """Every transaction that was running at `snapshot` has ended (PostgreSQL)."""
    query = text(
        "SELECT pg_snapshot_xmin(pg_current_snapshot())"
        " >= pg_snapshot_xmax(CAST(:s AS pg_snapshot))"
    )
    return bool(session.execute(query, {"s": snapshot}).scalar_one())


def events_committed_since(
    session: Session, *, hotel_id: int, snapshot: str, through_id: int
) -> list[OutboxEvent]:
    """A hotel's events with id <= `through_id` whose transaction had not committed at
    `snapshot` (PostgreSQL), in id order. Final once `snapshot_finished`."""
    committed_later = text(
        "outboxevent.transaction_id >= pg_snapshot_xmin(CAST(:s AS pg_snapshot))::text::bigint"
        " AND NOT pg_visible_in_snapshot(outboxevent.transaction_id::text::xid8,"
        " CAST(:s AS pg_snapshot))"
    ).bindparams(s=snapshot)
    return list(
        session.exec(
            select(OutboxEvent)
            .where(
                OutboxEvent.hotel_id == hotel_id,
                col(OutboxEvent.id) <= through_id,
                committed_later,
            )
            .order_by(col(OutboxEvent.id))
        )
    )


def relay_starting_point(session: Session) -> int:
    """Where a starting relay's `CommittedHorizon` begins: the last row it knows was dealt
    with before the oldest pending one (so a missing id just before that is a hole)."""
    lowest_pending = session.exec(
        select(func.min(OutboxEvent.id)).where(OutboxEvent.status == PENDING)
    ).one()
    if lowest_pending is None:
        return max_id(session)
    dealt_with = session.exec(
        select(func.max(OutboxEvent.id)).where(
            OutboxEvent.status != PENDING, col(OutboxEvent.id) < lowest_pending
        )
    ).one()
    return dealt_with or 0


def claim_pending(
    session: Session,
    *,
    relay_id: str,
    limit: int,
    lease_seconds: float,
    through_id: int,
    now: datetime | None = None,
) -> list[OutboxEvent]:
    """Lease up to `limit` pending rows (id <= `through_id`) to `relay_id`, oldest first.

    A channel some other relay holds a live lease on is skipped entirely, so one channel's
    events are only ever in one relay's hands and go out in order. Claims are serialized
    (SQLite: the write lock of the unit of work; PostgreSQL: an advisory transaction lock),
    so two relays never lease the same row. Call inside a write unit of work, then commit.
    `now` is the relay's clock (leases are compared with it).
    """
    if _is_postgres(session):
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _CLAIM_LOCK_KEY})
    now = now or utc_now()
    held_elsewhere = (
        select(OutboxEvent.channel)
        .where(
            OutboxEvent.status == PENDING,
            col(OutboxEvent.claimed_by).is_not(None),
            OutboxEvent.claimed_by != relay_id,
            col(OutboxEvent.claimed_until) > now,
        )
        .distinct()
    )
    rows = list(
        session.exec(
            select(OutboxEvent)
            .where(
                OutboxEvent.status == PENDING,
                col(OutboxEvent.id) <= through_id,
                col(OutboxEvent.channel).not_in(held_elsewhere),
            )
            .order_by(col(OutboxEvent.id))
            .limit(limit)
        )
    )
    if rows:
        session.execute(
            update(OutboxEvent)
            .where(col(OutboxEvent.id).in_([row.id for row in rows]))
            .values(claimed_by=relay_id, claimed_until=now + timedelta(seconds=lease_seconds))
        )
    return rows


def mark_delivered(session: Session, ids: list[int], now: datetime | None = None) -> None:
    session.execute(
        update(OutboxEvent)
        .where(col(OutboxEvent.id).in_(ids), OutboxEvent.status == PENDING)
        .values(
            status=DELIVERED,
            delivered_at=now or utc_now(),
            attempts=OutboxEvent.attempts + 1,
            last_error=None,
            claimed_by=None,
            claimed_until=None,
        )
    )


def mark_failed(session: Session, event_id: int, reason: str) -> None:
    """A permanent failure: the row leaves the queue (until `requeue_failed`)."""
    session.execute(
        update(OutboxEvent)
        .where(OutboxEvent.id == event_id, OutboxEvent.status == PENDING)
        .values(
            status=FAILED,
            attempts=OutboxEvent.attempts + 1,
            last_error=reason,
            claimed_by=None,
            claimed_until=None,
        )
    )


def release_after_error(session: Session, ids: list[int], error: str) -> None:
    """A delivery attempt failed for a passing reason: the rows stay pending, unclaimed."""
    session.execute(
        update(OutboxEvent)
        .where(col(OutboxEvent.id).in_(ids), OutboxEvent.status == PENDING)
        .values(
            attempts=OutboxEvent.attempts + 1,
            last_error=error[:2000],
            claimed_by=None,
            claimed_until=None,
        )
    )


def requeue_failed(session: Session) -> int:
    result = session.execute(
        update(OutboxEvent)
        .where(OutboxEvent.status == FAILED)
        .values(status=PENDING, claimed_by=None, claimed_until=None)
    )
    if result.rowcount:
        session.info[_NEW_WORK] = True
    return result.rowcount


@dataclass(frozen=True)
class OutboxStatus:
    counts: dict[str, int]
    oldest_pending_at: datetime | None


def outbox_status(session: Session) -> OutboxStatus:
    counts = dict.fromkeys((PENDING, DELIVERED, FAILED), 0)
    for status, count in session.exec(
        select(OutboxEvent.status, func.count()).group_by(OutboxEvent.status)
    ):
        counts[status] = count
    oldest = session.exec(
        select(func.min(OutboxEvent.created_at)).where(OutboxEvent.status == PENDING)
    ).one()
    return OutboxStatus(counts=counts, oldest_pending_at=oldest)


def hotel_events(
    session: Session, *, hotel_id: int, after_id: int, through_id: int, limit: int
) -> list[OutboxEvent]:
    """A hotel's events with after_id < id <= through_id, in id order (any status)."""
    return list(
        session.exec(
            select(OutboxEvent)
            .where(
                OutboxEvent.hotel_id == hotel_id,
                col(OutboxEvent.id) > after_id,
                col(OutboxEvent.id) <= through_id,
            )
            .order_by(col(OutboxEvent.id))
            .limit(limit)
        )
    )


class CommittedHorizon:
    """The highest outbox id such that every lower id is committed or never will be.

    A missing id below a visible one (a hole) is a transaction that rolled back, or one that
    is still running. On SQLite writers are serialized: a hole is a rollback, settled at once.
    On PostgreSQL a hole is settled once every transaction that was running when it was
    first seen has ended (`pg_snapshot_xmin` has passed the `pg_snapshot_xmax` noted then);
    until then readers stop below it, however long that takes.

    Why that is enough: ids come from a sequence, so the hole's id was taken before the
    visible higher one, i.e. before the read that saw the hole; and a transaction has its
    transaction id before it takes an outbox id (`_transaction_id`, or the rows it changed
    before its INSERT: `insert_events`). So a transaction that
    can still fill the hole was running, with an id below the xmax noted, when it was seen.
    """

    PAGE = 1000

    def __init__(self, through: int) -> None:
        self.through = through
        # hole's first id -> pg_snapshot_xmax when first seen
        self._holes: dict[int, int] = {}

    def advance(self, session: Session) -> int:
        postgres = _is_postgres(session)
        # Read the horizon of finished transactions *before* the ids: whatever had ended
        # by then is visible to the query below.
        finished_below = _snapshot_xmin(session) if postgres else None
        while True:
            ids = session.exec(
                select(OutboxEvent.id)
                .where(col(OutboxEvent.id) > self.through)
                .order_by(col(OutboxEvent.id))
                .limit(self.PAGE)
            ).all()
            for event_id in ids:
                assert event_id is not None
                if event_id > self.through + 1 and not self._hole_settled(
                    session, self.through + 1, finished_below
                ):
                    return self.through
                self.through = event_id
            if len(ids) < self.PAGE:
                self._holes = {
                    start: seen for start, seen in self._holes.items() if start > self.through
                }
                return self.through

    def _hole_settled(self, session: Session, start: int, finished_below: int | None) -> bool:
        if finished_below is None:
            return True
        running_below = self._holes.get(start)
        if running_below is None:
            self._holes[start] = _snapshot_xmax(session)
            return False
        return finished_below >= running_below


def _snapshot_xmin(session: Session) -> int:
    """Every transaction with a lower id has ended."""
    return _snapshot_field(session, "xmin")


def _snapshot_xmax(session: Session) -> int:
    """No transaction with this id or a higher one had started."""
    return _snapshot_field(session, "xmax")


def _snapshot_field(session: Session, field: str) -> int:
    query = text(f"SELECT pg_snapshot_{field}(pg_current_snapshot())::text::bigint")
    return int(session.execute(query).scalar_one())

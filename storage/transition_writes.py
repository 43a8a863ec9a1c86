"""The writes of a transition, as SQLAlchemy Core statements on the session's connection.

The ORM adds nothing to them: a transition's row changes are known column values, and its
audit and outbox rows are inserted and never read back in the same transaction. Going
around the ORM's unit of work saves most of a transition's cost (the state-change write of
the compare-and-set, then one UPDATE of the columns the hooks changed, then the audit and
outbox rows in one multi-row INSERT each, however many transitions they are for).
"""

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Table, bindparam, insert, update
from sqlalchemy.engine import CursorResult
from sqlalchemy.orm import InstanceState
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.sql.dml import Update
from sqlmodel import Session, SQLModel

from storage import outbox
from storage.models import TransitionLog

LOG_TABLE: Table = TransitionLog.__table__  # type: ignore[attr-defined]
_INSERT_LOGS = insert(LOG_TABLE)
_ROW_ID = "row_id_"
_EXPECTED = "expected_"

# Built once: a statement built per call costs more than its execution on SQLite.
_compare_and_set_statements: dict[tuple[Table, str], Update] = {}
_column_update_statements: dict[tuple[Table, tuple[str, ...]], Update] = {}


def compare_and_set(session: Session, row: SQLModel, column: str, expected: str, new: str) -> bool:
    """`UPDATE <table> SET <column> = new WHERE id = <row's> AND <column> = expected`;
    whether it matched the row (the row's attribute is left to the caller)."""
    table: Table = type(row).__table__  # type: ignore[attr-defined]
    statement = _compare_and_set_statements.get((table, column))
    if statement is None:
        statement = (
            update(table)
            .where(table.c.id == bindparam(_ROW_ID), table.c[column] == bindparam(_EXPECTED))
            .values({column: bindparam(column)})
        )
        _compare_and_set_statements[(table, column)] = statement
    params = {_ROW_ID: row.id, _EXPECTED: expected, column: new}  # type: ignore[attr-defined]
    claimed: CursorResult = session.connection().execute(statement, params)  # type: ignore[assignment]
    return claimed.rowcount == 1


class BoundRow:
    """The row a machine is bound to, as python-statemachine's `model`: attributes are read
    from the row. While the machine's transition runs (`capture` to `write_changes`), a
    write to one of its columns (the machine's state, a hook's change) is set on the row as
    already written, so the ORM never writes it, and kept until `write_changes` writes the
    lot with one UPDATE; each value it replaces is noted in `records`, to be put back if the
    transition is undone. Any other write (outside the transition, or not to a column) goes
    to the row as usual, for the ORM to write."""

    __slots__ = ("_capturing", "_changes", "_columns", "_records", "_row")

    def __init__(self, row: SQLModel, records: "PendingRecords") -> None:
        # Rows not in the database yet (no identity) are the ORM's to write.
        state: InstanceState | None = getattr(row, "_sa_instance_state", None)
        columns = state.mapper.columns if state is not None and state.has_identity else {}
        object.__setattr__(self, "_row", row)
        object.__setattr__(self, "_columns", columns)
        object.__setattr__(self, "_changes", {})
        object.__setattr__(self, "_records", records)
        object.__setattr__(self, "_capturing", False)

    @property
    def row(self) -> SQLModel:
        return self._row

    def __getattr__(self, name: str) -> Any:
        return getattr(self._row, name)

    def __setattr__(self, name: str, value: Any) -> None:
        if not self._capturing or name not in self._columns:
            setattr(self._row, name, value)
            return
        self._records.undo.append((self, name, getattr(self._row, name)))
        set_committed_value(self._row, name, value)
        self._changes[name] = value

    def capture(self) -> None:
        """The machine's transition starts (its state is claimed)."""
        object.__setattr__(self, "_capturing", True)

    def stop_capturing(self) -> None:
        """The transition failed: what it changed is put back through `records`."""
        object.__setattr__(self, "_capturing", False)

    def put_back(self, name: str, value: Any) -> None:
        """Undo a write of `name` not written yet, or written and being rolled back."""
        set_committed_value(self._row, name, value)
        self._changes.pop(name, None)

    def __dir__(self) -> list[str]:
        return dir(self._row)

    def __repr__(self) -> str:
        return repr(self._row)

    def write_changes(self, session: Session, *, written: str) -> None:
        """Write the columns changed during the transition, but `written` (the state column
        the compare-and-set has written already), with one UPDATE (now, or with the other
        rows' when `records` batches writes); the transition's writes end here."""
        object.__setattr__(self, "_capturing", False)
        changes = {k: v for k, v in self._changes.items() if k != written}
        self._changes.clear()
        if changes:
            statement = _column_update(type(self._row).__table__, tuple(sorted(changes)))  # type: ignore[attr-defined]
            params = {_ROW_ID: self._row.id, **changes}  # type: ignore[attr-defined]
            self._records.execute(session, statement, params)


def _column_update(table: Table, keys: tuple[str, ...]) -> Update:
    statement = _column_update_statements.get((table, keys))
    if statement is None:
        statement = (
            update(table)
            .where(table.c.id == bindparam(_ROW_ID))
            .values({table.c[key]: bindparam(key) for key in keys})
        )
        _column_update_statements[(table, keys)] = statement
    return statement


@dataclass
class PendingRecords:
    """Audit rows (`TransitionLog`) and outbox rows (`OutboxEvent`) of transitions, as
    column values, written together when the outermost `collecting` block ends: one INSERT
    per table for all of them. A block that raises drops the rows added inside it (its
    transitions are rolled back with it)."""

    logs: list[dict[str, Any]] = field(default_factory=list)
    events: list[dict[str, Any]] = field(default_factory=list)
    # (row, column, value it had): what `BoundRow`s changed, in order.
    undo: list[tuple[BoundRow, str, Any]] = field(default_factory=list)
    # Batching writes (see `execute`): the statements held back, with their parameters.
    batch_writes: bool = False
    held: list[tuple[Any, dict[str, Any]]] = field(default_factory=list)
    depth: int = 0
    # A compare-and-set has changed a row in this transaction (so, on PostgreSQL, it has a
    # transaction id before the outbox rows take ids: `outbox.insert_events`).
    claimed: bool = False

    def add(self, log: dict[str, Any], event: dict[str, Any]) -> None:
        self.logs.append(log)
        self.events.append(event)

    def record(self, session: Session, log: dict[str, Any], event: dict[str, Any]) -> None:
        """`add`, written at once when no `collecting` block is open: an audit row and its
        event recorded outside a transition keep their place among the transitions'."""
        self.add(log, event)
        if self.depth == 0:
            self.write(session)

    def execute(self, session: Session, statement: Any, params: dict[str, Any]) -> None:
        """A write nothing reads back before the commit: run now or, when this batches
        writes, held back and run with the same statement's other parameters in one
        `executemany` when the outermost block ends."""
        if self.batch_writes:
            self.held.append((statement, params))
        else:
            session.connection().execute(statement, params)

    def mark(self) -> tuple[int, int, int]:
        return len(self.logs), len(self.undo), len(self.held)

    def drop_after(self, mark: tuple[int, int, int]) -> None:
        """Forget the rows recorded since `mark`, and put the values rows had then back
        (their transitions are being rolled back: the database will have them again)."""
        records, changes, held = mark
        del self.logs[records:]
        del self.events[records:]
        for row, column, value in reversed(self.undo[changes:]):
            row.put_back(column, value)
        del self.undo[changes:]
        del self.held[held:]

    @contextmanager
    def collecting(self, session: Session) -> Iterator["PendingRecords"]:
        mark = self.mark()
        self.depth += 1
        try:
            yield self
        except BaseException:
            self.drop_after(mark)
            raise
        finally:
            self.depth -= 1
        if self.depth == 0:
            self.write(session)

    def write(self, session: Session) -> None:
        held, logs, events = self.held, self.logs, self.events
        self.held, self.logs, self.events, self.undo = [], [], [], []
        _run_held(session, held)
        if not logs:
            return
        session.connection().execute(_INSERT_LOGS, logs)
        outbox.insert_events(session, events, transaction_has_written=self.claimed)


def _run_held(session: Session, held: list[tuple[Any, dict[str, Any]]]) -> None:
    """Each statement once, with all its parameters, in the order statements first came.
    That is the order they came in if no row gets two different statements: true of the
    hooks' statements of a bulk checkout (each room's touch that room's rows only), and
    checked here for the rows' column updates (a row updated twice with different columns
    makes every statement run in the order it came)."""
    connection = session.connection()
    if _a_row_updated_twice(held):
        for statement, params in held:
            connection.execute(statement, params)
        return
    by_statement: dict[Any, list[dict[str, Any]]] = {}
    for statement, params in held:
        by_statement.setdefault(statement, []).append(params)
    for statement, all_params in by_statement.items():
        connection.execute(statement, all_params)


def _a_row_updated_twice(held: list[tuple[Any, dict[str, Any]]]) -> bool:
    updated: dict[tuple[Table, Any], Any] = {}
    for statement, params in held:
        if _ROW_ID not in params:
            continue
        key = (statement.table, params[_ROW_ID])
        if updated.setdefault(key, statement) is not statement:
            return True
    return False

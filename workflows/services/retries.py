"""Retrying an operation that lost a race: the retry sees the winner's state.

- A compare-and-set that lost (`ConcurrentTransition`): retried where it happened, also
  inside a savepoint of a larger transaction (bulk checkout retries one room).
- A deadlock or serialization failure: the database has rolled back the whole transaction,
  so only the function that opened it (the outermost unit of work) runs it again; called
  inside another unit of work, the error goes up to that one's owner.
"""

from tenacity import RetryCallState, retry, stop_after_attempt, wait_random

from storage.transient_errors import is_lock_conflict
from storage.unit_of_work import inside_unit_of_work
from workflows.machines.errors import ConcurrentTransition

ATTEMPTS = 5


def _lost_a_race(state: RetryCallState) -> bool:
    error = state.outcome.exception() if state.outcome else None
    if isinstance(error, ConcurrentTransition):
        return True
    return error is not None and is_lock_conflict(error) and not inside_unit_of_work()


def _wait(state: RetryCallState) -> float:
    """No wait after a lost compare-and-set (the winner has committed); a few random
    milliseconds after a deadlock, so the two transactions do not meet again in step."""
    error = state.outcome.exception() if state.outcome else None
    return 0.0 if isinstance(error, ConcurrentTransition) else wait_random(0, 0.05)(state)


retry_on_conflict = retry(
    retry=_lost_a_race, stop=stop_after_attempt(ATTEMPTS), wait=_wait, reraise=True
)

"""Retrying an operation whose compare-and-set lost a race: the retry sees the winner's state."""

from tenacity import retry, retry_if_exception_type, stop_after_attempt

from workflows.machines.errors import ConcurrentTransition

retry_on_conflict = retry(
    retry=retry_if_exception_type(ConcurrentTransition),
    stop=stop_after_attempt(5),
    reraise=True,
)

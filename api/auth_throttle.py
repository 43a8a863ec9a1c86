"""Failed authentication is slowed down per client address and per username.

A client that presented wrong credentials too often in a sliding window is answered
`429 TOO_MANY_ATTEMPTS` with `Retry-After`, without the credentials being checked, until
its oldest failure leaves the window. Only failures count (a request without credentials
is not a guess, a success is not counted), and only that address or username waits:
nobody else is slowed down, and nothing sleeps in the server.

The counters live in the process (each API worker counts on its own). The `limits`
library's in-memory storage would do the counting, but it reads the wall clock in a dozen
places and runs a timer thread; the window here takes its clock as a parameter, so tests
move time instead of waiting for it.
"""

import math
import threading
import time
from collections import OrderedDict, deque
from collections.abc import Callable
from dataclasses import dataclass

from fastapi import Request

from api.errors import ApiError
from config.settings import Settings, get_settings
from workflows.machines.errors import TOO_MANY_ATTEMPTS

Clock = Callable[[], float]
# Enough for a real attack from many addresses; beyond it the longest-idle keys are dropped.
MAX_KEYS = 100_000


class FailureWindow:
    """At most `limit` failures per key within `window` seconds (a sliding window)."""

    def __init__(self, limit: int, window: float, clock: Clock, max_keys: int = MAX_KEYS):
        self.limit, self.window, self.clock, self.max_keys = limit, window, clock, max_keys
        self._failures: OrderedDict[str, deque[float]] = OrderedDict()
        self._lock = threading.Lock()

    def retry_after(self, key: str) -> float | None:
        """Seconds `key` must wait before its next attempt, or None when it may go on."""
        with self._lock:
            failures = self._recent(key)
            if self.limit <= 0 or len(failures) < self.limit:
                return None
            return failures[-self.limit] + self.window - self.clock()

    def record_failure(self, key: str) -> None:
        if self.limit <= 0:  # switched off
            return
        with self._lock:
            failures = self._recent(key)
            failures.append(self.clock())
            self._failures[key] = failures
            self._failures.move_to_end(key)
            while len(self._failures) > self.max_keys:
                self._failures.popitem(last=False)

    def _recent(self, key: str) -> deque[float]:
        failures = self._failures.get(key, deque())
        horizon = self.clock() - self.window
        while failures and failures[0] <= horizon:
            failures.popleft()
        if not failures:
            self._failures.pop(key, None)
        return failures


@dataclass
class AuthThrottles:
    by_address: FailureWindow
    by_username: FailureWindow

    @classmethod
    def from_settings(cls, settings: Settings, clock: Clock = time.monotonic) -> "AuthThrottles":
        return cls(
            FailureWindow(
                settings.auth_max_failures_per_address, settings.auth_address_window_seconds, clock
            ),
            FailureWindow(
                settings.auth_max_failures_per_username,
                settings.auth_username_window_seconds,
                clock,
            ),
        )

    def check(self, address: str, username: str | None = None) -> None:
        """Raise 429 when the address (or the username) has failed too often."""
        waits = [self.by_address.retry_after(address)]
        if username is not None:
            waits.append(self.by_username.retry_after(username.casefold()))
        wait = max((w for w in waits if w is not None), default=None)
        if wait is not None:
            seconds = max(1, math.ceil(wait))
            raise ApiError(
                TOO_MANY_ATTEMPTS,
                f"Too many failed sign-in attempts; try again in {seconds} s",
                headers={"Retry-After": str(seconds)},
            )

    def record_failure(self, address: str, username: str | None = None) -> None:
        self.by_address.record_failure(address)
        if username is not None:
            self.by_username.record_failure(username.casefold())


_creating = threading.Lock()


def throttles_of(request: Request) -> AuthThrottles:
    """The app's throttles (made on first use, so every app instance counts on its own)."""
    state = request.app.state
    with _creating:
        if getattr(state, "auth_throttles", None) is None:
            state.auth_throttles = AuthThrottles.from_settings(get_settings())
    return state.auth_throttles


def client_address(request: Request) -> str:
    return request.client.host if request.client else "unknown"

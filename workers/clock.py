"""The time workers schedule by (retries, leases, the 5-day rule): injectable, so tests
move it instead of waiting."""

from datetime import datetime
from typing import Protocol

from storage.timestamps import utc_now


class Clock(Protocol):
    def now(self) -> datetime:
        """Aware UTC."""
        ...


class SystemClock:
    def now(self) -> datetime:
        return utc_now()


SYSTEM_CLOCK = SystemClock()

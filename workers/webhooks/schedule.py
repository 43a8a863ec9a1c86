"""When a failed delivery is tried again, and when an endpoint has failed long enough."""

import random
from datetime import timedelta

# Before attempt 1, 2, ... 8: immediately, 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h.
RETRY_DELAYS = (0, 5, 5 * 60, 30 * 60, 2 * 3600, 5 * 3600, 10 * 3600, 10 * 3600)
MAX_ATTEMPTS = len(RETRY_DELAYS)
# Each delay is stretched or shrunk by up to this fraction, so that deliveries that failed
# together (an endpoint's outage) do not all come back at the same instant.
JITTER = 0.1
# An endpoint whose attempts have all failed for this long is disabled.
DISABLE_AFTER = timedelta(days=5)


def retry_delay(failed_attempts: int, rng: random.Random) -> timedelta | None:
    """How long after attempt number `failed_attempts` failed to try again; None when it
    was the last one."""
    if failed_attempts >= MAX_ATTEMPTS:
        return None
    seconds = RETRY_DELAYS[failed_attempts]
    return timedelta(seconds=seconds * rng.uniform(1 - JITTER, 1 + JITTER))

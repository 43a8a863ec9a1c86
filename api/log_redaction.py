"""Keeps bearer tokens out of the logs. EventSource clients cannot send headers, so they
pass their token as `?token=` (api/realtime/stream_auth.py); uvicorn's access log would
print it with the path."""

import logging
import re

TOKEN_IN_QUERY = re.compile(r"([?&]token=)[^&\s]*", re.IGNORECASE)
REDACTED = "[redacted]"


def redact(text: str) -> str:
    return TOKEN_IN_QUERY.sub(rf"\g<1>{REDACTED}", text)


class RedactQueryTokens(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, str):
            record.msg = redact(record.msg)
        if isinstance(record.args, tuple):
            record.args = tuple(redact(a) if isinstance(a, str) else a for a in record.args)
        return True


def redact_tokens_in_access_log() -> None:
    """Install the filter on uvicorn's access logger (once; uvicorn's own logging set-up,
    which runs before the app is created, keeps a logger's filters)."""
    access_log = logging.getLogger("uvicorn.access")
    if not any(isinstance(f, RedactQueryTokens) for f in access_log.filters):
        access_log.addFilter(RedactQueryTokens())

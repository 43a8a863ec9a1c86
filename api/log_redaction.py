"""Keeps bearer tokens out of the logs. EventSource clients cannot send headers, so they
pass their token as `?token=` (api/realtime/stream_auth.py); uvicorn's access log would
print it with the path, as the client spelled it.

A parameter is redacted when its name, decoded as the server decodes it (percent-escapes
and `+`, what Starlette's query parsing does), is `token` in any case: `?%74oken=...`
authenticates exactly as `?token=...` does, so it is redacted too.
"""

import logging
import re
from urllib.parse import unquote_plus

# A query parameter: after `?` or `&`, a name, `=`, a value (up to the next `&` or space).
QUERY_PARAMETER = re.compile(r"(?P<lead>[?&])(?P<name>[^=&\s]*)=(?P<value>[^&\s]*)")
SECRET_PARAMETERS = frozenset({"token"})
REDACTED = "[redacted]"


def _redact_parameter(match: re.Match[str]) -> str:
    if unquote_plus(match["name"]).lower() not in SECRET_PARAMETERS:
        return match[0]
    return f"{match['lead']}{match['name']}={REDACTED}"


def redact(text: str) -> str:
    return QUERY_PARAMETER.sub(_redact_parameter, text)


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

"""Firebase Cloud Messaging, HTTP v1: one message to one device, authorized by an OAuth2
token that `google-auth` obtains (and renews) from a service account.

`send` answers what to do next: sent, drop the token (UNREGISTERED, INVALID_ARGUMENT: it
will never work), retry later (429, 5xx, network trouble; with the server's Retry-After) or
give up. The device token is never logged nor put in an error text.
"""

import email.utils
import json
import logging
import threading
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import google.auth.transport.requests
import httpx
from google.auth.exceptions import GoogleAuthError
from google.oauth2 import service_account

log = logging.getLogger("turnover.notifier")

SCOPE = "https://www.googleapis.com/auth/firebase.messaging"
# errorCode values that mean this token can never receive a message.
DEAD_TOKEN_CODES = frozenset({"UNREGISTERED", "INVALID_ARGUMENT", "SENDER_ID_MISMATCH"})
RETRYABLE_STATUSES = frozenset({429, 500, 502, 503, 504})


@dataclass(frozen=True)
class SendResult:
    outcome: str  # SENT | DROP | RETRY | FAIL
    detail: str = ""
    retry_after_seconds: float | None = None


SENT, DROP, RETRY, FAIL = "SENT", "DROP", "RETRY", "FAIL"


class FcmClient:
    def __init__(
        self, credentials_file: str | Path, base_url: str, timeout_seconds: float = 10.0
    ) -> None:
        info = json.loads(Path(credentials_file).read_text())
        self.project_id: str = info["project_id"]
        self._credentials = service_account.Credentials.from_service_account_info(
            info, scopes=[SCOPE]
        )
        self._auth_request = _TokenRequest(timeout_seconds)
        self._token_lock = threading.Lock()
        self._url = f"{base_url.rstrip('/')}/v1/projects/{self.project_id}/messages:send"
        self._http = httpx.Client(timeout=timeout_seconds, trust_env=False)

    def close(self) -> None:
        self._http.close()

    def send(self, device_token: str, title: str, body: str) -> SendResult:
        message = {
            "message": {"token": device_token, "notification": {"title": title, "body": body}}
        }
        try:
            response = self._post(message, renew=False)
            if response.status_code == 401:  # the token was revoked or expired early
                response = self._post(message, renew=True)
        except GoogleAuthError as error:
            return SendResult(RETRY, f"OAuth token not obtained: {type(error).__name__}")
        except httpx.HTTPError as error:
            return SendResult(RETRY, f"{type(error).__name__}: {error}")
        return _result(response)

    def _post(self, message: dict[str, Any], *, renew: bool) -> httpx.Response:
        headers = {"authorization": f"Bearer {self._access_token(renew)}"}
        return self._http.post(self._url, json=message, headers=headers)

    def _access_token(self, renew: bool) -> str:
        with self._token_lock:
            if renew or not self._credentials.valid:
                self._credentials.refresh(self._auth_request)
            return self._credentials.token  # type: ignore[no-any-return]


class _TokenRequest(google.auth.transport.requests.Request):
    """google-auth's HTTP transport, with a timeout on token requests (its default: 120 s)."""

    def __init__(self, timeout_seconds: float) -> None:
        super().__init__()
        self.timeout_seconds = timeout_seconds

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        kwargs.setdefault("timeout", self.timeout_seconds)
        return super().__call__(*args, **kwargs)


def _result(response: httpx.Response) -> SendResult:
    status = response.status_code
    if status == 200:
        try:
            return SendResult(SENT, str(response.json().get("name", "")))
        except (ValueError, AttributeError):
            return SendResult(SENT)
    error_code, error_status = _error_codes(response)
    detail = f"HTTP {status} {error_code or error_status}".strip()
    if error_code in DEAD_TOKEN_CODES or error_status == "INVALID_ARGUMENT":
        return SendResult(DROP, detail)
    if status in RETRYABLE_STATUSES or status == 401:
        return SendResult(RETRY, detail, _retry_after(response))
    return SendResult(FAIL, detail)


def _error_codes(response: httpx.Response) -> tuple[str, str]:
    """(FcmError errorCode, google.rpc status) of an error answer, "" when absent."""
    try:
        answer = response.json()
    except ValueError:
        return "", ""
    error = answer.get("error") if isinstance(answer, dict) else None
    if not isinstance(error, dict):
        return "", ""
    codes = [
        detail.get("errorCode", "")
        for detail in error.get("details", [])
        if isinstance(detail, dict) and detail.get("@type", "").endswith("FcmError")
    ]
    return (codes[0] if codes else ""), str(error.get("status", ""))


def _retry_after(response: httpx.Response) -> float | None:
    """Retry-After in seconds: a number of seconds or an HTTP date."""
    value = response.headers.get("retry-after")
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - datetime.now(UTC)).total_seconds())

"""Google's OAuth2 token endpoint and FCM's HTTP v1 send endpoint, on loopback.

`/token` checks the service account's signed JWT grant (RS256, with the public half of
the generated key) and issues bearer tokens; `/v1/projects/{id}/messages:send` accepts a
message only with a token it issued and not revoked, and answers what `answer` says.
"""

import json
import threading
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from google.auth import jwt

PROJECT_ID = "turnover-test"
CLIENT_EMAIL = "notifier@turnover-test.iam.gserviceaccount.com"
JWT_GRANT = "urn:ietf:params:oauth:grant-type:jwt-bearer"
SCOPE = "https://www.googleapis.com/auth/firebase.messaging"
# The audience google-auth puts in the grant, whatever the token URI (as Google expects).
GOOGLE_TOKEN_AUDIENCE = "https://oauth2.googleapis.com/token"


@dataclass(frozen=True)
class Sent:
    path: str
    token: str  # the bearer token used
    body: dict[str, Any]


Answer = tuple[int, dict[str, Any], dict[str, str]]


def fcm_error(status: int, rpc_status: str, error_code: str | None = None) -> dict[str, Any]:
    details = []
    if error_code:
        details = [
            {
                "@type": "type.googleapis.com/google.firebase.fcm.v1.FcmError",
                "errorCode": error_code,
            }
        ]
    return {
        "error": {
            "code": status,
            "message": rpc_status.lower(),
            "status": rpc_status,
            "details": details,
        }
    }


class FcmStandin:
    def __init__(self) -> None:
        self.key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.expires_in = 3600
        self.grants = 0
        self.valid_tokens: set[str] = set()
        self.sent: list[Sent] = []
        self.answer: Callable[[Sent], Answer] = lambda sent: (
            200,
            {"name": f"projects/{PROJECT_ID}/messages/{len(self.sent)}"},
            {},
        )
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None

    def start(self) -> "FcmStandin":
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()

    @property
    def base_url(self) -> str:
        assert self._server is not None
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def revoke_tokens(self) -> None:
        with self._lock:
            self.valid_tokens.clear()

    def write_service_account(self, folder: Path) -> Path:
        pem = self.key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        ).decode()
        info = {
            "type": "service_account",
            "project_id": PROJECT_ID,
            "private_key_id": "test-key-1",
            "private_key": pem,
            "client_email": CLIENT_EMAIL,
            "client_id": "1234567890",
            "token_uri": f"{self.base_url}/token",
        }
        path = folder / "service-account.json"
        path.write_text(json.dumps(info))
        return path

    def _public_pem(self) -> bytes:
        return self.key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )

    def _grant(self, form: dict[str, list[str]]) -> tuple[int, dict[str, Any]]:
        if form.get("grant_type") != [JWT_GRANT]:
            return 400, {"error": "unsupported_grant_type"}
        try:
            claims = jwt.decode(
                form["assertion"][0], certs=self._public_pem(), audience=GOOGLE_TOKEN_AUDIENCE
            )
        except (ValueError, KeyError) as error:
            return 400, {"error": "invalid_grant", "error_description": str(error)}
        if claims.get("iss") != CLIENT_EMAIL or claims.get("scope") != SCOPE:
            return 400, {"error": "invalid_scope"}
        with self._lock:
            self.grants += 1
            token = f"ya29.test-{self.grants}"
            self.valid_tokens.add(token)
        return 200, {"access_token": token, "expires_in": self.expires_in, "token_type": "Bearer"}

    def _send(self, path: str, authorization: str, body: bytes) -> Answer:
        token = authorization.removeprefix("Bearer ")
        with self._lock:
            authorized = token in self.valid_tokens
        if not authorized:
            return 401, fcm_error(401, "UNAUTHENTICATED"), {}
        sent = Sent(path, token, json.loads(body))
        with self._lock:
            self.sent.append(sent)
        return self.answer(sent)

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        standin = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("content-length", "0")))
                headers: dict[str, str] = {}
                if self.path == "/token":
                    status, answer = standin._grant(parse_qs(body.decode()))
                elif self.path == f"/v1/projects/{PROJECT_ID}/messages:send":
                    authorization = self.headers.get("authorization", "")
                    status, answer, headers = standin._send(self.path, authorization, body)
                else:
                    status, answer = 404, {"error": "not found"}
                data = json.dumps(answer).encode()
                self.send_response(status)
                for name, value in {"content-type": "application/json", **headers}.items():
                    self.send_header(name, value)
                self.send_header("content-length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args: Any) -> None:
                pass

        return Handler

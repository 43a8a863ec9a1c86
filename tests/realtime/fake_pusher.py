"""A Pusher HTTP API stand-in on loopback that checks request signing as Pusher does.

Pusher's rule: the query holds auth_key, auth_timestamp, auth_version=1.0, body_md5 (hex MD5
of the body) and auth_signature = hex HMAC-SHA256(secret, "POST\\n<path>\\n<query>"), where
<query> is every other parameter, keys lower-cased and sorted, joined as k=v with '&'.
"""

import hashlib
import hmac
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

APP_ID, KEY, SECRET = "4242", "test-key", "test-secret"
MAX_EVENTS_PER_BATCH = 10
MAX_DATA_BYTES = 10240
TIMESTAMP_TOLERANCE_SECONDS = 600
ANSWER_HOLD_CEILING_SECONDS = 120  # a held answer is released by then even if a test forgets


def expected_signature(secret: str, method: str, path: str, query: dict[str, str]) -> str:
    params = sorted((k.lower(), v) for k, v in query.items() if k != "auth_signature")
    to_sign = "\n".join([method, path, "&".join(f"{k}={v}" for k, v in params)])
    return hmac.new(secret.encode(), to_sign.encode(), hashlib.sha256).hexdigest()


def signing_problem(path: str, query: dict[str, str], body: bytes) -> str | None:
    if query.get("auth_key") != KEY:
        return "unknown auth_key"
    if query.get("auth_version") != "1.0":
        return "auth_version must be 1.0"
    try:
        skew = abs(time.time() - int(query.get("auth_timestamp", "")))
    except ValueError:
        return "auth_timestamp missing"
    if skew > TIMESTAMP_TOLERANCE_SECONDS:
        return "auth_timestamp too far from now"
    if query.get("body_md5") != hashlib.md5(body).hexdigest():
        return "body_md5 does not match the body"
    wanted = expected_signature(SECRET, "POST", path, query)
    if not hmac.compare_digest(query.get("auth_signature", ""), wanted):
        return "Invalid signature"
    return None


class FakePusher:
    """Modes: "ok" records batches; "error" answers 500; stop()/start() refuses connections.
    `answers.clear()` holds every answer (after recording the batch) until `answers.set()`.
    """

    def __init__(self, request_delay: float = 0.0) -> None:
        self.events: list[dict[str, Any]] = []
        self.requests = 0
        self.rejected_signatures = 0
        self.mode = "ok"
        self.request_delay = request_delay
        self.answers = threading.Event()
        self.answers.set()
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None
        self.port = 0

    def start(self) -> "FakePusher":
        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), self._handler())
        self.port = self._server.server_address[1]
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def client_options(self) -> dict[str, Any]:
        return {
            "app_id": APP_ID,
            "key": KEY,
            "secret": SECRET,
            "host": "127.0.0.1",
            "port": self.port,
            "ssl": False,
            "timeout": 30,  # generous: a test about timeouts sets its own
        }

    def names_and_ids(self) -> list[tuple[str, int]]:
        return [(e["name"], json.loads(e["data"])["event_id"]) for e in self.events]

    def _receive(self, path: str, query: dict[str, str], body: bytes) -> tuple[int, dict]:
        if self.request_delay:
            time.sleep(self.request_delay)
        with self._lock:
            self.requests += 1
            if self.mode == "error":
                return 500, {"error": "internal error"}
            problem = signing_problem(path, query, body)
            if problem:
                self.rejected_signatures += 1
                return 401, {"error": problem}
            if path != f"/apps/{APP_ID}/batch_events":
                return 404, {"error": "unknown path"}
            batch = json.loads(body)["batch"]
            if len(batch) > MAX_EVENTS_PER_BATCH:
                return 400, {"error": "batch too large"}
            if any(len(e["data"].encode()) > MAX_DATA_BYTES for e in batch):
                return 413, {"error": "event data too large"}
            self.events.extend(batch)
            return 200, {}

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                url = urlsplit(self.path)
                body = self.rfile.read(int(self.headers.get("content-length", 0)))
                status, answer = fake._receive(url.path, dict(parse_qsl(url.query)), body)
                fake.answers.wait(ANSWER_HOLD_CEILING_SECONDS)
                encoded = json.dumps(answer).encode()
                self.send_response(status)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(encoded)))
                self.end_headers()
                self.wfile.write(encoded)

            def log_message(self, *args: Any) -> None:
                pass

        return Handler

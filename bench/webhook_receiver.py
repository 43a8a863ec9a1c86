"""A webhook receiver for the benchmarks, in its own process: verifies every signature with
the `standardwebhooks` library, counts deliveries per path and duplicates; `/hang/...`
never answers (until the sender gives up). `GET /stats` reads the counters.

Run: `python -m bench.webhook_receiver SECRET...` prints the port, serves until its stdin
closes.
"""

import json
import subprocess
import sys
import threading
import time
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.request import urlopen

from standardwebhooks import Webhook, WebhookVerificationError


class ReceiverState:
    def __init__(self, secrets: list[str]) -> None:
        self.verifiers = [Webhook(secret) for secret in secrets]
        self.by_path: Counter[str] = Counter()
        self.ids: set[str] = set()
        self.duplicates = 0
        self.bad_signatures = 0
        self.lock = threading.Lock()

    def receive(self, path: str, headers: dict[str, str], body: bytes) -> None:
        verified = False
        for verifier in self.verifiers:
            try:
                verifier.verify(body, headers, json_parse=False)
                verified = True
                break
            except WebhookVerificationError:
                continue
        with self.lock:
            self.by_path[path] += 1
            self.bad_signatures += not verified
            webhook_id = headers.get("webhook-id", "")
            self.duplicates += webhook_id in self.ids
            self.ids.add(webhook_id)

    def stats(self) -> dict[str, Any]:
        with self.lock:
            return {
                "by_path": dict(self.by_path),
                "duplicates": self.duplicates,
                "bad_signatures": self.bad_signatures,
            }


def serve(state: ReceiverState) -> ThreadingHTTPServer:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        disable_nagle_algorithm = True

        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("content-length", "0")))
            if self.path.startswith("/hang"):
                time.sleep(3600)  # a daemon thread: ends with the process
                return
            headers = {k.lower(): v for k, v in self.headers.items()}
            state.receive(self.path, headers, body)
            self.send_response(200)
            self.send_header("content-length", "0")
            self.end_headers()

        def do_GET(self) -> None:
            encoded = json.dumps(state.stats()).encode()
            self.send_response(200)
            self.send_header("content-length", str(len(encoded)))
            self.end_headers()
            self.wfile.write(encoded)

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


class ReceiverProcess:
    """The receiver in a child process (not sharing the worker's interpreter lock)."""

    def __init__(self, secrets: list[str]) -> None:
        self.secrets = secrets

    def __enter__(self) -> "ReceiverProcess":
        self.process = subprocess.Popen(
            [sys.executable, "-m", "bench.webhook_receiver", *self.secrets],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self.process.stdout is not None
        self.port = int(self.process.stdout.readline())
        return self

    def __exit__(self, *_: Any) -> None:
        assert self.process.stdin is not None
        self.process.stdin.close()
        self.process.wait(10)

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def stats(self) -> dict[str, Any]:
        with urlopen(f"http://127.0.0.1:{self.port}/stats", timeout=10) as answer:
            return json.loads(answer.read())


def main() -> None:
    server = serve(ReceiverState(sys.argv[1:]))
    print(server.server_address[1], flush=True)
    sys.stdin.read()  # until the parent closes our stdin
    server.shutdown()


if __name__ == "__main__":
    main()

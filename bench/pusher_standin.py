"""The signing-checking Pusher stand-in of the tests (tests/realtime/fake_pusher.py), run in
its own process so that it does not share the relay's interpreter lock, with arrival times
recorded per event and `GET /stats` to read them (`GET /reset` also forgets the arrivals).

Run: `python -m bench.pusher_standin` prints the port, serves until its stdin closes.
"""

import json
import subprocess
import sys
import time
from typing import Any
from urllib.request import urlopen

from tests.realtime.fake_pusher import APP_ID, KEY, SECRET, FakePusher
from workers.pusher_publisher import DeadlinePusher


class RecordingPusher(FakePusher):
    def __init__(self) -> None:
        super().__init__()
        self.arrivals: dict[int, float] = {}  # event_id -> time.time() at arrival

    def _receive(self, path: str, query: dict[str, str], body: bytes) -> tuple[int, dict]:
        status, answer = super()._receive(path, query, body)
        if status == 200:
            now = time.time()
            for event in json.loads(body)["batch"]:
                self.arrivals[json.loads(event["data"])["event_id"]] = now
        return status, answer

    def _handler(self) -> type:
        base, server = super()._handler(), self

        class Handler(base):  # type: ignore[misc,valid-type]
            # Keep-alive, as Pusher's API does (the test stand-in closes every connection),
            # and no Nagle delay between the response's header and body writes.
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = True

            def do_GET(self) -> None:
                if self.path == "/reset":
                    server.arrivals.clear()
                encoded = json.dumps(
                    {
                        "requests": server.requests,
                        "events": len(server.events),
                        "rejected_signatures": server.rejected_signatures,
                        "arrivals": server.arrivals,
                    }
                ).encode()
                self.send_response(200)
                self.send_header("content-length", str(len(encoded)))
                self.end_headers()
                self.wfile.write(encoded)

        return Handler


class StandinProcess:
    """Starts the stand-in in a child process; `stats()` reads its counters."""

    def __enter__(self) -> "StandinProcess":
        self.process = subprocess.Popen(
            [sys.executable, "-m", "bench.pusher_standin"],
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

    def client(self) -> DeadlinePusher:
        return DeadlinePusher(
            app_id=APP_ID, key=KEY, secret=SECRET, host="127.0.0.1", port=self.port,
            ssl=False, timeout=5,
        )  # fmt: skip

    def stats(self, *, reset_arrivals: bool = False) -> dict[str, Any]:
        path = "reset" if reset_arrivals else "stats"
        with urlopen(f"http://127.0.0.1:{self.port}/{path}", timeout=10) as answer:
            data = json.loads(answer.read())
        data["arrivals"] = {int(k): v for k, v in data["arrivals"].items()}
        return data


def main() -> None:
    server = RecordingPusher().start()
    print(server.port, flush=True)
    sys.stdin.read()  # until the parent closes our stdin
    server.stop()


if __name__ == "__main__":
    main()

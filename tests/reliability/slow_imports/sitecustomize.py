"""Put on PYTHONPATH by tests/reliability/test_worker_startup.py: in uvicorn's spawned worker
processes only, importing the application takes SLOW_IMPORT_SECONDS longer, as it does on
a busy machine. Any module whose name starts with TURNOVER_SLOW_IMPORT is slowed."""

import importlib.abc
import os
import sys
import time


class _SlowImport(importlib.abc.MetaPathFinder):
    def __init__(self, prefix: str, seconds: float) -> None:
        self.prefix, self.seconds = prefix, seconds

    def find_spec(self, name, path, target=None):  # type: ignore[no-untyped-def]
        if name.startswith(self.prefix) and self.seconds:
            time.sleep(self.seconds)
            self.seconds = 0  # once per process
        return None


if "--multiprocessing-fork" in sys.argv and os.environ.get("TURNOVER_SLOW_IMPORT"):
    seconds = float(os.environ.get("TURNOVER_SLOW_IMPORT_SECONDS", "8"))
    sys.meta_path.insert(0, _SlowImport(os.environ["TURNOVER_SLOW_IMPORT"], seconds))

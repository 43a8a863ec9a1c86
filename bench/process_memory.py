"""Resident memory of a process tree, read from /proc (Linux)."""

import contextlib
import threading
from pathlib import Path


def process_tree(pid: int) -> list[int]:
    pids, pending = [], [pid]
    while pending:
        current = pending.pop()
        pids.append(current)
        for task in Path(f"/proc/{current}/task").glob("*"):
            with contextlib.suppress(OSError):  # the process or thread has just ended
                pending.extend(int(c) for c in (task / "children").read_text().split())
    return pids


def _status_kb(pid: int, field: str) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


class PeakRss:
    """Samples the tree's total RSS every `interval` seconds; also reads each process's
    own high-water mark (VmHWM) when stopped."""

    def __init__(self, pid: int, interval: float = 0.05) -> None:
        self.pid, self.interval = pid, interval
        self.peak_total_kb = 0
        self.peak_by_process_kb: dict[int, int] = {}
        self.roles: dict[int, str] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def __enter__(self) -> "PeakRss":
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join()
        for pid in process_tree(self.pid):
            self.peak_by_process_kb[pid] = _status_kb(pid, "VmHWM")
            self.roles[pid] = process_role(pid)

    def _sample(self) -> None:
        while not self._stop.wait(self.interval):
            total = sum(_status_kb(pid, "VmRSS") for pid in process_tree(self.pid))
            self.peak_total_kb = max(self.peak_total_kb, total)


def process_role(pid: int) -> str:
    """What a process of `turnover serve --workers N` is, from its command line."""
    try:
        command = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return "gone"
    if "resource_tracker" in command:
        return "multiprocessing resource tracker"
    if "multiprocessing" in command:
        return "worker"
    return "supervisor"

"""`python -m tests.busy_machine COMMAND...`: run COMMAND while one CPU-burning process per
core keeps the machine busy (`make test-loaded` runs `make test` so). No test may depend on
how busy the machine is: leases read a clock the test moves, waits wait for a condition.

Exits with COMMAND's status; the burners stop with it."""

import multiprocessing
import os
import subprocess
import sys


def burn() -> None:
    while True:
        pass


def main(command: list[str]) -> int:
    if not command:
        print(__doc__, file=sys.stderr)
        return 2
    burners = [
        multiprocessing.Process(target=burn, daemon=True) for _ in range(os.cpu_count() or 1)
    ]
    for burner in burners:
        burner.start()
    print(f"busy_machine: {len(burners)} CPU burner(s) running", file=sys.stderr, flush=True)
    try:
        return subprocess.call(command)
    finally:
        for burner in burners:
            burner.terminate()
            burner.join()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

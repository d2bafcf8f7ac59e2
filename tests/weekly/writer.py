"""A process that stores the sample scan COUNT times in DB (for the interruption and
concurrency tests): `python -m tests.weekly.writer DB COUNT`. Prints `ready` after the first."""

from __future__ import annotations

import sys

from scanner.history.store import open_store
from tests.reports.sample import make_sample_result


def main(db: str, count: int) -> int:
    result = make_sample_result()
    with open_store(db) as store:
        for i in range(count):
            store.save(result)
            if i == 0:
                print("ready", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1], int(sys.argv[2])))

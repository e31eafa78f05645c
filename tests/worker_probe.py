"""`python -m tests.worker_probe OUT`: the real worker process (mo_app.worker.main) with one test job instead of
the real ones: «tick», every second, appending `<pid> <time>` to the file OUT. Two of them on one database must
make each run once."""

from __future__ import annotations

import os
import sys
import time
from datetime import timedelta

from mo_app import worker


def main() -> None:
    out = sys.argv[1]

    def tick() -> None:
        with open(out, "a") as fh:
            fh.write(f"{os.getpid()} {time.time():.6f}\n")

    worker.main(lambda app: [worker.Job("tick", worker.Every(1), tick, lease=timedelta(seconds=30))])


if __name__ == "__main__":
    main()

"""`python -m bench.loops`: the heavy-document case's loops, in a process of their own.

The job comes as one JSON line on stdin (port, cookie, path, loops); each loop requests the document one time after
another as the user until stdin closes, then the answers' statuses are printed as JSON. In the bench's own
process, eight threads reading 4 MB answers would share an interpreter with the /events probe, whose times are
meant to be the server's (measured: no difference either way, bench/RESULTS.md, ninth pass).
"""

from __future__ import annotations

import json
import sys
import threading
from collections import Counter

from .client import Session, call


def main() -> None:
    job = json.loads(sys.stdin.readline())
    user = Session(job["login"], job["cookie"], job["csrf"])
    stop = threading.Event()
    lock = threading.Lock()
    answers: Counter = Counter()

    def loop() -> None:
        while not stop.is_set():
            try:
                status = str(call(job["port"], user, "GET", job["path"], timeout=120).status)
            except OSError:
                status = "no answer"
            with lock:
                answers[status] += 1

    threads = [threading.Thread(target=loop, daemon=True) for _ in range(job["loops"])]
    for t in threads:
        t.start()
    print("started", flush=True)
    sys.stdin.read()  # until the bench closes it
    stop.set()
    with lock:
        print(json.dumps(dict(answers)), flush=True)


if __name__ == "__main__":
    main()

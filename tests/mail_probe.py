"""`python -m tests.mail_probe`: a process that only sends the outbox (mo_app.mail.sender.send_due in a loop, small
batches) until it finds nothing due three times running. Two of them on one database must send each letter once.

With MAIL_PROBE_BARRIER (a folder) and MAIL_PROBE_PARTIES (a number) set, a probe starts sending only once that many
probes are ready: otherwise the one whose interpreter started first could send every letter before the other began."""

from __future__ import annotations

import os
import time
from pathlib import Path

from mo_app import create_app
from mo_app.extensions import db
from mo_app.mail.sender import send_due
from mo_app.worker import worker_id


def _wait_for_the_others(deadline_seconds: float = 60) -> None:
    folder = os.environ.get("MAIL_PROBE_BARRIER")
    if not folder:
        return
    parties = int(os.environ.get("MAIL_PROBE_PARTIES", "2"))
    (Path(folder) / f"ready-{os.getpid()}").touch()
    deadline = time.monotonic() + deadline_seconds
    while len(list(Path(folder).glob("ready-*"))) < parties:
        if time.monotonic() > deadline:
            raise SystemExit("the other probes never became ready")
        time.sleep(0.01)


def main() -> None:
    app = create_app(migrations=False)
    idle = 0
    with app.app_context():
        _wait_for_the_others()
        while idle < 3:
            sent = send_due(me=worker_id(), batch=3)
            db.session.remove()
            idle = 0 if sent else idle + 1
            time.sleep(0.2 if not sent else 0)
        print("done", flush=True)


if __name__ == "__main__":
    main()

"""`python -m tests.mail_probe`: a process that only sends the outbox (mo_app.mail.sender.send_due in a loop, small
batches) until it finds nothing due three times running. Two of them on one database must send each letter once."""

from __future__ import annotations

import time

from mo_app import create_app
from mo_app.extensions import db
from mo_app.mail.sender import send_due
from mo_app.worker import worker_id


def main() -> None:
    app = create_app(migrations=False)
    idle = 0
    with app.app_context():
        while idle < 3:
            sent = send_due(me=worker_id(), batch=3)
            db.session.remove()
            idle = 0 if sent else idle + 1
            time.sleep(0.2 if not sent else 0)
        print("done", flush=True)


if __name__ == "__main__":
    main()

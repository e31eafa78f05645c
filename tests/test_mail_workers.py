"""The outbox with real processes and a real SMTP server: a worker killed with SIGKILL while it sends 200 letters
loses none (after a restart every letter arrives; at most the one in flight twice), and two senders on one database
send each letter once (on PostgreSQL through FOR UPDATE SKIP LOCKED; on SQLite claims are serialised)."""

from __future__ import annotations

import os
import signal
import sqlite3
import time
from collections import Counter

import pytest
from sqlalchemy import func, select

from mo_app.extensions import db
from mo_app.models import OutboxLetter

from .mail_helpers import SmtpServer
from .server_helpers import BACKENDS, app_env, backend_app, start, stop

N = 200


def _fill(n: int) -> set[str]:
    ids = set()
    for i in range(n):
        message_id = f"<letter-{i}@example.org>"
        db.session.add(OutboxLetter(recipient=f"r{i}@example.org", kind="signup", sender_name="МО", subject=f"№{i}",
                                    text=f"Письмо {i}", message_id=message_id))
        ids.add(message_id)
    db.session.commit()
    return ids


def _env(tmp_path, url: str, port: int, **extra) -> dict:
    return app_env(tmp_path, url, SMTP_HOST="127.0.0.1", SMTP_PORT=str(port), SMTP_TLS="none",
                   MAIL_FROM="mo@example.org", MAIL_SEND_SECONDS="0.5", WORKER_POLL_SECONDS="0.5", **extra)


def _wait(condition, seconds: float, what: str):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.1)
    pytest.fail(f"timed out waiting for {what}")


def _ids(server: SmtpServer) -> Counter:
    return Counter(m["Message-ID"] for m in server.sink.messages())


def _statuses() -> dict[str, int]:
    rows = db.session.execute(select(OutboxLetter.status, func.count()).group_by(OutboxLetter.status)).all()
    db.session.commit()
    return dict(rows)


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_worker_killed_mid_send_loses_no_letter(tmp_path, backend):
    server = SmtpServer(delay=0.01).start()
    try:
        with backend_app(tmp_path, backend):
            url = db.engine.url.render_as_string(hide_password=False)
            expected = _fill(N)
            # a long lease: the restarted worker must see by itself that the first one is gone
            env = _env(tmp_path, url, server.port, MAIL_LEASE_SECONDS="600")
            first = start(tmp_path, ["-m", "mo_app.worker"], env, "worker1.log")
            try:
                _wait(lambda: len(server.sink.received) >= 40, 90, "the first letters")
                os.kill(first.pid, signal.SIGKILL)
                first.wait(10)
            finally:
                stop(first)
            at_kill = len(server.sink.received)
            assert at_kill < N, "the worker sent everything before it was killed: the test proves nothing"
            second = start(tmp_path, ["-m", "mo_app.worker"], env, "worker2.log")
            try:
                _wait(lambda: set(_ids(server)) >= expected, 120, "every letter after the restart")
                _wait(lambda: _statuses() == {"sent": N}, 30, "every letter recorded as sent")
            finally:
                stop(second)
    finally:
        server.stop()
    ids = _ids(server)
    assert set(ids) == expected
    twice = [i for i, n in ids.items() if n > 1]
    assert len(twice) <= 1, f"only the letter in flight at the kill may arrive twice: {twice}"
    assert sum(ids.values()) == N + len(twice)


@pytest.mark.parametrize("backend", BACKENDS)
def test_two_senders_on_one_database_send_each_letter_once(tmp_path, backend):
    server = SmtpServer(delay=0.005).start()
    try:
        with backend_app(tmp_path, backend):
            url = db.engine.url.render_as_string(hide_password=False)
            expected = _fill(N)
            barrier = tmp_path / "barrier"
            barrier.mkdir()
            env = _env(tmp_path, url, server.port, MAIL_PROBE_BARRIER=str(barrier), MAIL_PROBE_PARTIES="2")
            procs = [start(tmp_path, ["-m", "tests.mail_probe"], env, f"probe{i}.log") for i in range(2)]
            try:
                for p in procs:
                    p.wait(180)
            finally:
                codes = [stop(p) for p in procs]
            logs = [(tmp_path / f"probe{i}.log").read_text() for i in range(2)]
            statuses = _statuses()
            senders = Counter(db.session.scalars(select(OutboxLetter.locked_by)).all())
            db.session.commit()
    finally:
        server.stop()
    assert codes == [0, 0], logs
    ids = _ids(server)
    assert set(ids) == expected and all(n == 1 for n in ids.values()), [i for i, n in ids.items() if n > 1]
    assert statuses == {"sent": N}
    assert len(senders) == 2, f"both senders took part: {senders}"


def test_the_app_can_write_while_the_worker_waits_for_a_slow_mail_server(tmp_path):
    """SQLite has one writer at a time: a worker must not hold the write lock while an SMTP server takes a second
    to answer each letter, or every sign-up meanwhile waits (and fails after the busy timeout)."""
    server = SmtpServer(delay=1.0).start()
    try:
        with backend_app(tmp_path, "sqlite"):
            url = db.engine.url.render_as_string(hide_password=False)
            path = db.engine.url.database
            _fill(6)
            worker = start(tmp_path, ["-m", "tests.mail_probe"], _env(tmp_path, url, server.port), "probe.log")
            try:
                _wait(lambda: _statuses().get("sending"), 60, "the worker to take the letters")
                waits = []
                for _ in range(8):
                    conn = sqlite3.connect(path, timeout=0.4, isolation_level=None)
                    started = time.monotonic()
                    try:
                        conn.execute("BEGIN IMMEDIATE")
                        conn.execute("ROLLBACK")
                        waits.append(round(time.monotonic() - started, 2))
                    except sqlite3.OperationalError as e:
                        waits.append(str(e))
                    finally:
                        conn.close()
                    time.sleep(0.2)
                in_flight = len(server.sink.received) < 6
            finally:
                stop(worker)
    finally:
        server.stop()
    assert in_flight, "the worker sent everything before the writes were tried: the test proves nothing"
    assert all(isinstance(w, float) for w in waits), f"writes while the worker was sending: {waits}"

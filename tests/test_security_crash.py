"""Crash safety: the real server (waitress, `python -m mo_app.serve`) on a SQLite file is killed with SIGKILL
in the middle of a burst of writes. After a restart the database passes `PRAGMA integrity_check` and every
write that got a success response is there.

The burst is made of *probes*: one probe = one HTTP write by one user, and a check that it is saved.
`LoginProbe` (each login stores the user's last-login time) is a write every branch has; `SignupProbe` logs
each librarian in and signs them up for one event with enough seats (POST `/events/<id>/register` as the
sign-up box's htmx does): every sign-up the server acknowledged must be a `Registration` row afterwards.
"""

from __future__ import annotations

import http.client
import http.cookiejar
import os
import re
import socket
import sqlite3
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from datetime import date, timedelta
from pathlib import Path

import pytest
from werkzeug.security import generate_password_hash

from mo_app.dates import PlanDate
from mo_app.extensions import db
from mo_app.models import Event, Organization, SchoolYear, User

from .conftest import make_app

ROOT = Path(__file__).resolve().parent.parent
PASSWORD = "crash-test-password-1"
CSRF_RE = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


class Browser:
    """A tiny HTTP client with cookies and the CSRF token, like a user's browser."""

    def __init__(self, base: str):
        self.base = base
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()), NoRedirect()
        )

    def request(self, path: str, data: dict | None = None, headers: dict | None = None) -> tuple[int, str]:
        body = urllib.parse.urlencode(data).encode() if data is not None else None
        req = urllib.request.Request(self.base + path, data=body, headers=headers or {})  # noqa: S310
        try:
            with self.opener.open(req, timeout=15) as r:
                return r.status, r.read().decode("utf-8", "replace")
        except urllib.error.HTTPError as e:
            text = e.read().decode("utf-8", "replace")
            e.close()
            return e.code, text

    def post_form(self, page: str, data: dict, action: str | None = None, headers: dict | None = None) -> int:
        """GET the page for its CSRF token, then POST the form; the status of the POST."""
        return self.post_form_text(page, data, action, headers)[0]

    def post_form_text(self, page: str, data: dict, action: str | None = None,
                       headers: dict | None = None) -> tuple[int, str]:
        """Like post_form, with the body of the answer."""
        status, text = self.request(page)
        token = CSRF_RE.search(text)
        assert status == 200 and token, (page, status)
        return self.request(action or page, {"csrf_token": token[1], **data}, headers)


class LoginProbe:
    """A login of user number i: a success (303) has stored the user's last-login time."""

    name = "login"

    def prepare(self, count: int) -> None:
        school = Organization(name="Школа краш-теста", short_name="ШКТ", kind="school")
        db.session.add(school)
        db.session.flush()
        pw = generate_password_hash(PASSWORD, method="scrypt")
        db.session.execute(
            db.insert(User),
            [{"login": f"crash{i}", "last_name": f"Краш{i}", "initials": "", "role": "librarian",
              "organization_id": school.id, "password_hash": pw, "active": True,
              "must_change_password": False, "is_beginner": False, "is_sample": False}
             for i in range(count)],
        )
        db.session.commit()

    def write(self, base: str, i: int) -> bool:
        return Browser(base).post_form("/login", {"login": f"crash{i}", "password": PASSWORD}) == 303

    def saved(self, conn: sqlite3.Connection, i: int) -> bool:
        row = conn.execute("SELECT last_login_at FROM user WHERE login = ?", (f"crash{i}",)).fetchone()
        return bool(row and row[0])


class SignupProbe(LoginProbe):
    """Librarian number i logs in and signs up for one event (the sign-up box, as htmx posts it): a success is
    the box answering «Вы записаны» (200), and the registration row must then be in the database."""

    name = "signup"
    event_id: int = 0

    def prepare(self, count: int) -> None:
        super().prepare(count)
        today = date.today()
        year = SchoolYear(start_year=today.year if today.month >= 9 else today.year - 1, is_current=True)
        db.session.add(year)
        db.session.flush()
        event = Event(year_id=year.id, kind="seminar", title="Семинар краш-теста", capacity=count + 10,
                      is_open=True)
        event.plan_date = PlanDate("day", today + timedelta(days=30))
        event.fix_plan_date()
        db.session.add(event)
        db.session.commit()
        self.event_id = event.id

    def write(self, base: str, i: int) -> bool:
        browser = Browser(base)
        if browser.post_form("/login", {"login": f"crash{i}", "password": PASSWORD}) != 303:
            return False
        page = f"/events/{self.event_id}"
        status, text = browser.post_form_text(page, {}, action=f"{page}/register",
                                              headers={"HX-Request": "true", "HX-Target": f"signup-{self.event_id}"})
        # a sign-up that is already there (a retry after the restart) is acknowledged as well
        return (status == 200 and 'data-state="registered"' in text) or (status == 409 and "уже записаны" in text)

    def saved(self, conn: sqlite3.Connection, i: int) -> bool:
        row = conn.execute(
            "SELECT r.status FROM registration r JOIN user u ON u.id = r.user_id WHERE u.login = ? AND r.event_id = ?",
            (f"crash{i}", self.event_id),
        ).fetchone()
        return bool(row and row[0] == "registered")


PROBES = [LoginProbe(), SignupProbe()]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _start_server(tmp: Path, db_path: Path, log_name: str) -> tuple[subprocess.Popen, str]:
    port = _free_port()
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{db_path}",
        "HOST": "127.0.0.1",
        "PORT": str(port),
        "SECRET_KEY": "crash-test-secret",
        "MO_INSTANCE_PATH": str(tmp / "instance"),
        "THREADS": "8",
        "PYTHONUNBUFFERED": "1",
    }
    log = (tmp / log_name).open("w")
    proc = subprocess.Popen([sys.executable, "-m", "mo_app.serve"], cwd=ROOT, env=env, stdout=log,
                            stderr=subprocess.STDOUT)
    log.close()
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"server exited: {(tmp / log_name).read_text()}")
        try:
            with urllib.request.urlopen(base + "/healthz", timeout=2) as r:  # noqa: S310
                if r.status == 200:
                    return proc, base
        except OSError:
            time.sleep(0.1)
    proc.kill()
    pytest.fail(f"server did not start: {(tmp / log_name).read_text()}")


def _stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@pytest.mark.parametrize("probe", PROBES, ids=lambda p: p.name)
def test_sigkill_mid_burst_loses_no_acknowledged_write(tmp_path, probe):
    db_path = tmp_path / "crash.sqlite3"
    total, kill_after = 400, 40
    app = make_app(tmp_path, SQLALCHEMY_DATABASE_URI=f"sqlite:///{db_path}", TESTING=False)
    with app.app_context():
        from flask_migrate import upgrade

        upgrade()
        probe.prepare(total)
        db.session.remove()
        db.engine.dispose()

    proc, base = _start_server(tmp_path, db_path, "server1.log")
    acknowledged: list[int] = []
    failed: list[int] = []
    lock = threading.Lock()
    enough = threading.Event()

    def one(i: int) -> None:
        try:
            ok = probe.write(base, i)
        except (OSError, AssertionError, http.client.HTTPException):  # refused/reset/cut short by the kill
            ok = False
        with lock:
            (acknowledged if ok else failed).append(i)
            if len(acknowledged) >= kill_after:
                enough.set()

    try:
        with ThreadPoolExecutor(max_workers=12) as pool:
            futures = [pool.submit(one, i) for i in range(total)]
            assert enough.wait(timeout=120), f"too few writes succeeded: {len(acknowledged)}"
            proc.kill()  # SIGKILL: no shutdown, no cleanup, requests in flight
            proc.wait(timeout=10)
            for fut in futures:
                fut.result()
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    with lock:
        acked = sorted(acknowledged)
    assert len(acked) >= kill_after
    assert failed, "the server was killed after the burst, not in the middle of it"

    conn = sqlite3.connect(db_path)
    try:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        lost = [i for i in acked if not probe.saved(conn, i)]
        assert lost == [], f"acknowledged but lost: {lost}"
    finally:
        conn.close()

    # The server starts again on the same file and works.
    proc, base = _start_server(tmp_path, db_path, "server2.log")
    try:
        assert probe.write(base, acked[0])
        assert probe.write(base, failed[-1])
    finally:
        _stop(proc)
    conn = sqlite3.connect(db_path)
    try:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert probe.saved(conn, failed[-1])
    finally:
        conn.close()

"""`make run`'s server as a user starts it (`python -m mo_app.run`: `python -m mo_app.serve` and the worker) with
two worker processes (WORKERS=2, so it holds on any machine): both answer, and nothing one of them keeps for itself
makes the other wrong — a login through one is a login through the other, a change through one is shown at once
by the other (the fragment cache), failed logins count across both, a logout through one ends the session for
both. SIGTERM stops everything; the log stays quiet under requests; a worker does not outlive a killed master.

Which worker answered is read from the kernel, not from the app: each request goes over a kept-alive connection,
and the worker holding that connection's server-side socket (/proc/net/tcp → /proc/<pid>/fd) is the one that
answered (gthread workers keep an accepted connection to themselves)."""

from __future__ import annotations

import http.client
import os
import re
import signal
import subprocess
import sys
import time
import urllib.parse
from datetime import date, timedelta
from pathlib import Path

import pytest
from werkzeug.security import generate_password_hash

from mo_app.dates import PlanDate, school_year_start
from mo_app.extensions import db
from mo_app.models import Event, Goal, Organization, SchoolYear, User

from .conftest import make_app
from .server_helpers import ROOT, app_env, free_port, start, stop, wait_healthy

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc (Linux)")

PASSWORD = "serve-test-password-7"
OLD_GOAL, NEW_GOAL = "Цель до переименования", "Цель после переименования"
CSRF_RE = re.compile(r'"X-CSRFToken": "([^"]+)"|name="csrf_token"[^>]*value="([^"]+)"')


def _children(pid: int) -> list[int]:
    path = Path(f"/proc/{pid}/task/{pid}/children")
    try:
        return [int(p) for p in path.read_text().split()]
    except OSError:
        return []


def _cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_text().replace("\0", " ")
    except OSError:
        return ""


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # a zombie (exited, not yet reaped by a parent that is gone too) is not serving
    return "zombie" not in Path(f"/proc/{pid}/status").read_text()


def _socket_owner(server_port: int, client_port: int, pids: list[int]) -> int | None:
    """The process among `pids` holding the server side of the TCP connection 127.0.0.1:client_port → server_port."""
    inode = None
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        local, remote = fields[1], fields[2]
        if int(local.split(":")[1], 16) == server_port and int(remote.split(":")[1], 16) == client_port:
            inode = fields[9]
            break
    if inode is None:
        return None
    wanted = f"socket:[{inode}]"
    for pid in pids:
        try:
            for fd in os.listdir(f"/proc/{pid}/fd"):
                try:
                    if os.readlink(f"/proc/{pid}/fd/{fd}") == wanted:
                        return pid
                except OSError:
                    continue
        except OSError:
            continue
    return None


class Server:
    """`python -m mo_app.run` on a temporary instance: its processes and kept-alive connections to each worker."""

    def __init__(self, proc: subprocess.Popen, port: int, log: Path):
        self.proc, self.port, self.log = proc, port, log
        self.master = next(p for p in _children(proc.pid) if "mo_app.serve" in _cmdline(p))
        self.job_worker = next(p for p in _children(proc.pid) if "mo_app.worker" in _cmdline(p))
        self.conns: dict[int, tuple[http.client.HTTPConnection, float]] = {}

    @property
    def workers(self) -> list[int]:
        return _children(self.master)

    def _connect(self) -> tuple[int, http.client.HTTPConnection]:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        conn.request("GET", "/healthz")
        response = conn.getresponse()
        response.read()
        assert response.status == 200
        owner = _socket_owner(self.port, conn.sock.getsockname()[1], self.workers)
        assert owner is not None, "no worker holds the connection"
        return owner, conn

    def conn(self, pid: int) -> http.client.HTTPConnection:
        """A kept-alive connection to worker `pid` (a fresh one when the kept one may have idled out)."""
        kept = self.conns.get(pid)
        if kept and time.monotonic() - kept[1] < 2:  # gunicorn closes idle connections after 5 s
            return kept[0]
        if kept:
            kept[0].close()
        for _ in range(300):
            owner, conn = self._connect()
            if owner == pid:
                self.conns[pid] = (conn, time.monotonic())
                return conn
            conn.close()
        pytest.fail(f"no connection reached worker {pid} in 300 tries")

    def close(self) -> None:
        for conn, _ in self.conns.values():
            conn.close()
        self.conns.clear()


class Browser:
    """One person's browser (cookies, the page's CSRF token) whose every request names the worker to answer it."""

    def __init__(self, server: Server):
        self.server = server
        self.cookies: dict[str, str] = {}
        self.token = ""

    def request(self, pid: int, path: str, data: dict | None = None, headers: dict | None = None):
        conn = self.server.conn(pid)
        head = {**(headers or {})}
        if self.cookies:
            head["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        body = None
        if data is not None:
            body = urllib.parse.urlencode(data)
            head["Content-Type"] = "application/x-www-form-urlencoded"
        conn.request("POST" if data is not None else "GET", path, body=body, headers=head)
        response = conn.getresponse()
        text = response.read().decode("utf-8", "replace")
        # the connection stays with its worker: the answer came from `pid`
        assert _socket_owner(self.server.port, conn.sock.getsockname()[1], [pid]) == pid
        self.server.conns[pid] = (conn, time.monotonic())
        for header in response.headers.get_all("Set-Cookie") or []:
            name, _, rest = header.partition("=")
            value = rest.split(";", 1)[0]
            if not value or "Max-Age=0" in header or "1970" in header:
                self.cookies.pop(name, None)
            else:
                self.cookies[name] = value
        found = CSRF_RE.search(text)
        if found:
            self.token = found[1] or found[2]
        return response.status, response.headers, text

    def login(self, pid: int, login: str, password: str = PASSWORD) -> int:
        self.request(pid, "/login")
        status, _, _ = self.request(pid, "/login", {"csrf_token": self.token, "login": login, "password": password})
        return status


def _seed(url: str, tmp: Path) -> int:
    """The methodologist, a librarian, this school year with one goal and one event; the goal's id."""
    app = make_app(tmp, SQLALCHEMY_DATABASE_URI=url, TESTING=False)
    with app.app_context():
        today = date.today()
        year = SchoolYear(start_year=school_year_start(today), is_current=True)
        school = Organization(name="Школа двух процессов", short_name="ШДП", kind="school")
        db.session.add_all([year, school])
        db.session.flush()
        pw = generate_password_hash(PASSWORD, method="scrypt")
        db.session.add_all([
            User(login="metodist", last_name="Методистова", first_name="Мария", initials="М.М.",
                 role="methodologist", password_hash=pw),
            User(login="reader", last_name="Читалкина", first_name="Вера", initials="В.В.", role="librarian",
                 organization_id=school.id, password_hash=pw),
        ])
        goal = Goal(year_id=year.id, title=OLD_GOAL, position=1)
        db.session.add(goal)
        db.session.flush()
        event = Event(year_id=year.id, kind="seminar", title="Семинар двух процессов", goal_id=goal.id,
                      capacity=20, is_open=True)
        event.plan_date = PlanDate("day", today + timedelta(days=20))
        event.fix_plan_date()
        db.session.add(event)
        db.session.commit()
        goal_id = goal.id
        db.session.remove()
        db.engine.dispose()
    return goal_id


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    """`make run` with WORKERS=2 on a migrated temporary SQLite database: (Server, the goal's id)."""
    tmp = tmp_path_factory.mktemp("serve")
    url = f"sqlite:///{tmp / 'mo.sqlite3'}"
    port = free_port()
    env = app_env(tmp, url, HOST="127.0.0.1", PORT=str(port), WORKERS="2", THREADS="2")
    subprocess.run([sys.executable, "-m", "flask", "--app", "mo_app", "db", "upgrade"], cwd=ROOT, env=env,
                   check=True, capture_output=True)  # as `make run` does before it serves
    goal_id = _seed(url, tmp)
    proc = start(tmp, ["-m", "mo_app.run"], env, "run.log")
    try:
        wait_healthy(f"http://127.0.0.1:{port}", proc, tmp / "run.log", seconds=120)
        deadline = time.monotonic() + 60
        while len(_children(proc.pid)) < 2 or not all(_cmdline(p) for p in _children(proc.pid)):
            assert time.monotonic() < deadline
            time.sleep(0.1)
        server = Server(proc, port, tmp / "run.log")
        while len(server.workers) < 2:
            assert time.monotonic() < deadline, (tmp / "run.log").read_text()
            time.sleep(0.1)
        yield server, goal_id
    finally:
        stop(proc)


def test_make_run_serves_with_two_worker_processes_both_answering(served):
    server, _ = served
    first, second = server.workers
    assert len({server.master, first, second, server.job_worker}) == 4
    browser = Browser(server)
    for pid in (first, second):
        status, _, html = browser.request(pid, "/login")
        assert status == 200 and "csrf_token" in html
    assert {int(p) for p in re.findall(r"Booting worker with pid: (\d+)", server.log.read_text())} >= {first, second}


def test_a_login_a_change_and_a_logout_through_one_worker_hold_at_once_on_the_other(served):
    server, goal_id = served
    first, second = server.workers
    methodologist = Browser(server)
    assert methodologist.login(first, "metodist") == 303
    status, _, html = methodologist.request(second, "/")  # the session row is read by the other worker
    assert status == 200 and "Мария" in html

    for pid in (first, second, first, second):  # each worker renders the plan and keeps it in its cache
        status, _, html = methodologist.request(pid, "/plan")
        assert status == 200 and OLD_GOAL in html and NEW_GOAL not in html

    methodologist.request(first, "/plan/edit")
    status, _, _ = methodologist.request(first, f"/plan/goals/{goal_id}",
                                         {"csrf_token": methodologist.token, "title": NEW_GOAL})
    assert status == 303
    for _ in range(5):  # at once, and every time, on both: neither answers from its stale fragment
        for pid in (second, first):
            status, _, html = methodologist.request(pid, "/plan")
            assert status == 200 and NEW_GOAL in html and OLD_GOAL not in html, pid

    methodologist.request(second, "/")
    copied = Browser(server)  # the cookies as they were before the logout
    copied.cookies = dict(methodologist.cookies)
    status, _, _ = methodologist.request(second, "/logout", {"csrf_token": methodologist.token})
    assert status in (302, 303)
    for browser in (methodologist, copied):
        for pid in (first, second):
            status, headers, _ = browser.request(pid, "/")
            assert status in (302, 303) and "/login" in headers["Location"], (pid, status)


def test_failed_logins_count_across_both_workers(served):
    server, _ = served
    first, second = server.workers
    guesser = Browser(server)
    statuses = [guesser.login(pid, "reader", "wrong-password") for pid in (first, second, first, second, first)]
    assert 429 not in statuses, statuses
    assert guesser.login(second, "reader", "wrong-password") == 429  # the 6th in 15 minutes, whichever worker
    assert guesser.login(first, "reader", "wrong-password") == 429


def test_the_log_stays_quiet_under_requests(served):
    server, _ = served
    before = server.log.read_text()
    browser = Browser(server)
    assert browser.login(server.workers[0], "metodist") == 303
    for i in range(60):
        pid = server.workers[i % 2]
        for path in ("/", "/events", "/plan"):
            assert browser.request(pid, path)[0] == 200
    new = server.log.read_text()[len(before):]
    assert new.strip() == "", new  # no access log, no «Task queue depth», no warnings


def test_sigterm_stops_the_web_workers_and_the_job_worker(served):
    server, _ = served
    pids = [server.proc.pid, server.master, server.job_worker, *server.workers]
    server.close()
    started = time.monotonic()
    assert stop(server.proc, signal.SIGTERM, timeout=30) == 0
    assert time.monotonic() - started < 20
    deadline = time.monotonic() + 5
    while any(_alive(p) for p in pids) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not [p for p in pids if _alive(p)]
    text = server.log.read_text()
    assert "остановлено" in text and "Traceback" not in text, text


def test_a_worker_does_not_outlive_a_killed_master(tmp_path):
    """SIGKILL gives gunicorn's master no time to stop its workers: they must not live on (holding the port)."""
    url = f"sqlite:///{tmp_path / 'mo.sqlite3'}"
    port = free_port()
    env = app_env(tmp_path, url, HOST="127.0.0.1", PORT=str(port), WORKERS="2")
    subprocess.run([sys.executable, "-m", "flask", "--app", "mo_app", "db", "upgrade"], cwd=ROOT, env=env,
                   check=True, capture_output=True)
    proc = start(tmp_path, ["-m", "mo_app.serve"], env, "serve.log")
    try:
        wait_healthy(f"http://127.0.0.1:{port}", proc, tmp_path / "serve.log", seconds=120)
        deadline = time.monotonic() + 30
        while len(_children(proc.pid)) < 2:
            assert time.monotonic() < deadline
            time.sleep(0.1)
        workers = _children(proc.pid)
    finally:
        stop(proc, signal.SIGKILL)
    # The kernel ends them at once (PR_SET_PDEATHSIG), gunicorn's own look at its parent only between requests:
    # either way no worker may keep the port from the next start. A loaded machine needs a few seconds to reap.
    deadline = time.monotonic() + 5
    while any(_alive(p) for p in workers) and time.monotonic() < deadline:
        time.sleep(0.02)
    assert not [p for p in workers if _alive(p)]


def test_one_worker_per_core_unless_workers_says_otherwise(monkeypatch):
    from mo_app import serve

    monkeypatch.delenv("WORKERS", raising=False)
    monkeypatch.delenv("THREADS", raising=False)
    assert serve.workers() == len(os.sched_getaffinity(0))  # the cores this process may run on
    assert serve.threads() == 4
    options = serve.gunicorn_options("127.0.0.1", 5000)
    assert options["workers"] == serve.workers() and options["worker_class"] == "gthread"
    assert options["accesslog"] is None and options["preload_app"] is True
    monkeypatch.setenv("WORKERS", "3")
    monkeypatch.setenv("THREADS", "2")
    assert serve.gunicorn_options("::1", 8080)["bind"] == ["[::1]:8080"]
    assert (serve.workers(), serve.threads()) == (3, 2)

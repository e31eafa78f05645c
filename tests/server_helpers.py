"""Real processes for tests: the app served by waitress (`python -m mo_app.serve`), the worker, `make run`'s
pair — started with their own environment on the test's database, stopped afterwards — and a small HTTP
client with cookies that keeps the response headers."""

from __future__ import annotations

import http.cookiejar
import os
import re
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

from mo_app.extensions import db

from .conftest import PG_URL, _reset_database, make_app

ROOT = Path(__file__).resolve().parent.parent
CSRF_HEADER_RE = re.compile(r'"X-CSRFToken": "([^"]+)"')
CSRF_FIELD_RE = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
#: the databases a test of real processes runs on: SQLite always, PostgreSQL when TEST_DATABASE_URL is set
BACKENDS = ["sqlite"] + (["postgresql"] if PG_URL else [])


@contextmanager
def backend_app(tmp_path: Path, backend: str):
    """An app on its own SQLite file, or on the test PostgreSQL database (emptied), inside its app context."""
    url = f"sqlite:///{tmp_path / 'app.sqlite3'}" if backend == "sqlite" else PG_URL
    app = make_app(tmp_path, SQLALCHEMY_DATABASE_URI=url, TESTING=False)
    with app.app_context():
        _reset_database()
        try:
            yield app
        finally:
            db.session.remove()
            db.engine.dispose()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def app_env(tmp: Path, database_url: str, **extra: str) -> dict[str, str]:
    """The environment of an app process on `database_url`, its instance under `tmp`."""
    env = {**os.environ, "DATABASE_URL": database_url, "MO_INSTANCE_PATH": str(tmp / "instance"),
           "SECRET_KEY": "server-test-secret", "UPLOAD_FOLDER": str(tmp / "uploads"),
           "BACKUP_DIR": str(tmp / "backups"), "PYTHONUNBUFFERED": "1"}
    env.update(extra)
    return env


def start(tmp: Path, args: list[str], env: dict[str, str], log_name: str) -> subprocess.Popen:
    """A process of this interpreter (`python ARGS`) in the project folder, its output in tmp/log_name."""
    with (tmp / log_name).open("w") as log:
        return subprocess.Popen([sys.executable, *args], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)


def wait_healthy(base: str, proc: subprocess.Popen, log: Path, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"the server exited: {log.read_text()}")
        try:
            with urllib.request.urlopen(base + "/healthz", timeout=2) as r:  # noqa: S310
                if r.status == 200:
                    return
        except OSError:
            time.sleep(0.1)
    pytest.fail(f"the server did not start: {log.read_text()}")


def serve(tmp: Path, database_url: str, log_name: str = "server.log", **extra: str) -> tuple[subprocess.Popen, str]:
    """`python -m mo_app.serve` on a free port; (process, base URL) once /healthz answers."""
    port = free_port()
    env = app_env(tmp, database_url, HOST="127.0.0.1", PORT=str(port), **extra)
    proc = start(tmp, ["-m", "mo_app.serve"], env, log_name)
    base = f"http://127.0.0.1:{port}"
    wait_healthy(base, proc, tmp / log_name)
    return proc, base


def stop(proc: subprocess.Popen, sig: int | None = None, timeout: float = 20) -> int:
    """Stop a process (SIGTERM, or `sig`), killing it if it does not end in time; its exit code."""
    if proc.poll() is None:
        if sig is None:
            proc.terminate()
        else:
            proc.send_signal(sig)
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    return proc.returncode


@dataclass
class Answer:
    status: int
    headers: dict[str, str]
    text: str


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


class Client:
    """A browser-like client: cookies, the CSRF token of the last page, the answer's headers."""

    def __init__(self, base: str):
        self.base = base
        self.token: str | None = None
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()), _NoRedirect())

    def request(self, path: str, data: dict | None = None, headers: dict | None = None) -> Answer:
        body = urllib.parse.urlencode(data).encode() if data is not None else None
        req = urllib.request.Request(self.base + path, data=body, headers=headers or {})  # noqa: S310
        try:
            with self.opener.open(req, timeout=60) as r:
                answer = Answer(r.status, dict(r.headers), r.read().decode("utf-8", "replace"))
        except urllib.error.HTTPError as e:
            answer = Answer(e.code, dict(e.headers), e.read().decode("utf-8", "replace"))
            e.close()
        found = CSRF_HEADER_RE.search(answer.text) or CSRF_FIELD_RE.search(answer.text)
        if found:
            self.token = found[1]
        return answer

    def login(self, login: str, password: str) -> None:
        assert self.request("/login").status == 200
        answer = self.request("/login", {"csrf_token": self.token, "login": login, "password": password})
        assert answer.status == 303, answer.text[:500]

    def htmx_post(self, path: str, data: dict | None = None) -> Answer:
        """A POST as htmx sends it: the CSRF token in the X-CSRFToken header."""
        return self.request(path, data or {}, {"HX-Request": "true", "X-CSRFToken": self.token or ""})

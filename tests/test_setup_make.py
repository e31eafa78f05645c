"""`make run` and `make demo` themselves, started as a user starts them (a temporary instance folder and port):
the real database is never given demo data and keeps what was changed across restarts; the demo is loaded once
into its own folder (0700, files 0600), keeps what was changed, and `make demo-reset` starts it over."""

from __future__ import annotations

import os
import re
import signal
import socket
import sqlite3
import subprocess
import time
from contextlib import closing, contextmanager
from pathlib import Path

from .test_setup import GOOD_PASSWORD, Browser, _csrf, setup_form

ROOT = Path(__file__).resolve().parent.parent
#: what the test run has set for itself and a user's shell would not
DROPPED = {"DATABASE_URL", "TEST_DATABASE_URL", "MO_INSTANCE_PATH", "SECRET_KEY", "DEMO_INSTANCE", "MAKEFLAGS",
           "MFLAGS", "MAKELEVEL"}


def _free_port() -> int:
    with closing(socket.socket()) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def make(target: str, log: Path, **env):
    """`make <target>` in the repository with `env`, until /healthz answers; stopped (its whole process group)
    afterwards. Yields (base URL, the log so far)."""
    port = _free_port()
    full_env = {k: v for k, v in os.environ.items() if k not in DROPPED}
    full_env.update(env, PORT=str(port), HOST="127.0.0.1")
    with open(log, "ab") as out:
        proc = subprocess.Popen(["make", "--no-print-directory", "-C", str(ROOT), target], env=full_env,
                                stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 180
        while True:
            assert proc.poll() is None, f"make {target} stopped:\n{log.read_text(errors='replace')}"
            assert time.monotonic() < deadline, f"make {target} did not serve:\n{log.read_text(errors='replace')}"
            status, _ = _get(base, "/healthz")
            if status == 200:
                break
            time.sleep(0.3)
        yield base
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(30)


def _get(base: str, path: str) -> tuple[int, str]:
    try:
        return Browser(base).request(path)
    except OSError:
        return 0, ""


def _rows(db_path: Path, sql: str) -> list[tuple]:
    with closing(sqlite3.connect(db_path)) as conn:
        return conn.execute(sql).fetchall()


def _login(base: str, login: str, password: str) -> Browser:
    browser = Browser(base)
    _, html = browser.request("/login")
    status, _ = browser.request("/login", {"login": login, "password": password, "csrf_token": _csrf(html)})
    assert status == 303, (login, status)
    return browser


def test_make_run_twice_keeps_the_renamed_methodologist_and_never_loads_the_demo(tmp_path):
    instance, log = tmp_path / "instance", tmp_path / "make-run.log"
    database = instance / "mo.sqlite3"
    with make("run", log, MO_INSTANCE_PATH=str(instance)) as base:
        browser = Browser(base)
        status, _ = browser.request("/")
        assert status == 303  # to /setup
        _, html = browser.request("/setup")
        status, _ = browser.request("/setup", {**setup_form(), "csrf_token": _csrf(html)})
        assert status == 303
        (user_id,) = _rows(database, "SELECT id FROM user")[0]
        _, html = browser.request(f"/users/{user_id}/edit")
        status, _ = browser.request(f"/users/{user_id}/edit", {
            "login": "petrova", "last_name": "Петрова", "first_name": "Ольга", "middle_name": "Петровна",
            "initials": "", "role": "methodologist", "organization_id": "", "position": "методист",
            "email": "petrova@example.ru", "phone": "", "csrf_token": _csrf(html)})
        assert status == 303
    assert "load-demo" not in log.read_text(errors="replace")

    with make("run", log, MO_INSTANCE_PATH=str(instance)) as base:
        status, _ = Browser(base).request("/setup")
        assert status == 404
        browser = _login(base, "petrova", GOOD_PASSWORD)
        status, html = browser.request("/")
        assert status == 200 and "Здравствуйте, Ольга!" in html and "Демонстрационные данные" not in html
    assert _rows(database, "SELECT login, last_name, role FROM user") == [("petrova", "Петрова", "methodologist")]
    assert _rows(database, "SELECT count(*) FROM user WHERE login = 'metodist' OR is_sample") == [(0,)]
    assert _rows(database, "SELECT count(*) FROM organization") == [(0,)]
    assert _rows(database, "SELECT count(*), sum(is_current) FROM school_year") == [(1, 1)]
    assert _rows(database, "SELECT is_demo FROM app_settings") == [(0,)]
    assert "load-demo" not in log.read_text(errors="replace")


def test_make_demo_keeps_what_was_changed_and_demo_reset_starts_over(tmp_path):
    demo, log = tmp_path / "instance-demo", tmp_path / "make-demo.log"
    database = demo / "mo.sqlite3"
    with make("demo", log, DEMO_INSTANCE=str(demo)) as base:
        status, html = Browser(base).request("/login")
        assert 'class="demo-banner"' in html and "Демонстрационные данные" in html
        _, html = _login(base, "zhukova", "demo").request("/")
        assert "Демонстрационные данные" in html
        _login(base, "metodist", "metodist")
        with closing(sqlite3.connect(database)) as conn, conn:
            conn.execute("UPDATE user SET login = 'olga', last_name = 'Смирнова' WHERE login = 'metodist'")
            conn.execute("UPDATE user SET active = 0 WHERE login = 'golubeva'")
    assert (demo.stat().st_mode & 0o777) == 0o700
    for name in ("mo.sqlite3", "secret_key"):
        assert ((demo / name).stat().st_mode & 0o777) == 0o600, name
    assert "Демо-данные загружены." in log.read_text(errors="replace")

    with make("demo", log, DEMO_INSTANCE=str(demo)) as base:
        _login(base, "olga", "metodist")
        assert 'class="demo-banner"' in Browser(base).request("/login")[1]
    assert "Демо-данные уже загружены, ничего не изменено." in log.read_text(errors="replace")
    logins = {login for (login,) in _rows(database, "SELECT login FROM user")}
    assert "metodist" not in logins and "olga" in logins
    assert _rows(database, "SELECT active FROM user WHERE login = 'golubeva'") == [(0,)]
    assert _rows(database, "SELECT is_demo FROM app_settings") == [(1,)]

    with make("demo-reset", log, DEMO_INSTANCE=str(demo)) as base:
        _login(base, "metodist", "metodist")
    logins = {login for (login,) in _rows(database, "SELECT login FROM user")}
    assert "metodist" in logins and "olga" not in logins
    assert _rows(database, "SELECT active FROM user WHERE login = 'golubeva'") == [(1,)]
    assert len(re.findall("Демо-данные загружены.", log.read_text(errors="replace"))) == 2


def test_make_demo_with_nothing_set_serves_from_instance_demo_on_port_5001(tmp_path):
    """`make demo` as the README says, in a shell that sets nothing: its own folder `instance-demo/` beside the code
    and port 5001 (PORT wins when set: a free one here, so the run does not depend on 5001 being free)."""
    printed = subprocess.run(
        ["make", "-s", "--no-print-directory", "-C", str(ROOT), "--eval",
         "print-demo: ; @echo $(DEMO_INSTANCE) $(DEMO_PORT)", "print-demo"],
        env={k: v for k, v in os.environ.items() if k not in DROPPED | {"PORT", "DEMO_PORT"}},
        capture_output=True, text=True, check=True)
    assert printed.stdout.split() == [str(ROOT / "instance-demo"), "5001"]
    with make("demo", tmp_path / "make-demo.log") as base:
        status, html = Browser(base).request("/login")
        assert status == 200 and "Демонстрационные данные" in html
        _login(base, "metodist", "metodist")
    assert (ROOT / "instance-demo" / "mo.sqlite3").is_file()

"""Restore while the app runs: during a restore, writes get 503 with Retry-After and the Russian page
«Идёт восстановление из резервной копии», reads are answered; the restore never deadlocks — with eight people
signing up and others reading against the real server, restored several times in a row. SQLite always;
PostgreSQL too when TEST_DATABASE_URL is set."""

from __future__ import annotations

import subprocess
import threading
import time
from collections import Counter
from datetime import date, timedelta
from pathlib import Path

import pytest
from werkzeug.security import generate_password_hash

from mo_app import backup, restore_gate
from mo_app.auth.sessions import open_session
from mo_app.dates import PlanDate, school_year_start
from mo_app.extensions import db
from mo_app.models import AuditEntry, Event, Organization, SchoolYear, User

from .server_helpers import BACKENDS, Client, backend_app, serve, stop

PASSWORD = "gate-test-password-7"
WRITERS = 8
READERS = 3
RESTORES = 3
GATE_TITLE = "Идёт восстановление из резервной копии"


def _world(librarians: int, padding: int = 0) -> int:
    """A school, `librarians` librarians (gate0, gate1…), one open event with seats for all; its id."""
    today = date.today()
    year = SchoolYear(start_year=school_year_start(today), is_current=True)
    school = Organization(name="Школа проверки", short_name="ШП", kind="school")
    db.session.add_all([year, school])
    db.session.flush()
    pw = generate_password_hash(PASSWORD, method="scrypt")
    db.session.add_all([User(login=f"gate{i}", last_name=f"Писатель{i}", initials="", role="librarian",
                             organization_id=school.id, password_hash=pw) for i in range(librarians)])
    event = Event(year_id=year.id, kind="seminar", title="Семинар под восстановлением", capacity=librarians + 10,
                  is_open=True)
    event.plan_date = PlanDate("day", today + timedelta(days=30))
    event.fix_plan_date()
    db.session.add(event)
    if padding:  # rows that make the restore take a moment (the writers must meet it)
        db.session.execute(db.insert(AuditEntry), [{"action": "update", "entity": "padding", "entity_id": n,
                                                    "changes": {"text": ["x" * 200, "y" * 200]}}
                                                   for n in range(padding)])
    db.session.commit()
    return event.id


def _gate(app, backend):
    url = db.engine.url
    if backend == "sqlite":
        return restore_gate.closed_sqlite(Path(url.database))
    return restore_gate.closed_postgresql(url)


def _is_gate_page(r) -> bool:
    return (r.status_code == 503 and r.headers.get("Retry-After") == str(restore_gate.RETRY_AFTER)
            and GATE_TITLE in r.get_data(as_text=True))


@pytest.mark.parametrize("backend", BACKENDS)
def test_during_a_restore_writes_get_503_with_retry_after_and_the_russian_page(tmp_path, backend):
    with backend_app(tmp_path, backend) as app:
        event_id = _world(1)
        user = db.session.scalar(db.select(User))
        client = app.test_client()
        with client.session_transaction() as sess:
            sess["_user_id"], sess["_fresh"] = open_session(user), True
        db.session.commit()

        with _gate(app, backend):
            r = client.post(f"/events/{event_id}/register", headers={"HX-Request": "true"})
            assert _is_gate_page(r) and "<html" not in r.get_data(as_text=True)  # htmx: the box only
            r = client.post(f"/events/{event_id}/register")
            page = r.get_data(as_text=True)
            assert _is_gate_page(r) and "<html" in page and "не сохранено" in page
            r = client.post("/login", data={"login": "gate0", "password": PASSWORD})
            assert _is_gate_page(r)
            assert client.get(f"/events/{event_id}").status_code == 200  # reads are not turned away

        r = client.post(f"/events/{event_id}/register", headers={"HX-Request": "true"})
        assert r.status_code == 200 and 'data-state="registered"' in r.get_data(as_text=True)


def test_a_flag_left_by_a_killed_restore_is_ignored(tmp_path):
    with backend_app(tmp_path, "sqlite") as app:
        event_id = _world(1)
        user = db.session.scalar(db.select(User))
        gone = subprocess.Popen(["true"])
        gone.wait()
        restore_gate.sqlite_flag(db.engine.url.database).write_text(str(gone.pid))
        client = app.test_client()
        with client.session_transaction() as sess:
            sess["_user_id"], sess["_fresh"] = open_session(user), True
        r = client.post(f"/events/{event_id}/register", headers={"HX-Request": "true"})
        assert r.status_code == 200 and 'data-state="registered"' in r.get_data(as_text=True)


def _log_in_again(client: Client, login: str) -> None:
    """Log in through the form, waiting while the restore's gate turns the POST away."""
    deadline = time.monotonic() + 60
    while True:
        assert client.request("/login").status == 200
        answer = client.request("/login", {"csrf_token": client.token, "login": login, "password": PASSWORD})
        if answer.status == 303:
            return
        assert answer.status == 503 and time.monotonic() < deadline, answer.text[:500]
        time.sleep(0.05)


@pytest.mark.parametrize("backend", BACKENDS)
def test_restore_under_eight_writers_never_deadlocks(tmp_path, backend):
    with backend_app(tmp_path, backend):
        event_id = _world(WRITERS + READERS, padding=20000)
        archive = backup.backup(tmp_path / "before.tar.gz")
        url = db.engine.url.render_as_string(hide_password=False)
        db.session.remove()
        proc, base = serve(tmp_path, url, THREADS=str(WRITERS + READERS))
        # a change after the backup, seen (and kept in the page cache) by the running server
        db.session.get(Event, event_id).title = "Переименовано после копии"
        db.session.commit()
        db.session.remove()
        viewer = Client(base)
        viewer.login(f"gate{WRITERS}", PASSWORD)
        assert "Переименовано после копии" in viewer.request("/events").text
        answers: list[tuple[str, int, bool]] = []  # (what, status, a proper gate page)
        lock = threading.Lock()
        stop_writing = threading.Event()
        logged_in = threading.Barrier(WRITERS + READERS + 1, timeout=120)

        def writer(i: int) -> None:
            client = Client(base)
            client.login(f"gate{i}", PASSWORD)
            assert client.request(f"/events/{event_id}").status == 200
            logged_in.wait()
            while not stop_writing.is_set():
                for action in ("register", "cancel"):
                    a = client.htmx_post(f"/events/{event_id}/{action}")
                    if a.status == 401:  # a restore ends every session: log in again
                        _log_in_again(client, f"gate{i}")
                        with lock:
                            answers.append(("relogin", a.status, False))
                        continue
                    gate = (a.status == 503 and a.headers.get("Retry-After") == str(restore_gate.RETRY_AFTER)
                            and GATE_TITLE in a.text)
                    with lock:
                        answers.append((action, a.status, gate))
                    if gate:
                        time.sleep(0.05)

        def reader(i: int) -> None:
            client = Client(base)
            client.login(f"gate{i}", PASSWORD)
            logged_in.wait()
            while not stop_writing.is_set():
                for page in (f"/events/{event_id}", "/my/events"):
                    a = client.request(page)
                    if a.status == 302 and "/login" in (a.headers.get("Location") or ""):
                        _log_in_again(client, f"gate{i}")
                        with lock:
                            answers.append(("relogin", a.status, False))
                        continue
                    with lock:
                        answers.append(("read", a.status, False))

        threads = [threading.Thread(target=writer, args=(i,)) for i in range(WRITERS)]
        threads += [threading.Thread(target=reader, args=(WRITERS + i,)) for i in range(READERS)]
        restored = []
        try:
            for t in threads:
                t.start()
            logged_in.wait()
            time.sleep(1.0)
            for _ in range(RESTORES):
                kept = backup.restore(archive, wait_seconds=30)
                restored.append(kept)
                kept.unlink()
                with lock:
                    before = len(answers)
                time.sleep(1.0)
                with lock:
                    assert len(answers) > before, "the writers stopped"
            assert viewer.request("/events").status == 302  # the restore ended the viewer's session too
            viewer.login(f"gate{WRITERS}", PASSWORD)
            listing = viewer.request("/events").text  # the server's processes see the restored data
            assert "Семинар под восстановлением" in listing and "Переименовано" not in listing
        finally:
            stop_writing.set()
            for t in threads:
                t.join(timeout=60)
            stop(proc)
        log = (tmp_path / "server.log").read_text()

    assert len(restored) == RESTORES
    assert any(what == "relogin" for what, _, _ in answers), "the restore ended no session"
    reads = Counter(status for what, status, _ in answers if what == "read")
    assert set(reads) == {200}, f"readers wait for a restore, they are not turned away: {reads}"
    statuses = Counter((status, gate) for what, status, gate in answers if what not in ("read", "relogin"))
    wrong = {k: n for k, n in statuses.items() if k[0] >= 500 and not k[1]}
    assert not wrong, f"answers other than the restore's 503: {statuses}"
    assert "deadlock" not in log.lower() and "Traceback" not in log, log[-3000:]
    assert statuses[(503, True)] > 0, f"no writer met a restore: {statuses}"
    assert statuses[(200, False)] > 10 * RESTORES, statuses

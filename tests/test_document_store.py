"""Finished documents are kept as files per data stamp (mo_app/documents/kept.py): rendered once per change for
every server process, read from the file, never held in a worker's memory, swept when their stamp is dead."""

from __future__ import annotations

import os
import time
from datetime import date

import pytest

from mo_app.auth.sessions import open_session
from mo_app.cache import current_stamp, fragments
from mo_app.documents import kept
from mo_app.extensions import db

from .conftest import make_app
from .plan_helpers import ask_at_once
from .security_helpers import pdf_text
from .visits_helpers import count_queries, visit_with_report


@pytest.fixture
def plan(app, f, login_as):
    boss = f.methodologist()
    year = f.year(2026)
    goal = f.goal(year, title="Повышение профессиональной компетентности")
    event = f.event(year, kind="seminar", title="Библиотека как центр чтения", when=date(2026, 12, 17),
                    goal_id=goal.id)
    login_as(boss)
    return {"boss": boss, "event": event}


def _other_worker(tmp_path, user):
    """A second app on the same database and instance (as a second gunicorn worker), logged in as `user`."""
    other = make_app(tmp_path)
    client = other.test_client()
    with client.session_transaction() as sess:
        sess["_user_id"] = open_session(user)
        sess["_fresh"] = True
    return other, client


def _kept_files(app) -> list:
    root = kept.store_dir()
    return sorted(p for p in root.rglob("*") if p.is_file()) if root.exists() else []


@pytest.mark.parametrize("url", ["/plan.pdf", "/plan.docx", "/results.pdf", "/results.xlsx"])
def test_a_document_rendered_by_one_worker_is_served_by_the_other_without_reading_the_data(
        plan, app, client, tmp_path, url):
    first = client.get(url)
    assert first.status_code == 200
    other, other_client = _other_worker(tmp_path, plan["boss"])
    with other.app_context(), count_queries() as seen:
        again = other_client.get(url)
    assert again.status_code == 200 and again.data == first.data
    assert not any("FROM event" in s for s in seen), seen  # no data read: the first worker's file was sent
    assert again.headers["Content-Length"] == str(len(first.data))
    with other.app_context():
        db.session.remove()
        db.engine.dispose()


def test_a_change_through_one_worker_renews_the_document_for_both(plan, app, client, tmp_path):
    assert "Библиотека как центр чтения" in pdf_text(client.get("/plan.pdf").data)
    other, other_client = _other_worker(tmp_path, plan["boss"])
    assert "Библиотека как центр чтения" in pdf_text(other_client.get("/plan.pdf").data)
    plan["event"].title = "Семинар, переименованный в первом процессе"
    db.session.commit()
    assert "Семинар, переименованный в первом процессе" in pdf_text(other_client.get("/plan.pdf").data)
    assert "Семинар, переименованный в первом процессе" in pdf_text(client.get("/plan.pdf").data)
    with other.app_context():
        db.session.remove()
        db.engine.dispose()


def test_a_worker_keeps_no_document_bytes_in_memory(plan, app, client):
    for url in ("/plan.pdf", "/plan.docx", "/results.pdf", "/results.xlsx"):
        assert client.get(url).status_code == 200
    held = [value for value, _ in fragments()._items.values() if isinstance(value, bytes)]
    assert held == []
    files = _kept_files(app)
    assert len(files) == 4 and all(p.stat().st_size > 1000 for p in files)
    assert {p.read_bytes()[:4] for p in files} == {b"%PDF", b"PK\x03\x04"}


def test_dead_stamps_are_swept_when_a_new_one_keeps_its_first_document(plan, app, client):
    client.get("/plan.pdf")
    (old,) = {p.parent for p in _kept_files(app)}
    plan["event"].title = "Новая тема"
    db.session.commit()
    client.get("/plan.pdf")
    assert old.exists()  # a request that read the old stamp a moment ago may still be writing there
    long_ago = time.time() - kept.STALE_SECONDS - 60
    os.utime(old, (long_ago, long_ago))
    plan["event"].title = "Ещё одна тема"
    db.session.commit()
    client.get("/plan.pdf")
    folders = {p.parent for p in _kept_files(app)}
    assert not old.exists() and len(folders) == 2  # the dead one went; the last minutes' ones stay
    assert "Ещё одна тема" in pdf_text(client.get("/plan.pdf").data)


def test_the_store_stays_within_its_budget(plan, app, client):
    size = len(client.get("/plan.pdf").data)
    app.config["DOCUMENT_CACHE_BYTES"] = int(size * 2.5)
    for n in range(4):
        plan["event"].title = f"Тема {n}"
        db.session.commit()
        client.get("/plan.pdf")
    assert sum(p.stat().st_size for p in _kept_files(app)) <= size * 2.5
    assert "Тема 3" in pdf_text(client.get("/plan.pdf").data)


def test_a_document_larger_than_the_budget_is_served_and_not_kept(plan, app, client):
    app.config["DOCUMENT_CACHE_BYTES"] = 1000
    data = client.get("/plan.pdf").data
    assert "Библиотека как центр чтения" in pdf_text(data) and _kept_files(app) == []


def _bytes(kept_or_new) -> bytes:
    """What kept_document answered: new bytes, or the kept file's (read and closed)."""
    if isinstance(kept_or_new, bytes):
        return kept_or_new
    with kept_or_new:
        return kept_or_new.read()


def test_an_uncommitted_change_is_neither_served_from_nor_kept_in_the_store(plan, app):
    from flask_login import login_user

    stamp = current_stamp()
    with app.test_request_context("/plan.pdf"):
        login_user(plan["boss"])
        plan["event"].title = "Не сохранено"
        db.session.flush()
        assert kept.kept_document(stamp, ("probe",), lambda: b"%PDF-uncommitted") == b"%PDF-uncommitted"
        db.session.rollback()
    assert _kept_files(app) == []
    with app.test_request_context("/plan.pdf"):
        assert _bytes(kept.kept_document(stamp, ("probe",), lambda: b"%PDF-1")) == b"%PDF-1"
        assert _bytes(kept.kept_document(stamp, ("probe",), lambda: b"%PDF-2")) == b"%PDF-1"  # kept
        assert _bytes(kept.kept_document(stamp, ("other",), lambda: b"%PDF-3")) == b"%PDF-3"  # another key


def test_a_draft_reports_paper_is_kept_until_the_report_changes(plan, app, client, f):
    school = f.school("79", name="ГБОУ средняя школа №79")
    visit = visit_with_report(f, school, final=False, by=plan["boss"], conclusion="Работа ведётся планомерно.")
    url = f"/visits/{visit.id}/report.pdf"
    first = client.get(url)
    assert first.status_code == 200 and "Работа ведётся планомерно." in pdf_text(first.data)
    assert len(_kept_files(app)) == 1
    assert client.get(url).data == first.data  # sent from the kept file
    visit.report.conclusion = "Вывод исправлен после обсуждения."
    db.session.commit()
    text = pdf_text(client.get(url).data)
    assert "Вывод исправлен после обсуждения." in text and "Работа ведётся планомерно." not in text


def test_two_processes_writing_one_document_at_once_leave_one_whole_file(plan, app, tmp_path):
    """Two workers render the same document at the same moment: each sends its own, one whole file stays, no
    temporary file is left behind."""
    import threading

    stamp = current_stamp()
    db.session.commit()
    other, _ = _other_worker(tmp_path, plan["boss"])
    barrier = threading.Barrier(2)
    got = []

    def worker(n, worker_app):
        with worker_app.test_request_context("/plan.pdf"):
            def build():
                barrier.wait(timeout=10)  # both have missed; both write
                return b"%PDF-" + bytes([48 + n]) * 200_000
            got.append(_bytes(kept.kept_document(stamp, ("race",), build)))
            db.session.remove()

    threads = [threading.Thread(target=worker, args=(1, app)), threading.Thread(target=worker, args=(2, other))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert sorted(got) == [b"%PDF-" + b"1" * 200_000, b"%PDF-" + b"2" * 200_000]
    (path,) = _kept_files(app)
    assert path.read_bytes() in got and not path.name.startswith(".")
    with app.test_request_context("/plan.pdf"):
        assert _bytes(kept.kept_document(stamp, ("race",), lambda: b"%PDF-new")) == path.read_bytes()


def test_the_viewers_role_and_school_join_every_key_by_themselves(plan, app, f):
    """A caller that forgot the viewer cannot hand one school's paper to another: role and school are in the key."""
    from flask import g

    stamp = current_stamp()
    first = f.librarian(f.school("1"))
    second = f.librarian(f.school("2"))
    db.session.commit()
    answers = []
    for user, paper in ((first, b"%PDF-school-1"), (second, b"%PDF-school-2"), (plan["boss"], b"%PDF-district"),
                        (first, b"%PDF-again")):
        with app.test_request_context("/x.pdf"):
            g._login_user = user  # what Flask-Login's current_user answers in this request
            answers.append(_bytes(kept.kept_document(stamp, ("same key",), lambda p=paper: p)))
    assert answers == [b"%PDF-school-1", b"%PDF-school-2", b"%PDF-district", b"%PDF-school-1"]


def test_threads_of_one_worker_asking_for_a_missing_document_at_once_render_it_once(plan, app):
    """After a change, several requests in one worker want the same paper: one renders it, the others wait and get
    its file (eight loops on the year's results would otherwise render it eight times, or be refused)."""
    stamp = current_stamp()
    db.session.commit()
    paper = b"%PDF-" + b"r" * 100_000
    builds, got = ask_at_once(app, "/results.pdf",
                              lambda build: _bytes(kept.kept_document(stamp, ("one render",), build)), paper)
    assert builds == 1
    assert got == [paper] * 4

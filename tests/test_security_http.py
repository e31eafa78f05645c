"""Security headers, request size limit, NUL bytes, and database failures turned into a friendly page."""

from __future__ import annotations

import logging
import sqlite3

import pytest
from sqlalchemy import event

from mo_app.extensions import db

from .conftest import htmx, make_app, set_up_database
from .factories import PASSWORD


def csp(response) -> dict[str, list[str]]:
    policy = response.headers["Content-Security-Policy"]
    out = {}
    for part in policy.split(";"):
        words = part.split()
        if words:
            out[words[0]] = words[1:]
    return out


@pytest.mark.parametrize("path", ["/login", "/no-such-page", "/static/js/app.js", "/healthz"])
def test_strict_headers_on_every_kind_of_response(client, path):
    r = client.get(path)
    r.close()
    policy = csp(r)
    assert policy["default-src"] == ["'self'"]
    assert policy["frame-ancestors"] == ["'none'"]
    assert policy["object-src"] == ["'none'"]
    assert policy["script-src"] == ["'self'"]
    assert policy["style-src"] == ["'self'"]
    sources = [s for values in policy.values() for s in values]
    for weak in ("'unsafe-inline'", "'unsafe-eval'", "*", "http:", "https:"):
        assert weak not in sources, (weak, policy)
    assert r.headers["X-Content-Type-Options"] == "nosniff"
    assert r.headers["Referrer-Policy"] in ("same-origin", "no-referrer", "strict-origin-when-cross-origin")
    assert r.headers["X-Frame-Options"] in ("DENY", "SAMEORIGIN")


def test_headers_on_logged_in_pages_and_errors(client, f, login_as):
    login_as(f.librarian())
    for path, status in (("/", 200), ("/password", 200), ("/audit/", 403)):
        r = client.get(path)
        assert r.status_code == status
        assert "'unsafe-inline'" not in r.headers["Content-Security-Policy"]
        assert r.headers["X-Content-Type-Options"] == "nosniff"


# --- request size ----------------------------------------------------------------------------------------


@pytest.fixture
def small_app(tmp_path):
    app = make_app(tmp_path, MAX_CONTENT_LENGTH=2048)
    with app.app_context():
        db.create_all()
        set_up_database()  # an empty database would send every request to /setup
        yield app
        db.session.remove()
        db.engine.dispose()


def test_oversized_request_gets_a_friendly_russian_413(small_app):
    c = small_app.test_client()
    r = c.post("/login", data={"login": "x" * 5000, "password": "y"})
    assert r.status_code == 413
    text = r.get_data(as_text=True)
    assert "Слишком большой запрос" in text and "<html" in text
    r = c.post("/login", data={"login": "x" * 5000, "password": "y"}, headers=htmx())
    assert r.status_code == 413
    assert "Слишком большой запрос" in r.get_data(as_text=True)
    assert "<html" not in r.get_data(as_text=True)
    # A multipart upload over the limit too.
    import io

    r = c.post("/password", data={"file": (io.BytesIO(b"0" * 10_000), "big.pdf")},
               content_type="multipart/form-data")
    assert r.status_code == 413
    # And a small request still works.
    assert c.post("/login", data={"login": "nobody", "password": "nothing-here"}).status_code == 422


# --- NUL bytes -------------------------------------------------------------------------------------------


def test_nul_bytes_are_refused_with_400(client, f, login_as):
    f.librarian(login="petrova")
    r = client.post("/login", data={"login": "petrova\x00", "password": PASSWORD})
    assert r.status_code == 400
    assert "недопустимые символы" in r.get_data(as_text=True)
    login_as(f.methodologist())
    r = client.get("/audit/?entity=Event%00")
    assert r.status_code == 400


# --- database failures -----------------------------------------------------------------------------------


def test_locked_sqlite_database_gives_503_rolls_back_and_recovers(tmp_path, caplog):
    path = tmp_path / "locked.sqlite3"
    app = make_app(tmp_path, SQLALCHEMY_DATABASE_URI=f"sqlite:///{path}")
    with app.app_context():
        db.create_all()
        from mo_app.models import User
        from mo_app.models.people import Organization

        school = Organization(name="Школа", short_name="Ш", kind="school")
        db.session.add(school)
        db.session.add(User(login="petrova", last_name="Петрова", role="librarian", organization=school,
                            password_hash=db.session.scalar(db.select(User.password_hash).limit(1)) or ""))
        db.session.commit()
        user = db.session.scalar(db.select(User).where(User.login == "petrova"))
        user.set_password(PASSWORD)
        db.session.commit()

        @event.listens_for(db.engine, "connect")
        def tiny_busy_timeout(dbapi_conn, _record):
            dbapi_conn.execute("PRAGMA busy_timeout=50")

        db.engine.dispose()
        c = app.test_client()
        blocker = sqlite3.connect(path, isolation_level=None)
        blocker.execute("BEGIN EXCLUSIVE")
        try:
            with caplog.at_level(logging.ERROR):
                r = c.post("/login", data={"login": "petrova", "password": PASSWORD})
            assert r.status_code == 503
            text = r.get_data(as_text=True)
            assert "База данных сейчас недоступна" in text and "<html" in text
            assert "Traceback" not in text and "locked" not in text
            assert any("database error" in rec.getMessage() for rec in caplog.records)
            r = c.post("/login", data={"login": "petrova", "password": PASSWORD}, headers=htmx())
            assert r.status_code == 503 and "<html" not in r.get_data(as_text=True)
        finally:
            blocker.execute("ROLLBACK")
            blocker.close()
        r = c.post("/login", data={"login": "petrova", "password": PASSWORD})
        assert r.status_code == 303  # the next request works
        assert c.get("/").status_code == 200
        db.session.remove()
        db.engine.dispose()


def test_unreachable_database_gives_503_not_500(tmp_path, caplog):
    app = make_app(tmp_path, SQLALCHEMY_DATABASE_URI="postgresql+psycopg://nobody@127.0.0.1:1/none")
    c = app.test_client()
    with caplog.at_level(logging.ERROR):
        r = c.post("/login", data={"login": "petrova", "password": PASSWORD})
    assert r.status_code == 503
    assert "База данных сейчас недоступна" in r.get_data(as_text=True)
    assert any("database error" in rec.getMessage() for rec in caplog.records)
    # a logged-in session whose user cannot be loaded
    with c.session_transaction() as sess:
        sess["_user_id"] = "k" * 43  # a well-formed session key: the loader must ask the database
    assert c.get("/").status_code == 503
    with app.app_context():
        db.engine.dispose()


# --- caching and downloads ---------------------------------------------------------------------------------


DOWNLOAD_KINDS = {
    "application/pdf": "PDF",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": "DOCX",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": "XLSX",
    "text/csv": "CSV",
    "text/calendar": "ICS",
}


def test_no_store_on_every_logged_in_page_and_every_download_but_not_on_static_files(app, f):
    """Every GET route of the access matrix, as the methodologist (shared school computers keep nothing)."""
    from .access_matrix import ROWS, build_world, visitor

    w = build_world(f)
    who = visitor(app, w, "methodologist")
    seen = set()
    for row in ROWS:
        if row.method != "GET" or row.endpoint == "static":
            continue
        r = who.client.get(row.build_url(w), headers=htmx() if row.htmx else {})
        assert r.headers.get("Cache-Control") == "no-store", f"{row}: {r.headers.get('Cache-Control')}"
        if "Content-Disposition" in r.headers:
            uploaded = row.endpoint in ("practice.download_file", "materials.download")
            seen.add("uploaded file" if uploaded else DOWNLOAD_KINDS[r.mimetype])
        r.close()
    assert seen == {"PDF", "DOCX", "XLSX", "CSV", "ICS", "uploaded file"}
    # the personal calendar feed, fetched by a calendar app with no login
    r = app.test_client().get(w.url("events.calendar_feed", token=w.feed_token))
    assert r.status_code == 200 and r.headers["Cache-Control"] == "no-store"
    # static files keep their normal caching (revalidated by ETag)
    r = who.client.get("/static/css/app.css")
    assert r.status_code == 200 and "no-store" not in r.headers.get("Cache-Control", "") and r.headers["ETag"]
    r.close()


def browser_upload(client, url: str, filename: str, data: bytes):
    """POST a file as a browser encodes it (WHATWG: `"` becomes %22 in a multipart file name, UTF-8 as is)."""
    boundary = "----mo-test-boundary-7f3c"
    head = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; "
            f"filename=\"{filename.replace(chr(34), '%22')}\"\r\nContent-Type: application/pdf\r\n\r\n")
    body = head.encode() + data + f"\r\n--{boundary}--\r\n".encode()
    return client.post(url, data=body, content_type=f"multipart/form-data; boundary={boundary}")


def test_download_names_are_quoted_as_rfc_6266_says(app, f, client, login_as):
    """A quote or Cyrillic in a file name comes back exactly as the browser should save it."""
    from werkzeug.http import parse_options_header

    from mo_app.models import BestPracticeFile

    from .access_matrix import build_world

    w = build_world(f)
    login_as(w.methodologist)
    for name in ('a"b.pdf', "Методичка «Чтение»; 2026.pdf"):
        r = browser_upload(client, f"/best-practice/{w.best_practice_a.id}/files", name, b"%PDF-1.4 notes")
        assert r.status_code == 303
        record = db.session.scalar(db.select(BestPracticeFile).order_by(BestPracticeFile.id.desc()).limit(1))
        assert record.original_name == name
        r = client.get(f"/best-practice/files/{record.id}")
        kind, params = parse_options_header(r.headers["Content-Disposition"])
        assert (kind, params["filename"]) == ("attachment", name), r.headers["Content-Disposition"]
        assert r.data == b"%PDF-1.4 notes" and r.headers["Cache-Control"] == "no-store"
        r.close()
    # a generated document shown in the browser (inline) under a Cyrillic name
    r = client.get(w.url("plan.pdf", year=w.year.start_year))
    kind, params = parse_options_header(r.headers["Content-Disposition"])
    assert kind == "inline" and params["filename"] == f"План МО {w.year.title}.pdf"
    assert r.headers["Content-Length"] == str(len(r.data))
    r.close()

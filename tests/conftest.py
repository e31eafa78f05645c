"""Test setup: a real database per test (SQLite file, or PostgreSQL via TEST_DATABASE_URL), the Flask
test client, and factories. Nothing is mocked."""

from __future__ import annotations

import os
import re
import secrets
import tempfile
from contextlib import contextmanager

import pytest

# Keep tests away from the developer's instance/ folder and secret.
os.environ.setdefault("MO_INSTANCE_PATH", tempfile.mkdtemp(prefix="mo-test-instance-"))
os.environ.setdefault("SECRET_KEY", secrets.token_hex(16))

from flask import current_app  # noqa: E402
from sqlalchemy import text  # noqa: E402

from mo_app import create_app  # noqa: E402
from mo_app.extensions import db  # noqa: E402

from .client import CSRFClient  # noqa: E402
from .factories import Factories  # noqa: E402

PG_URL = os.environ.get("TEST_DATABASE_URL")
_pg_schema_ready = False


def _reset_database() -> None:
    """Give each test an empty schema: fresh tables on SQLite, truncated tables on PostgreSQL."""
    global _pg_schema_ready
    if db.engine.dialect.name == "postgresql":
        if not _pg_schema_ready:
            db.drop_all()
            db.create_all()
            _pg_schema_ready = True
        names = ", ".join(f'"{t.name}"' for t in db.metadata.sorted_tables)
        db.session.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
        db.session.commit()
    else:
        db.create_all()


def schema_dropped() -> None:
    """Tell the fixtures that a test dropped the PostgreSQL schema, so the next one rebuilds it."""
    global _pg_schema_ready
    _pg_schema_ready = False


def make_app(tmp_path, **overrides):
    """An app on its own database (a SQLite file in tmp_path unless TEST_DATABASE_URL is set)."""
    url = PG_URL or f"sqlite:///{tmp_path / 'test.sqlite3'}"
    config = {
        "TESTING": True,
        "SQLALCHEMY_DATABASE_URI": url,
        "UPLOAD_FOLDER": str(tmp_path / "uploads"),
        "BACKUP_DIR": str(tmp_path / "backups"),
        "DOCUMENT_CACHE_DIR": str(tmp_path / "documents"),
        "SERVER_NAME": None,
    }
    config.update(overrides)
    app = create_app(config)
    app.test_client_class = CSRFClient
    return app


TEST_ASSOCIATION = "Методическое объединение школьных библиотекарей Тестового района"
TEST_CENTRE = "ИМЦ Тестового района"


def set_up_database() -> None:
    """The settings row /setup writes (no signatory): the database counts as set up for real, as after the
    first run, and the app has seen it, as after its first request (so a page's first request in a test
    costs no setup check: tests/test_bench_queries.py). Tests of the first run use the `blank` fixture."""
    from mo_app.audit_log import audit_suspended
    from mo_app.models import AppSettings

    with audit_suspended():
        db.session.execute(db.delete(AppSettings))  # a database not reset by the `app` fixture may hold one
        db.session.add(AppSettings(association_name=TEST_ASSOCIATION, centre_name=TEST_CENTRE, is_demo=False))
        db.session.commit()
    seen_by_the_app()


def seen_by_the_app() -> None:
    """Forget what the app knew of the database's setup and look again, as a new process's first request."""
    from mo_app.setup.queries import SetupState, setup_done

    current_app.extensions["mo_setup"] = SetupState()
    setup_done()
    db.session.commit()


@pytest.fixture
def app(tmp_path):
    app = make_app(tmp_path)
    with app.app_context():
        _reset_database()
        set_up_database()
        yield app
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def blank(app):
    """The app on an empty database, as on the first `make run`: no settings row, no account."""
    from mo_app.models import AppSettings

    db.session.execute(db.delete(AppSettings))
    db.session.commit()
    seen_by_the_app()
    return app


def _drop_schema() -> None:
    db.drop_all()
    with db.engine.begin() as conn:
        conn.exec_driver_sql("DROP TABLE IF EXISTS alembic_version")


@contextmanager
def migrated_app(tmp_path):
    """An app whose database the migrations built (not create_all), inside its app context; the schema is
    dropped afterwards."""
    from flask_migrate import upgrade

    app = make_app(tmp_path, SQLALCHEMY_DATABASE_URI=PG_URL or f"sqlite:///{tmp_path / 'migrated.sqlite3'}")
    with app.app_context():
        _drop_schema()
        upgrade()
        try:
            yield app
        finally:
            db.session.remove()
            _drop_schema()
            db.engine.dispose()
            schema_dropped()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def f(app) -> Factories:
    """Factories: f.school(), f.librarian(), f.methodologist(), f.year(), f.event()..."""
    return Factories()


@pytest.fixture
def login_as(client):
    """Log the test client in as `user` (through the session, as Flask-Login would)."""

    def _login(user):
        from mo_app.auth.sessions import open_session

        key = open_session(user)  # a server-side session, as a real login opens one
        with client.session_transaction() as sess:
            sess["_user_id"] = key
            sess["_fresh"] = True
        return client

    return _login


_TOKEN = re.compile(r'(name="csrf_token" value="|"X-CSRFToken": ")[^"]*"')


def without_csrf(html: str) -> str:
    """A page with its CSRF tokens blanked: a token is signed with the second it was made, so two views of the
    same page a second apart differ only there."""
    return _TOKEN.sub(r'\1"', html)


def htmx(**extra) -> dict:
    """Headers of an htmx request."""
    return {"HX-Request": "true", **extra}


@pytest.fixture
def demo(app):
    """The demo loaded (both years) into an empty database, as `make demo` does."""
    from datetime import date

    from mo_app.demo import load_demo
    from mo_app.models import AppSettings

    db.session.execute(db.delete(AppSettings))
    db.session.commit()
    load_demo(today=date(2026, 11, 26))
    seen_by_the_app()
    return app


def pytest_sessionfinish(session, exitstatus):
    """With FAIL_ON_SKIP=1 (CI), a skipped test fails the run: skipped is not passed."""
    if os.environ.get("FAIL_ON_SKIP") != "1":
        return
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    skipped = len(reporter.stats.get("skipped", [])) if reporter else 0
    if skipped and session.exitstatus == 0:
        print(f"\nFAIL_ON_SKIP: {skipped} test(s) skipped — failing the run.")
        session.exitstatus = 1


@pytest.fixture
def smtp(app):
    """A real SMTP server (aiosmtpd) on a free local port, and the app configured to send to it."""
    from .mail_helpers import SmtpServer, mail_config

    server = SmtpServer().start()
    app.config.update(mail_config(server.port))
    yield server.sink
    server.stop()

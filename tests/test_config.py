"""Configuration: the secret key file, DATABASE_URL, SQLite pragmas, the server process, the 500 page."""

import os
import stat
import subprocess
import sys

import pytest
from sqlalchemy import create_engine, text

from mo_app import config as config_module


def test_secret_key_generated_once_with_mode_600(tmp_path, monkeypatch):
    monkeypatch.delenv("SECRET_KEY", raising=False)
    first = config_module._secret_key(tmp_path)
    path = tmp_path / "secret_key"
    assert len(first) >= 64
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert config_module._secret_key(tmp_path) == first


def test_secret_key_from_environment_wins(tmp_path, monkeypatch):
    monkeypatch.setenv("SECRET_KEY", "from-the-environment")
    assert config_module._secret_key(tmp_path) == "from-the-environment"
    assert not (tmp_path / "secret_key").exists()


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        (None, "sqlite:///{inst}/mo.sqlite3"),
        ("postgresql://u@h/db", "postgresql+psycopg://u@h/db"),
        ("postgres://u@h/db", "postgresql+psycopg://u@h/db"),
        ("postgresql+psycopg://u@h/db", "postgresql+psycopg://u@h/db"),
    ],
)
def test_database_url(tmp_path, monkeypatch, given, expected):
    if given is None:
        monkeypatch.delenv("DATABASE_URL", raising=False)
    else:
        monkeypatch.setenv("DATABASE_URL", given)
    assert config_module._database_url(tmp_path) == expected.format(inst=tmp_path)


def test_sqlite_connections_use_wal_foreign_keys_and_busy_timeout(tmp_path):
    """Every SQLite connection, whatever engine made it (the suite may itself run on PostgreSQL)."""
    engine = create_engine(f"sqlite:///{tmp_path / 'pragmas.sqlite3'}")
    try:
        with engine.connect() as conn:
            assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
            assert conn.execute(text("PRAGMA foreign_keys")).scalar() == 1
            assert conn.execute(text("PRAGMA busy_timeout")).scalar() == 10000
            assert conn.execute(text("PRAGMA cache_size")).scalar() == -512  # KiB: the OS caches the file
    finally:
        engine.dispose()


def _server_env(tmp_path) -> dict:
    return {**os.environ, "DATABASE_URL": f"sqlite:///{tmp_path / 'wsgi.sqlite3'}", "SECRET_KEY": "x" * 32,
            "MO_INSTANCE_PATH": str(tmp_path / "instance")}


def test_served_app_leaves_out_the_migration_tooling(tmp_path):
    """The WSGI entry (what gunicorn and waitress-serve load) builds the app without Flask-Migrate: a worker
    does not carry Alembic. `flask db` (create_app's default) still has it: tests/test_migrations.py."""
    env = _server_env(tmp_path)
    code = "import sys, wsgi; print(sorted(m for m in ('alembic', 'flask_migrate') if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], cwd=config_module.ROOT, env=env, capture_output=True,
                         text=True, timeout=60, check=True)
    assert out.stdout.strip() == "[]"
    code = "import mo_app; print('db' in mo_app.create_app().cli.commands)"
    out = subprocess.run([sys.executable, "-c", code], cwd=config_module.ROOT, env=env, capture_output=True,
                         text=True, timeout=60, check=True)
    assert out.stdout.strip() == "True"


def test_served_app_has_the_document_libraries_loaded_and_frozen(tmp_path):
    """A server process (wsgi.py, as mo_app.serve and the bench) loads python-docx before it serves, and freezes
    what it loaded: the collection after each office document then walks only what came later."""
    env = _server_env(tmp_path)
    code = ("import gc, sys, wsgi; print('docx' in sys.modules and 'weasyprint' not in sys.modules, "
            "gc.get_freeze_count(), len(gc.get_objects()))")
    out = subprocess.run([sys.executable, "-c", code], cwd=config_module.ROOT, env=env, capture_output=True,
                         text=True, timeout=60, check=True)
    loaded, frozen, tracked = out.stdout.split()
    assert loaded == "True"
    assert int(frozen) > 10 * int(tracked), (frozen, tracked)


def test_unexpected_error_gives_russian_500_page_and_fragment(app, client, f, login_as):
    @app.route("/boom-for-test")
    def boom():
        raise RuntimeError("boom")

    login_as(f.librarian())
    full = client.get("/boom-for-test")
    assert full.status_code == 500 and "Внутренняя ошибка" in full.get_data(as_text=True)
    assert "<html" in full.get_data(as_text=True)
    part = client.get("/boom-for-test", headers={"HX-Request": "true"})
    assert part.status_code == 500 and "<html" not in part.get_data(as_text=True)
    assert "Внутренняя ошибка" in part.get_data(as_text=True)

"""`flask backup PATH` / `flask restore PATH`: a consistent copy while the app runs, brought back whole."""

from __future__ import annotations

import sqlite3

from sqlalchemy import create_engine, text

from mo_app.extensions import db
from mo_app.models import Event, Organization, User

from .factories import PASSWORD
from .security_helpers import db_fingerprint


def _world(f):
    school = f.school("79")
    lib = f.librarian(school, login="petrova", last_name="Петрова")
    boss = f.methodologist(login="metodist")
    ev = f.event(title="Семинар «Чтение»", capacity=10)
    f.registration(ev, lib)
    f.visit(school)
    return school, lib, boss, ev


def test_backup_while_running_then_restore_brings_everything_back(app, runner, f, tmp_path):
    school, lib, boss, ev = _world(f)
    saved = db_fingerprint()
    target = tmp_path / "copy.backup"

    # Another connection is in the middle of a write transaction while the backup runs.
    other = create_engine(db.engine.url)
    with other.connect() as conn:
        trans = conn.begin()
        conn.execute(text("INSERT INTO organization (name, short_name, kind, is_active) "
                          "VALUES ('Незавершённая', 'Н', 'school', true)"))
        r = runner.invoke(args=["backup", str(target)])
        assert r.exit_code == 0, r.output
        assert "Резервная копия сохранена" in r.output
        trans.rollback()
    other.dispose()
    assert target.stat().st_size > 0

    # The app goes on changing data.
    db.session.delete(db.session.get(Event, ev.id))
    db.session.get(User, lib.id).last_name = "Сидорова"
    f.school("999")
    client = app.test_client()
    assert client.post("/login", data={"login": "metodist", "password": PASSWORD}).status_code == 303
    db.session.commit()
    assert db_fingerprint() != saved

    r = runner.invoke(args=["restore", str(target)], input="y\n")
    assert r.exit_code == 0, r.output
    assert "Данные восстановлены" in r.output
    assert db_fingerprint() == saved
    assert db.session.scalar(db.select(Organization).where(Organization.short_name == "Н")) is None
    # The app works on the restored data.
    assert client.get("/").status_code in (200, 302)
    fresh = app.test_client()
    assert fresh.post("/login", data={"login": "petrova", "password": PASSWORD}).status_code == 303
    assert "Петрова" in fresh.get("/").get_data(as_text=True)


def test_restore_asks_first_and_refuses_what_is_not_a_backup(app, runner, f, tmp_path):
    _world(f)
    saved = db_fingerprint()
    good = tmp_path / "good.backup"
    assert runner.invoke(args=["backup", str(good)]).exit_code == 0
    f.school("1000")
    changed = db_fingerprint()

    r = runner.invoke(args=["restore", str(good)], input="n\n")
    assert r.exit_code != 0
    assert db_fingerprint() == changed

    junk = tmp_path / "junk.backup"
    junk.write_bytes(b"this is not a database at all" * 100)
    r = runner.invoke(args=["restore", "--yes", str(junk)])
    assert r.exit_code != 0
    assert "не является резервной копией" in r.output
    assert db_fingerprint() == changed

    r = runner.invoke(args=["restore", "--yes", str(tmp_path / "missing.backup")])
    assert r.exit_code != 0 and "не найден" in r.output

    r = runner.invoke(args=["backup", str(tmp_path / "no-such-dir" / "x.backup")])
    assert r.exit_code != 0 and "не существует" in r.output

    assert runner.invoke(args=["restore", "--yes", str(good)]).exit_code == 0
    assert db_fingerprint() == saved


def test_sqlite_backup_is_one_sound_file(app, runner, f, tmp_path):
    if db.engine.dialect.name != "sqlite":
        # On PostgreSQL the backup is pg_dump's SQL text.
        target = tmp_path / "pg.sql"
        assert runner.invoke(args=["backup", str(target)]).exit_code == 0
        assert target.read_text(encoding="utf-8").startswith("--\n-- PostgreSQL database dump")
        return
    _world(f)
    target = tmp_path / "copy.sqlite3"
    assert runner.invoke(args=["backup", str(target)]).exit_code == 0
    conn = sqlite3.connect(target)
    try:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "delete"
        assert conn.execute("SELECT count(*) FROM user").fetchone()[0] == 2
    finally:
        conn.close()
    assert not (tmp_path / "copy.sqlite3-wal").exists()
    r = runner.invoke(args=["restore", "--yes", str(target)])
    kept = [p for p in (tmp_path).iterdir() if ".before-restore-" in p.name]
    assert kept, r.output  # the replaced data is kept beside the database
    assert "Прежние данные сохранены" in r.output

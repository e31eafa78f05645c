"""`flask backup PATH` / `flask restore PATH`: a consistent archive while the app runs, brought back whole
(the database part; uploads, checksums and the restore gate: tests/test_backup.py, tests/test_restore_gate.py)."""

from __future__ import annotations

import json
import sqlite3
import tarfile

from sqlalchemy import create_engine, text

from mo_app.cache import current_stamp
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
    saved = db_fingerprint(exclude=("data_version",))
    target = tmp_path / "copy.tar.gz"

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
    assert db_fingerprint(exclude=("data_version",)) != saved
    stamp_before = current_stamp()
    db.session.commit()

    r = runner.invoke(args=["restore", str(target)], input="y\n")
    assert r.exit_code == 0, r.output
    assert "Данные и файлы восстановлены" in r.output
    assert db_fingerprint(exclude=("data_version",)) == saved
    # a new data stamp: every process's page cache starts over
    assert current_stamp() not in (None, stamp_before)
    db.session.commit()
    assert db.session.scalar(db.select(Organization).where(Organization.short_name == "Н")) is None
    # The app works on the restored data.
    assert client.get("/").status_code in (200, 302)
    fresh = app.test_client()
    assert fresh.post("/login", data={"login": "petrova", "password": PASSWORD}).status_code == 303
    assert "Петрова" in fresh.get("/").get_data(as_text=True)


def test_restore_asks_first_and_refuses_what_is_not_a_backup(app, runner, f, tmp_path):
    _world(f)
    saved = db_fingerprint(exclude=("data_version",))
    good = tmp_path / "good.tar.gz"
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
    assert db_fingerprint(exclude=("data_version",)) == saved


def test_the_database_in_the_archive_is_sound(app, runner, f, tmp_path):
    """SQLite: one self-contained file (no -wal), integrity ok; PostgreSQL: pg_dump's SQL text."""
    _world(f)
    target = tmp_path / "copy.tar.gz"
    assert runner.invoke(args=["backup", str(target)]).exit_code == 0
    with tarfile.open(target) as tar:
        manifest = json.loads(tar.extractfile("manifest.json").read())
        member = "database.sqlite3" if db.engine.dialect.name == "sqlite" else "database.sql"
        assert manifest["database"] == db.engine.dialect.name and member in manifest["members"]
        assert [m.name for m in tar.getmembers() if m.name.startswith("database")] == [member]
        (tmp_path / member).write_bytes(tar.extractfile(member).read())
    if member == "database.sql":
        assert (tmp_path / member).read_text(encoding="utf-8").startswith("--\n-- PostgreSQL database dump")
    else:
        conn = sqlite3.connect(tmp_path / member)
        try:
            assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
            assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "delete"
            assert conn.execute("SELECT count(*) FROM user").fetchone()[0] == 2
        finally:
            conn.close()
    r = runner.invoke(args=["restore", "--yes", str(target)])
    assert r.exit_code == 0, r.output
    kept = sorted((tmp_path / "backups").glob("mo-before-restore-*.tar.gz"))
    assert len(kept) == 1 and f"Прежние данные сохранены в {kept[0]}" in r.output

"""Backups of everything: one archive holds the database and every uploaded file with a SHA-256 manifest;
restore checks it before touching anything and puts the files back with the rows; BACKUP_DIR keeps the
BACKUP_KEEP newest; the settings partial shows the newest one. Runs on SQLite and on PostgreSQL."""

from __future__ import annotations

import hashlib
import io
import json
import os
import tarfile
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest
from flask import render_template

from mo_app import backup
from mo_app.backup import BackupError
from mo_app.extensions import db
from mo_app.models import BestPractice, BestPracticeFile, Organization, User, UserSession

from .security_helpers import db_fingerprint

PDF = b"%PDF-1.4 " + os.urandom(2000)  # incompressible, so a changed byte lands in a member's data


def _entry_with_file(client, f, login_as, data: bytes = PDF, name: str = "Методичка.pdf") -> BestPracticeFile:
    """An accepted best-practice entry with one file uploaded through the page, as the methodologist."""
    year = f.year(2026)
    boss = db.session.scalar(db.select(User).where(User.login == "metodist")) or f.methodologist(login="metodist")
    entry = BestPractice(year_id=year.id, topic="Буктрейлеры", status="accepted", stage="study")
    db.session.add(entry)
    db.session.commit()
    login_as(boss)
    r = client.post(f"/best-practice/{entry.id}/files", data={"file": (io.BytesIO(data), name)},
                    content_type="multipart/form-data")
    assert r.status_code == 303
    return db.session.scalar(db.select(BestPracticeFile).where(BestPracticeFile.entry_id == entry.id))


def _download(client, file_id: int):
    r = client.get(f"/best-practice/files/{file_id}")
    body = r.data
    r.close()
    return r.status_code, body


def _uploads(app) -> dict[str, bytes]:
    root = Path(app.config["UPLOAD_FOLDER"])
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def test_restore_brings_back_a_deleted_upload_and_row(app, client, f, login_as, runner, tmp_path):
    record = _entry_with_file(client, f, login_as)
    school = f.school("79")
    archive = tmp_path / "before.tar.gz"
    assert runner.invoke(args=["backup", str(archive)]).exit_code == 0
    with tarfile.open(archive) as tar:
        manifest = json.loads(tar.extractfile("manifest.json").read())
        member = f"uploads/best_practice/{record.stored_name}"
        assert tar.extractfile(member).read() == PDF
    assert manifest["members"][member] == {"size": len(PDF), "sha256": hashlib.sha256(PDF).hexdigest()}
    file_id, school_id, school_name, stored = record.id, school.id, school.short_name, record.stored_name

    # the file is deleted through the page (row and file), a school is deleted, a later file is uploaded
    assert client.post(f"/best-practice/files/{file_id}/delete").status_code == 303
    assert _download(client, file_id)[0] == 404
    db.session.delete(db.session.get(Organization, school_id))
    db.session.commit()
    later = _entry_with_file(client, f, login_as, data=b"%PDF later", name="Позже.pdf")
    later_entry = later.entry_id
    uploads_after = _uploads(app)
    assert len(uploads_after) == 1

    r = runner.invoke(args=["restore", "--yes", str(archive)])
    assert r.exit_code == 0, r.output

    # no session outlives a restore (one logged out since the backup would otherwise come back): log in again
    assert _download(client, file_id)[0] == 302
    assert db.session.scalar(db.select(db.func.count()).select_from(UserSession)) == 0
    login_as(db.session.scalar(db.select(User).where(User.login == "metodist")))
    assert _download(client, file_id) == (200, PDF)
    assert db.session.get(Organization, school_id).short_name == school_name
    # consistent with the database: the file uploaded after the backup is gone with its row...
    assert _uploads(app) == {f"best_practice/{stored}": PDF}
    assert db.session.get(BestPractice, later_entry) is None
    # ...and kept, with everything replaced, in the before-restore archive
    kept = next((tmp_path / "backups").glob("mo-before-restore-*.tar.gz"))
    with tarfile.open(kept) as tar:
        assert {f"uploads/{k}": v for k, v in uploads_after.items()} == {
            m.name: tar.extractfile(m).read() for m in tar.getmembers() if m.name.startswith("uploads/")}


def _state(app):
    return db_fingerprint(), _uploads(app), sorted(p.name for p in Path(app.config["BACKUP_DIR"]).glob("*"))


def _refused(app, archive: Path, words: str) -> None:
    before = _state(app)
    with pytest.raises(BackupError) as e:
        backup.restore(archive)
    assert words in str(e.value) and "Ничего не изменено" in str(e.value)
    assert _state(app) == before  # no row, no file, not even a before-restore archive
    assert not [p for p in Path(app.config["UPLOAD_FOLDER"]).iterdir() if p.name.startswith(".")]


@pytest.mark.parametrize("where", [0.5, 0.9, -3])
def test_an_archive_with_one_byte_changed_is_refused_before_anything_is_touched(app, client, f, login_as, tmp_path,
                                                                                 where):
    _entry_with_file(client, f, login_as)
    archive = backup.backup(tmp_path / "good.tar.gz")
    data = bytearray(archive.read_bytes())
    at = int(len(data) * where) if where > 0 else len(data) + where  # in the data, near the end, in gzip's trailer
    data[at] ^= 0x01
    bad = tmp_path / "bad.tar.gz"
    bad.write_bytes(bytes(data))
    f.school("после копии")
    _refused(app, bad, "")
    assert backup.restore(archive)  # the sound one is restored


def _rewrite(archive: Path, target: Path, change) -> None:
    """Copy `archive` member by member, letting change(name, data) return new data (None: leave the member out)."""
    with tarfile.open(archive) as src, tarfile.open(target, "w:gz") as dst:
        for m in src.getmembers():
            data = change(m.name, src.extractfile(m).read())
            if data is None:
                continue
            m.size = len(data)
            dst.addfile(m, io.BytesIO(data))


def test_a_well_formed_archive_whose_file_differs_from_the_manifest_is_refused(app, client, f, login_as, tmp_path):
    record = _entry_with_file(client, f, login_as)
    archive = backup.backup(tmp_path / "good.tar.gz")
    member = f"uploads/best_practice/{record.stored_name}"

    def flip(name, data):
        return data[:100] + bytes([data[100] ^ 1]) + data[101:] if name == member else data

    _rewrite(archive, tmp_path / "flipped.tar.gz", flip)
    _refused(app, tmp_path / "flipped.tar.gz", f"контрольная сумма файла «{member}» не совпадает")

    _rewrite(archive, tmp_path / "missing.tar.gz", lambda name, data: None if name == member else data)
    _refused(app, tmp_path / "missing.tar.gz", f"нет файла «{member}»")

    _rewrite(archive, tmp_path / "no-manifest.tar.gz", lambda name, data: None if name == "manifest.json" else data)
    _refused(app, tmp_path / "no-manifest.tar.gz", "нет описи")

    other = "postgresql" if db.engine.dialect.name == "sqlite" else "sqlite"

    def other_kind(name, data):
        if name != "manifest.json":
            return data
        return json.dumps({**json.loads(data), "database": other}).encode()

    _rewrite(archive, tmp_path / "other.tar.gz", other_kind)
    _refused(app, tmp_path / "other.tar.gz", "")


def test_an_archive_reaching_outside_the_upload_folder_is_refused(app, tmp_path):
    archive = backup.backup(tmp_path / "good.tar.gz")
    evil = tmp_path / "evil.tar.gz"
    with tarfile.open(archive) as src, tarfile.open(evil, "w:gz") as dst:
        for m in src.getmembers():
            dst.addfile(m, src.extractfile(m))
        info = tarfile.TarInfo("uploads/../../escaped.txt")
        info.size = 2
        dst.addfile(info, io.BytesIO(b"hi"))
    _refused(app, evil, "недопустимый элемент «uploads/../../escaped.txt»")
    assert not (tmp_path / "escaped.txt").exists()


def test_backup_without_a_path_goes_to_backup_dir_and_keeps_the_newest(app, runner, tmp_path):
    app.config["BACKUP_KEEP"] = 3
    folder = tmp_path / "backups"
    made = []
    for _ in range(5):
        r = runner.invoke(args=["backup"])
        assert r.exit_code == 0, r.output
        made.append(sorted(folder.glob("mo-backup-*.tar.gz"), key=lambda p: p.stat().st_mtime)[-1])
        assert f"Резервная копия сохранена: {made[-1]}" in r.output and " КБ)" in r.output
        time.sleep(0.01)
    assert sorted(folder.glob("mo-backup-*.tar.gz")) == sorted(made[-3:])
    assert backup.last_backup().path == made[-1]


def _render_status(app) -> str:
    with app.test_request_context():
        return " ".join(render_template("setup/_backup_status.html").split())


def test_backup_status_partial_shows_the_newest_backup_red_when_old_or_missing(app, tmp_path):
    assert backup.last_backup() is None
    html = _render_status(app)
    assert "Резервных копий ещё нет" in html and "backup-stale" in html

    folder = tmp_path / "backups"
    folder.mkdir()
    newest = folder / "mo-backup-20261207-030000.tar.gz"
    newest.write_bytes(b"\0" * round(12.4 * 1024 * 1024))
    older = folder / "mo-backup-20261206-030000.tar.gz"
    older.write_bytes(b"\0" * 1000)
    (folder / "mo-before-restore-20261207-120000.tar.gz").write_bytes(b"\0")  # not a nightly backup
    (folder / "mo-backup-20261207-130000.tar.gz.part").write_bytes(b"\0")  # not complete
    at = datetime(2026, 12, 7, 0, 0, 7, tzinfo=UTC).timestamp()  # 03:00:07 in Moscow
    os.utime(newest, (at, at))
    os.utime(older, (at - 86400, at - 86400))
    now = time.time()
    for p in folder.glob("mo-before-restore-*"):
        os.utime(p, (now, now))

    info = backup.last_backup()
    assert info.path == newest and info.size_text == "12,4 МБ"
    html = _render_status(app)
    assert "Последняя резервная копия: 7 декабря 2026 г., 03:00, 12,4 МБ" in html
    assert ("backup-stale" in html) == (now - at > 2 * 86400)

    os.utime(newest, (now - 3 * 86400, now - 3 * 86400))
    os.utime(older, (now - 4 * 86400, now - 4 * 86400))
    html = _render_status(app)
    assert "backup-stale" in html and "Копии больше двух суток" in html

    os.utime(newest, (now - 3600, now - 3600))
    html = _render_status(app)
    assert "backup-stale" not in html and "Последняя резервная копия:" in html


def test_size_is_written_the_russian_way():
    assert backup.size_text(812 * 1024) == "812 КБ"
    assert backup.size_text(100) == "1 КБ"
    assert backup.size_text(round(12.4 * 1024 ** 2)) == "12,4 МБ"
    assert backup.size_text(round(1.25 * 1024 ** 3)) in ("1,2 ГБ", "1,3 ГБ")

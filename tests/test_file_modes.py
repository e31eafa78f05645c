"""What the app creates is private to its user: the database (and its -wal/-shm), the secret key, uploads and
backups 0600, their folders 0700 — for files really created by a server start, an upload and a backup."""

from __future__ import annotations

import io
import os
import stat
import subprocess
import sys
import urllib.request
from pathlib import Path

from mo_app import create_app
from mo_app.extensions import db
from mo_app.models import BestPractice

from .server_helpers import ROOT, free_port, start, stop, wait_healthy


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_a_first_server_start_creates_a_private_instance(tmp_path):
    instance = tmp_path / "instance"
    port = free_port()
    env = {k: v for k, v in os.environ.items() if k not in ("SECRET_KEY", "DATABASE_URL", "UPLOAD_FOLDER",
                                                                "BACKUP_DIR")}
    env.update(MO_INSTANCE_PATH=str(instance), HOST="127.0.0.1", PORT=str(port), PYTHONUNBUFFERED="1")
    # as `make run` does: migrate (flask CLI), then serve; nothing exists before
    subprocess.run([sys.executable, "-m", "flask", "--app", "mo_app", "db", "upgrade"], cwd=ROOT, env=env,
                   check=True, capture_output=True)
    proc = start(tmp_path, ["-m", "mo_app.serve"], env, "server.log")
    try:
        base = f"http://127.0.0.1:{port}"
        wait_healthy(base, proc, tmp_path / "server.log")
        with urllib.request.urlopen(base + "/login", timeout=10) as r:  # noqa: S310
            assert r.status == 200
        database = instance / "mo.sqlite3"
        created = {p.name: mode(p) for p in instance.iterdir()}
    finally:
        stop(proc)
    assert mode(instance) == 0o700
    assert {"mo.sqlite3", "mo.sqlite3-wal", "mo.sqlite3-shm", "secret_key"} <= set(created), created
    assert set(created.values()) == {0o600}, created
    assert mode(database) == 0o600


def test_an_uploaded_file_is_private(app, client, f, login_as):
    year = f.year(2026)
    entry = BestPractice(year_id=year.id, topic="Буктрейлеры", status="accepted")
    db.session.add(entry)
    db.session.commit()
    login_as(f.methodologist())
    r = client.post(f"/best-practice/{entry.id}/files", data={"file": (io.BytesIO(b"%PDF-1.4 x"), "a.pdf")},
                    content_type="multipart/form-data")
    assert r.status_code == 303
    uploads = Path(app.config["UPLOAD_FOLDER"])
    stored = next((uploads / "best_practice").iterdir())
    assert (mode(uploads), mode(uploads / "best_practice"), mode(stored)) == (0o700, 0o700, 0o600)


def test_backups_are_private(app, runner, f, tmp_path):
    f.school("79")
    r = runner.invoke(args=["backup"])
    assert r.exit_code == 0, r.output
    folder = tmp_path / "backups"
    archive = next(folder.glob("mo-backup-*.tar.gz"))
    assert (mode(folder), mode(archive)) == (0o700, 0o600)
    assert runner.invoke(args=["restore", "--yes", str(archive)]).exit_code == 0
    kept = next(folder.glob("mo-before-restore-*.tar.gz"))
    assert mode(kept) == 0o600
    outside = tmp_path / "elsewhere.tar.gz"
    assert runner.invoke(args=["backup", str(outside)]).exit_code == 0
    assert mode(outside) == 0o600


def test_what_an_earlier_version_made_open_is_made_private(tmp_path):
    old = tmp_path / "old"
    (old / "uploads").mkdir(parents=True)
    (old / "backups").mkdir()
    database = old / "mo.sqlite3"
    database.write_text("")
    database.chmod(0o644)
    for path in (old / "uploads", old / "backups"):
        path.chmod(0o755)
    create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{database}", "UPLOAD_FOLDER": str(old / "uploads"),
                "BACKUP_DIR": str(old / "backups")})
    assert [mode(p) for p in (database, old / "uploads", old / "backups")] == [0o600, 0o700, 0o700]

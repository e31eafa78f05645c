"""Consistent backups while the app runs, and restoring them.

SQLite: the online backup API copies a consistent snapshot page by page while other connections keep
reading and writing; the copy is checked (`PRAGMA integrity_check`) and written to a temporary file
that replaces PATH only when complete. Restoring copies the backup back into the live database file
with the same API (the running app sees the restored data on its next transaction); the data being
replaced is kept first in `<database>.before-restore-<time>`.

PostgreSQL: `pg_dump` (plain SQL with DROP … IF EXISTS, no owners) and `psql --single-transaction`,
so a failed restore changes nothing.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess  # noqa: S404 - pg_dump/psql with fixed arguments, never a shell
from datetime import datetime
from pathlib import Path

from sqlalchemy.engine import URL

from .extensions import db

PG_MAGIC = "-- PostgreSQL database dump"


class BackupError(Exception):
    """A backup or restore that could not be done; the message is in Russian, for the operator."""


def _url() -> URL:
    return db.engine.url


def _sqlite_path(url: URL) -> Path:
    if not url.database or url.database == ":memory:":
        raise BackupError("База данных в памяти: копировать нечего.")
    return Path(url.database).resolve()


def _check_sqlite_file(path: Path) -> None:
    """Refuse a file that is not a sound SQLite database of this app."""
    try:
        conn = sqlite3.connect(path)
        try:
            ok = conn.execute("PRAGMA integrity_check").fetchone()[0]
            tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        finally:
            conn.close()
    except sqlite3.DatabaseError as e:
        raise BackupError(f"Файл {path} не является резервной копией базы данных SQLite.") from e
    if ok != "ok":
        raise BackupError(f"Резервная копия {path} повреждена: {ok}.")
    if not {"user", "organization"} <= tables:
        raise BackupError(f"Файл {path} — не резервная копия этого приложения.")


def _sqlite_backup(source: Path, target: Path) -> None:
    tmp = target.with_name(target.name + ".part")
    tmp.unlink(missing_ok=True)
    src = sqlite3.connect(source, timeout=30)
    dst = sqlite3.connect(tmp)
    try:
        src.backup(dst)
        dst.execute("PRAGMA journal_mode=DELETE")  # one self-contained file, no -wal beside it
    finally:
        dst.close()
        src.close()
    _check_sqlite_file(tmp)
    os.replace(tmp, target)


def _sqlite_restore(backup_file: Path, live: Path) -> Path:
    _check_sqlite_file(backup_file)
    keep = live.with_name(f"{live.name}.before-restore-{datetime.now():%Y%m%d-%H%M%S}")
    _sqlite_backup(live, keep)
    db.session.remove()
    db.engine.dispose()
    src = sqlite3.connect(backup_file)
    dst = sqlite3.connect(live, timeout=30)
    try:
        src.backup(dst)
    finally:
        dst.close()
        src.close()
    return keep


def _pg_command(name: str) -> str:
    found = shutil.which(name)
    if not found:
        raise BackupError(f"Не найдена программа {name}: установите клиент PostgreSQL (postgresql-client).")
    return found


def _pg_args(url: URL) -> tuple[list[str], dict[str, str]]:
    args = ["--host", url.host or "localhost", "--port", str(url.port or 5432)]
    if url.username:
        args += ["--username", url.username]
    env = {**os.environ}
    if url.password:
        env["PGPASSWORD"] = str(url.password)
    return args, env


def _run(cmd: list[str], env: dict[str, str]) -> None:
    done = subprocess.run(cmd, env=env, capture_output=True, text=True, check=False)  # noqa: S603
    if done.returncode != 0:
        raise BackupError(f"{Path(cmd[0]).name} завершился с ошибкой: {done.stderr.strip()[:2000]}")


def _pg_backup(url: URL, target: Path) -> None:
    args, env = _pg_args(url)
    tmp = target.with_name(target.name + ".part")
    cmd = [_pg_command("pg_dump"), *args, "--format=plain", "--clean", "--if-exists", "--no-owner",
           "--no-privileges", "--file", str(tmp), url.database or ""]
    _run(cmd, env)
    os.replace(tmp, target)


def _pg_restore(url: URL, backup_file: Path) -> None:
    with backup_file.open(encoding="utf-8", errors="replace") as fh:
        head = fh.read(4096)
    if PG_MAGIC not in head:
        raise BackupError(f"Файл {backup_file} не является резервной копией PostgreSQL (pg_dump).")
    db.session.remove()
    db.engine.dispose()  # our idle connections must not hold locks the restore waits for
    args, env = _pg_args(url)
    cmd = [_pg_command("psql"), *args, "--dbname", url.database or "", "--no-psqlrc", "--quiet",
           "-v", "ON_ERROR_STOP=1", "--single-transaction", "--file", str(backup_file)]
    _run(cmd, env)


def backup(path: str | os.PathLike) -> Path:
    """Write a consistent copy of the app's database to `path` (replaced only once complete)."""
    target = Path(path).resolve()
    if not target.parent.is_dir():
        raise BackupError(f"Папка {target.parent} не существует.")
    url = _url()
    if url.get_backend_name() == "sqlite":
        _sqlite_backup(_sqlite_path(url), target)
    elif url.get_backend_name() == "postgresql":
        _pg_backup(url, target)
    else:
        raise BackupError(f"Резервное копирование для {url.get_backend_name()} не поддерживается.")
    return target


def restore(path: str | os.PathLike) -> Path | None:
    """Replace the app's data with the backup at `path`; for SQLite, returns where the old data was kept."""
    source = Path(path).resolve()
    if not source.is_file():
        raise BackupError(f"Файл {source} не найден.")
    url = _url()
    if url.get_backend_name() == "sqlite":
        return _sqlite_restore(source, _sqlite_path(url))
    if url.get_backend_name() == "postgresql":
        _pg_restore(url, source)
        return None
    raise BackupError(f"Восстановление для {url.get_backend_name()} не поддерживается.")

"""Backups of everything — the database and every uploaded file — in one archive, and restoring one while the
app runs.

An archive (`mo-backup-20261207-030000.tar.gz`, Moscow time, mode 0600) holds:
- `database.sqlite3` — SQLite's online backup API: a consistent snapshot taken while other connections read
  and write, checked with `PRAGMA integrity_check`, one self-contained file; or `database.sql` — `pg_dump`
  (plain SQL with DROP … IF EXISTS, no owners), taken while the restore gate is held open (restore_gate.py);
- `uploads/…` — every file under UPLOAD_FOLDER;
- `manifest.json` — the format, the time, which database, and every member's size and SHA-256.
The database is copied first, then the files: an upload writes its file before it commits its row, so every
file a copied row names is there (only one deleted in the seconds between is missed; a file uploaded in
them is carried along unused). The archive is written to `<name>.part` and renamed once complete.
`backup()` without a path writes into BACKUP_DIR and keeps the BACKUP_KEEP newest archives there.

`restore()`:
1. unpacks the archive into a staging folder inside UPLOAD_FOLDER, hashing every member, and refuses it —
   nothing of the live data touched — when a checksum, a size, a member or the manifest is wrong, or when it
   holds the other kind of database;
2. keeps the current data as an archive `mo-before-restore-….tar.gz` in BACKUP_DIR;
3. closes the restore gate (writes get 503 with Retry-After; restore_gate.py), replaces the database —
   SQLite: the backup API into the live file; PostgreSQL: `psql --single-transaction` that first locks every
   table (PG_LOCK_ALL), so a failed restore changes nothing — and renews the data stamp in the same step, so
   every process's page cache (cache.py) starts over; puts the files back (the files not in the backup are
   removed: they are in the kept archive); opens the gate.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sqlite3
import subprocess  # noqa: S404 - pg_dump/psql with fixed arguments, never a shell
import tarfile
import tempfile
import time
import zlib
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path, PurePosixPath
from zoneinfo import ZoneInfo

from babel.numbers import format_decimal
from flask import current_app
from sqlalchemy.engine import URL

from . import restore_gate
from .cache import SQLITE_RENEW
from .dates import TZ
from .extensions import db
from .models.base import utcnow

FORMAT = "mo_app-backup"
VERSION = 1
MANIFEST = "manifest.json"
DB_MEMBER = {"sqlite": "database.sqlite3", "postgresql": "database.sql"}
UPLOADS = "uploads"
PREFIX, SUFFIX = "mo-backup-", ".tar.gz"
BEFORE_RESTORE = "mo-before-restore-"
PG_MAGIC = "-- PostgreSQL database dump"
#: after the data: a new stamp, and no session of the backup's time lives on (a browser logged out since then
#: would otherwise be logged in again by its old cookie): everyone logs in again after a restore
PG_RENEW = ("RESET search_path; "
            "UPDATE data_version SET stamp = md5(random()::text || clock_timestamp()::text) WHERE id = 1; "
            "DO $$ BEGIN IF to_regclass('user_session') IS NOT NULL THEN DELETE FROM user_session; END IF; END $$")
STALE_AFTER = timedelta(days=2)  #: an older newest backup shows red
CHUNK = 1024 * 1024


class BackupError(Exception):
    """A backup or restore that could not be done; the message is in Russian, for the operator."""


# ---- where -------------------------------------------------------------------------------------------------------

def _url() -> URL:
    return db.engine.url


def _kind(url: URL) -> str:
    kind = url.get_backend_name()
    if kind not in DB_MEMBER:
        raise BackupError(f"Резервное копирование для {kind} не поддерживается.")
    return kind


def _sqlite_path(url: URL) -> Path:
    if not url.database or url.database == ":memory:":
        raise BackupError("База данных в памяти: копировать нечего.")
    return Path(url.database).resolve()


def backup_dir() -> Path:
    return Path(current_app.config["BACKUP_DIR"])


def upload_dir() -> Path:
    return Path(current_app.config["UPLOAD_FOLDER"])


def _moscow_stamp() -> str:
    return datetime.now(ZoneInfo(TZ)).strftime("%Y%m%d-%H%M%S")


def _make_dir(path: Path) -> Path:
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    return path


# ---- writing an archive ------------------------------------------------------------------------------------------

class _HashingReader:
    """A file read through to tarfile, hashed on the way."""

    def __init__(self, fh):
        self.fh, self.sha, self.size = fh, hashlib.sha256(), 0

    def read(self, n: int = -1) -> bytes:
        data = self.fh.read(n)
        self.sha.update(data)
        self.size += len(data)
        return data


def _add(tar: tarfile.TarFile, name: str, path: Path, members: dict) -> None:
    with path.open("rb") as fh:
        st = os.fstat(fh.fileno())
        info = tarfile.TarInfo(name)
        info.size, info.mtime, info.mode = st.st_size, int(st.st_mtime), 0o600
        reader = _HashingReader(fh)
        tar.addfile(info, reader)
    members[name] = {"size": reader.size, "sha256": reader.sha.hexdigest()}


def _upload_files(root: Path) -> list[tuple[str, Path]]:
    """(member name, path) of every uploaded file; hidden entries (a restore's staging) are not uploads."""
    found = []
    if not root.is_dir():
        return found
    for folder, dirs, files in os.walk(root):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        for name in sorted(files):
            path = Path(folder) / name
            if name.startswith(".") or path.is_symlink() or not path.is_file():
                continue
            found.append((str(PurePosixPath(UPLOADS, *path.relative_to(root).parts)), path))
    return found


def _sqlite_snapshot(source: Path, target: Path) -> None:
    src = sqlite3.connect(source, timeout=30)
    dst = sqlite3.connect(target)
    try:
        src.backup(dst)
        dst.execute("PRAGMA journal_mode=DELETE")  # one self-contained file, no -wal beside it
    finally:
        dst.close()
        src.close()
    _check_sqlite_file(target)


def _pg_snapshot(url: URL, target: Path) -> None:
    args, env = _pg_args(url)
    cmd = [_pg_command("pg_dump"), *args, "--format=plain", "--clean", "--if-exists", "--no-owner",
           "--no-privileges", "--file", str(target), url.database or ""]
    import psycopg

    try:
        with restore_gate.held_open_postgresql(url):
            _run(cmd, env)
    except restore_gate.RestoreInProgress as e:
        raise BackupError("Идёт восстановление из резервной копии: копия не сделана, повторите позже.") from e
    except psycopg.Error as e:
        raise BackupError(f"База данных недоступна: {e}") from e


def _default_target(folder: Path, prefix: str) -> Path:
    stamp = _moscow_stamp()
    target, n = folder / f"{prefix}{stamp}{SUFFIX}", 1
    while target.exists():
        n += 1
        target = folder / f"{prefix}{stamp}-{n}{SUFFIX}"
    return target


def backup(path: str | os.PathLike | None = None) -> Path:
    """Write one archive of the database and every uploaded file to `path` (replaced only once complete); without
    a path, a new archive in BACKUP_DIR, keeping the BACKUP_KEEP newest there."""
    url = _url()
    kind = _kind(url)
    if path is None:
        target = _default_target(_make_dir(backup_dir()), PREFIX)
    else:
        target = Path(path).resolve()
        if not target.parent.is_dir():
            raise BackupError(f"Папка {target.parent} не существует.")
    _write_archive(url, kind, target)
    if path is None:
        prune(target.parent, int(current_app.config.get("BACKUP_KEEP", 14)))
    return target


def _write_archive(url: URL, kind: str, target: Path) -> None:
    part = target.with_name(target.name + ".part")
    with tempfile.TemporaryDirectory(prefix=".mo-backup-", dir=target.parent) as tmp:
        snapshot = Path(tmp) / DB_MEMBER[kind]
        if kind == "sqlite":
            _sqlite_snapshot(_sqlite_path(url), snapshot)
        else:
            _pg_snapshot(url, snapshot)
        members: dict[str, dict] = {}
        part.unlink(missing_ok=True)
        fd = os.open(part, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            with os.fdopen(fd, "wb") as raw:
                with tarfile.open(fileobj=raw, mode="w:gz", compresslevel=6) as tar:
                    _add(tar, DB_MEMBER[kind], snapshot, members)
                    for name, file in _upload_files(upload_dir()):
                        try:
                            _add(tar, name, file, members)
                        except FileNotFoundError:
                            continue  # deleted since the listing
                    manifest = {"format": FORMAT, "version": VERSION, "created_at": utcnow().isoformat() + "Z",
                                "database": kind, "members": members}
                    data = json.dumps(manifest, ensure_ascii=False, indent=1, sort_keys=True).encode()
                    info = tarfile.TarInfo(MANIFEST)
                    info.size, info.mtime, info.mode = len(data), int(time.time()), 0o600
                    tar.addfile(info, _BytesReader(data))
                raw.flush()
                os.fsync(raw.fileno())
            os.replace(part, target)
        except BaseException:
            part.unlink(missing_ok=True)
            raise


class _BytesReader:
    def __init__(self, data: bytes):
        self.data, self.pos = data, 0

    def read(self, n: int = -1) -> bytes:
        end = len(self.data) if n < 0 else self.pos + n
        chunk, self.pos = self.data[self.pos:end], min(end, len(self.data))
        return chunk


def prune(folder: Path, keep: int) -> list[Path]:
    """Delete all but the `keep` newest archives `mo-backup-*` in `folder` (0: keep all), and stale .part files."""
    removed = []
    archives = sorted(folder.glob(f"{PREFIX}*{SUFFIX}"), key=lambda p: (p.stat().st_mtime, p.name), reverse=True)
    if keep > 0:
        for old in archives[keep:]:
            old.unlink(missing_ok=True)
            removed.append(old)
    day_ago = time.time() - 86400
    for part in folder.glob(f"*{SUFFIX}.part"):
        if part.stat().st_mtime < day_ago:
            part.unlink(missing_ok=True)
    return removed


# ---- the newest archive --------------------------------------------------------------------------------------------

def size_text(size: int) -> str:
    """«12,4 МБ», «812 КБ», «1,2 ГБ»."""
    for unit, factor in (("ГБ", 1024 ** 3), ("МБ", 1024 ** 2)):
        if size >= factor:
            return f"{format_decimal(size / factor, format='#,##0.0', locale='ru')} {unit}"
    return f"{format_decimal(max(1, round(size / 1024)), format='#,##0', locale='ru')} КБ"


@dataclass(frozen=True)
class BackupInfo:
    path: Path
    created_at: datetime  #: naive UTC, when the archive was completed
    size: int

    @property
    def size_text(self) -> str:
        return size_text(self.size)

    @property
    def stale(self) -> bool:
        """Older than two days: the nightly backup has not run."""
        return utcnow() - self.created_at > STALE_AFTER


def last_backup() -> BackupInfo | None:
    """The newest archive in BACKUP_DIR (its time, size and path), None when there is none."""
    best = None
    folder = backup_dir()
    if not folder.is_dir():
        return None
    for path in folder.glob(f"{PREFIX}*{SUFFIX}"):
        try:
            st = path.stat()
        except FileNotFoundError:
            continue
        if best is None or st.st_mtime > best[1].st_mtime:
            best = (path, st)
    if best is None:
        return None
    path, st = best
    return BackupInfo(path, datetime.fromtimestamp(st.st_mtime, UTC).replace(tzinfo=None), st.st_size)


# ---- reading an archive ----------------------------------------------------------------------------------------------

def _member_path(member: tarfile.TarInfo) -> PurePosixPath:
    """The member's name if it is one an archive of ours may hold (a regular file, no way out of the folder)."""
    name = PurePosixPath(member.name)
    ok = (member.isreg() and not name.is_absolute() and ".." not in name.parts
          and (member.name in DB_MEMBER.values() or (name.parts[0] == UPLOADS and len(name.parts) > 1))
          and not any(part.startswith(".") for part in name.parts))
    if not ok:
        raise BackupError(f"В архиве лишний или недопустимый элемент «{member.name}»: это не резервная копия "
                          "приложения. Ничего не изменено.")
    return name


def unpack(archive: Path, staging: Path) -> dict:
    """Unpack `archive` into `staging`, checking every member against the manifest's size and SHA-256; the manifest.
    BackupError (with what is wrong) when anything does not match: then only `staging` was written."""
    seen: dict[str, dict] = {}
    manifest = None
    try:
        with tarfile.open(archive, mode="r:gz") as tar:
            for member in tar:
                if member.name == MANIFEST and member.isreg():
                    manifest = json.loads(tar.extractfile(member).read(16 * CHUNK).decode("utf-8"))
                    continue
                name = _member_path(member)
                target = staging.joinpath(*name.parts)
                target.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
                source = tar.extractfile(member)
                sha, size = hashlib.sha256(), 0
                with target.open("xb") as out:
                    while chunk := source.read(CHUNK):
                        sha.update(chunk)
                        size += len(chunk)
                        out.write(chunk)
                seen[member.name] = {"size": size, "sha256": sha.hexdigest()}
            while tar.fileobj.read(CHUNK):  # to the end of the gzip stream, whose CRC covers every byte
                pass
    except BackupError:
        raise
    except (tarfile.TarError, EOFError, zlib.error, OSError, ValueError) as e:
        raise BackupError(f"Файл {archive} повреждён или не является резервной копией ({e}). "
                          "Ничего не изменено.") from e
    if not (isinstance(manifest, dict) and manifest.get("format") == FORMAT
            and isinstance(manifest.get("members"), dict)):
        raise BackupError(f"Файл {archive} не является резервной копией приложения (нет описи). Ничего не изменено.")
    if manifest.get("version") != VERSION:
        raise BackupError(f"Резервная копия {archive} другой версии формата ({manifest.get('version')}). "
                          "Ничего не изменено.")
    expected = manifest["members"]
    for name in sorted(set(expected) | set(seen)):
        if name not in seen:
            problem = f"нет файла «{name}», указанного в описи"
        elif name not in expected:
            problem = f"файл «{name}» не указан в описи"
        elif seen[name] != expected[name]:
            problem = f"контрольная сумма файла «{name}» не совпадает с описью"
        else:
            continue
        raise BackupError(f"Резервная копия {archive} повреждена: {problem}. Ничего не изменено.")
    kind = manifest.get("database")
    if kind not in DB_MEMBER or DB_MEMBER[kind] not in seen:
        raise BackupError(f"В резервной копии {archive} нет базы данных. Ничего не изменено.")
    return manifest


# ---- restoring -----------------------------------------------------------------------------------------------------

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
        raise BackupError(f"Файл {path} не является базой данных SQLite.") from e
    if ok != "ok":
        raise BackupError(f"База данных в резервной копии повреждена: {ok}.")
    if not {"user", "organization", "data_version"} <= tables:
        raise BackupError("В резервной копии — не база данных этого приложения.")


def _check_pg_dump(path: Path) -> None:
    with path.open(encoding="utf-8", errors="replace") as fh:
        head = fh.read(4096)
    if PG_MAGIC not in head:
        raise BackupError("В резервной копии — не выгрузка PostgreSQL (pg_dump).")


def _sqlite_replace(restored: Path, live: Path) -> None:
    """Copy `restored` into the live database (one write transaction), then renew the data stamp and end every
    session (as PG_RENEW)."""
    src = sqlite3.connect(restored)
    dst = sqlite3.connect(live, timeout=60)
    try:
        src.backup(dst)
        dst.executescript(SQLITE_RENEW)
        if dst.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'user_session'").fetchone():
            dst.execute("DELETE FROM user_session")
            dst.commit()
    finally:
        dst.close()
        src.close()


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


#: psql's first step: every table of the schema locked at once, each wait shorter than deadlock_timeout (so a
#: reader waiting for a table already locked here never sees a deadlock: this gives up first and tries again)
PG_LOCK_ALL = """DO $mo$
DECLARE names text;
BEGIN
    PERFORM set_config('lock_timeout', greatest(10, least(200,
        (SELECT setting::int / 2 FROM pg_settings WHERE name = 'deadlock_timeout')))::text, true);
    SELECT string_agg(format('%I.%I', schemaname, tablename), ', ' ORDER BY tablename) INTO names
      FROM pg_tables WHERE schemaname = current_schema();
    IF names IS NOT NULL THEN
        EXECUTE 'LOCK TABLE ' || names || ' IN ACCESS EXCLUSIVE MODE';
    END IF;
END $mo$"""
LOCK_TIMEOUT = "55P03"  #: SQLSTATE lock_not_available


def _pg_replace(url: URL, dump: Path, wait_seconds: int) -> None:
    """psql in one transaction: lock every table, the dump, a new data stamp. Locking is tried again (the
    transaction rolled back) while readers hold tables, for `wait_seconds` at most."""
    args, env = _pg_args(url)
    cmd = [_pg_command("psql"), *args, "--dbname", url.database or "", "--no-psqlrc", "--quiet",
           "-v", "ON_ERROR_STOP=1", "-v", "VERBOSITY=verbose", "--single-transaction",
           "--command", PG_LOCK_ALL, "--file", str(dump), "--command", PG_RENEW]
    deadline = time.monotonic() + wait_seconds
    while True:
        done = subprocess.run(cmd, env=env, capture_output=True, text=True, check=False)  # noqa: S603
        if done.returncode == 0:
            return
        if LOCK_TIMEOUT in done.stderr and time.monotonic() < deadline:
            time.sleep(0.05)
            continue
        raise BackupError(f"psql завершился с ошибкой: {done.stderr.strip()[:2000]}")


def _put_files_back(staged: Path, live: Path) -> None:
    """Make `live` hold exactly the staged files: move each in place (same file system), remove the others."""
    keep = set()
    if staged.is_dir():
        for _, path in _upload_files(staged):
            rel = path.relative_to(staged)
            target = live / rel
            target.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
            os.replace(path, target)
            keep.add(rel)
    for _, path in _upload_files(live):
        if path.relative_to(live) not in keep:
            path.unlink(missing_ok=True)
    for folder, _dirs, _files in os.walk(live, topdown=False):
        rel = Path(folder).relative_to(live)
        if rel.parts and not any(p.startswith(".") for p in rel.parts) and not any(Path(folder).iterdir()):
            Path(folder).rmdir()


def restore(path: str | os.PathLike, wait_seconds: int = 60) -> Path:
    """Replace the database and the uploaded files with the archive at `path`, checked first; returns the archive
    where the replaced data was kept."""
    source = Path(path).resolve()
    if not source.is_file():
        raise BackupError(f"Файл {source} не найден.")
    url = _url()
    kind = _kind(url)
    uploads = _make_dir(upload_dir())
    staging = Path(tempfile.mkdtemp(prefix=".restore-", dir=uploads))
    try:
        manifest = unpack(source, staging)
        if manifest["database"] != kind:
            raise BackupError(f"Резервная копия сделана для {manifest['database']}, а приложение работает "
                              f"с {kind}. Ничего не изменено.")
        dump = staging / DB_MEMBER[kind]
        if kind == "sqlite":
            _check_sqlite_file(dump)
        else:
            _check_pg_dump(dump)
        kept = _default_target(_make_dir(backup_dir()), BEFORE_RESTORE)
        _write_archive(url, kind, kept)
        db.session.remove()
        db.engine.dispose()  # this process's idle connections hold nothing the restore waits for
        if kind == "sqlite":
            live = _sqlite_path(url)
            with restore_gate.closed_sqlite(live):
                _sqlite_replace(dump, live)
                _put_files_back(staging / UPLOADS, uploads)
        else:
            import psycopg

            try:
                with restore_gate.closed_postgresql(url, wait_seconds):
                    _pg_replace(url, dump, wait_seconds)
                    _put_files_back(staging / UPLOADS, uploads)
            except psycopg.Error as e:  # the gate could not close in time, or the server is gone
                raise BackupError(f"Восстановление не началось: {e}. Ничего не изменено.") from e
        return kept
    finally:
        shutil.rmtree(staging, ignore_errors=True)

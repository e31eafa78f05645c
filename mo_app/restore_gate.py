"""The restore gate: while a restore replaces the data, the app's writes stay out of its way and are answered
503 «Идёт восстановление из резервной копии» with `Retry-After` for the few seconds it takes; reads wait for it
(PostgreSQL) or go on (SQLite). A restore never deadlocks.

PostgreSQL. psql restores in one transaction that drops and recreates every table. A transaction that holds a
lock on one table (a reader's ACCESS SHARE is enough) and then asks for another that the restore already
holds closes a cycle: «deadlock detected», and PostgreSQL may pick the restore as the victim — what happened
when restoring while eight people signed up. Two rules make a cycle impossible:
- Writes. Every transaction that may write — a non-GET request's, the worker's, a CLI command's: those that
  SQLite begins IMMEDIATE, `wants_immediate()` — begins with `pg_try_advisory_xact_lock_shared(KEY)`, before it
  touches a table (one cheap statement; on the driver's cursor, so SQLAlchemy's statement events and the
  query-count tests do not see it). The restore takes the same lock EXCLUSIVELY before psql starts: it waits
  for the writes in flight; from the moment it waits, new ones fail the try-lock (a queued exclusive request
  blocks new shared ones) and answer 503. A backup holds the lock shared while pg_dump runs (pg_dump's table
  locks would meet psql's the same way).
- Reads pay nothing. psql's first statement locks every table of the schema at once with a lock_timeout below
  deadlock_timeout, and the restore tries again (a new transaction) until it has them all. A reader that
  holds table B while waiting for table A, already locked by the restore, is waiting on a restore that gives
  up its locks before any deadlock check runs; once the restore holds every table, no reader holds any, and
  readers only wait for the restore's commit, then read the restored data.

SQLite. One writer at a time with a busy timeout: no deadlock can form. The restore copies the backup into the
live file with the online backup API, in one write transaction (readers keep their snapshot, then see the
restored data). A flag file beside the database (`<database>.restoring`, holding the restore's pid) makes
writing transactions answer 503 instead of queueing behind the copy: one stat() per write transaction, no
database round trip. A flag left by a killed restore (its pid gone) is ignored.
"""

from __future__ import annotations

import os
from contextlib import contextmanager
from pathlib import Path

from flask import Flask, g
from sqlalchemy import event
from sqlalchemy.engine import URL, Engine

from .errors import error_response
from .extensions import db, login_manager, wants_immediate

#: the advisory lock's key (any 64-bit number no other code of the database uses): "mo_resto"
ADVISORY_KEY = 0x6D6F5F726573746F
RETRY_AFTER = 5  #: seconds, the Retry-After of the 503
TITLE = "Идёт восстановление из резервной копии"
TEXT = ("Данные восстанавливаются из резервной копии — это займёт несколько секунд. "
        "То, что вы отправили, не сохранено: повторите действие чуть позже.")


class RestoreInProgress(Exception):  # noqa: N818 - a state, not a failure of the code
    """A restore is running: this transaction may not start (the request is answered 503)."""


# ---- the check at BEGIN -------------------------------------------------------------------------------------------

def sqlite_flag(database: str | os.PathLike) -> Path:
    """The flag file a restore of this SQLite database keeps while it runs."""
    path = Path(database)
    return path.with_name(path.name + ".restoring")


def _restoring(flag: Path) -> bool:
    try:
        pid = int(flag.read_text().strip())
    except FileNotFoundError:
        return False
    except (OSError, ValueError):
        return True  # being written: a restore is starting
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False  # left by a restore that was killed
    except PermissionError:
        return True  # alive, another user's
    return True


@event.listens_for(Engine, "begin", insert=True)  # before extensions' BEGIN IMMEDIATE, so no write lock is awaited
def _gate(conn):
    """A transaction that may write passes the gate: on PostgreSQL the shared advisory lock, on SQLite the flag."""
    if not wants_immediate():
        return  # a reading request's transaction
    dialect = conn.dialect.name
    if dialect == "postgresql":
        cursor = conn.connection.dbapi_connection.cursor()
        try:
            cursor.execute(f"SELECT pg_try_advisory_xact_lock_shared({ADVISORY_KEY})")
            passed = cursor.fetchone()[0]
        finally:
            cursor.close()
        if not passed:
            raise RestoreInProgress
    elif dialect == "sqlite":
        database = conn.engine.url.database
        if database and database != ":memory:":
            flag = sqlite_flag(database)
            if os.path.lexists(flag) and _restoring(flag):
                raise RestoreInProgress


# ---- the restore's side -------------------------------------------------------------------------------------------

def _libpq_url(url: URL) -> str:
    return url.set(drivername="postgresql").render_as_string(hide_password=False)


@contextmanager
def closed_sqlite(database: Path):
    """Keep writing transactions of every process out while the block restores the SQLite `database`."""
    flag = sqlite_flag(database)
    fd = os.open(flag, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(str(os.getpid()))
    try:
        yield
    finally:
        flag.unlink(missing_ok=True)


@contextmanager
def closed_postgresql(url: URL, wait_seconds: int = 60):
    """Hold the gate's lock exclusively during the block: waits for the app's transactions in flight (at most
    `wait_seconds`, then psycopg.errors.LockNotAvailable), while new ones are answered 503."""
    import psycopg

    with psycopg.connect(_libpq_url(url), autocommit=True) as conn:
        conn.execute(f"SET lock_timeout = '{int(wait_seconds)}s'")
        conn.execute(f"SELECT pg_advisory_lock({ADVISORY_KEY})")
        try:
            yield
        finally:
            conn.execute(f"SELECT pg_advisory_unlock({ADVISORY_KEY})")


@contextmanager
def held_open_postgresql(url: URL):
    """Keep a restore from starting during the block (a backup's pg_dump); RestoreInProgress if one runs."""
    import psycopg

    with psycopg.connect(_libpq_url(url), autocommit=True) as conn:
        if not conn.execute(f"SELECT pg_try_advisory_lock_shared({ADVISORY_KEY})").fetchone()[0]:
            raise RestoreInProgress
        try:
            yield
        finally:
            conn.execute(f"SELECT pg_advisory_unlock_shared({ADVISORY_KEY})")


# ---- the answer ---------------------------------------------------------------------------------------------------

def init_app(app: Flask) -> None:
    """Answer RestoreInProgress with 503, Retry-After and the Russian page (which needs no database)."""

    @app.errorhandler(RestoreInProgress)
    def _restoring_page(e):
        db.session.rollback()
        g._login_user = login_manager.anonymous_user()  # the page must not load the user from the database
        try:
            body, _ = error_response(503, TEXT, title=TITLE)
        except RestoreInProgress:  # something on the page reads the database: a plain answer, still 503
            body = f"{TITLE}. {TEXT}"
        return body, 503, {"Retry-After": str(RETRY_AFTER)}

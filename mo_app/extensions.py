"""Flask extensions, created unbound and initialised in create_app."""

import sqlite3
from contextlib import contextmanager
from contextvars import ContextVar

from flask import has_request_context, request
from flask_babel import Babel
from flask_login import LoginManager
from flask_sqlalchemy import SQLAlchemy
from flask_wtf.csrf import CSRFProtect
from sqlalchemy import MetaData, event
from sqlalchemy.engine import Engine

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

db = SQLAlchemy(metadata=MetaData(naming_convention=NAMING))
login_manager = LoginManager()
csrf = CSRFProtect()
babel = Babel()


@event.listens_for(Engine, "connect")
def _sqlite_pragmas(dbapi_conn, _record):
    """WAL, foreign keys and a busy timeout on every SQLite connection; a small page cache of its own (the
    operating system keeps the file's pages cached once for all connections: 2 MB a connection would hold
    copies of the same pages in every thread's connection)."""
    if isinstance(dbapi_conn, sqlite3.Connection):
        dbapi_conn.isolation_level = None  # let SQLAlchemy emit BEGIN
        cur = dbapi_conn.cursor()
        for pragma in ("journal_mode=WAL", "busy_timeout=10000", "foreign_keys=ON", "synchronous=NORMAL",
                       "cache_size=-512"):
            cur.execute("PRAGMA " + pragma)
        cur.close()


_write_lock: ContextVar[bool] = ContextVar("write_lock", default=False)


@contextmanager
def write_lock():
    """Run the block in a transaction that takes the write lock at its start.

    On SQLite the next transaction begins IMMEDIATE (so a seat count read inside it
    still holds at commit); on PostgreSQL callers lock the rows they count with
    ``with_for_update()``. Any read transaction already open is committed first.
    """
    db.session.commit()
    token = _write_lock.set(True)
    try:
        yield
    finally:
        _write_lock.reset(token)


def wants_immediate() -> bool:
    """True when the next SQLite transaction should begin IMMEDIATE (it may write)."""
    if _write_lock.get():
        return True
    if has_request_context():
        # Reads stay concurrent under WAL; anything that may write serialises.
        return request.method not in ("GET", "HEAD", "OPTIONS")
    return True


@event.listens_for(Engine, "begin")
def _sqlite_begin(conn):
    """Emit BEGIN ourselves: IMMEDIATE for writing requests, so no write fails with 'database is locked'."""
    if conn.dialect.name == "sqlite":
        conn.exec_driver_sql("BEGIN IMMEDIATE" if wants_immediate() else "BEGIN")

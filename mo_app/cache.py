"""Rendered fragments of expensive, rarely changing pages (the plan, the year results, the plan's DOCX and
PDF, the event list, the visits pages' tables), kept in process and invalidated by a data stamp that every
committed change renews. HTML with forms is kept with a CSRF slot each request fills (`render_forms`).

The stamp is the one row of `data_version`: a random token that database triggers write again in the same
transaction as any insert, update or delete of a table a cached page may show (every table but the audit
log, notices and the stamp itself; of `user`, not the login bookkeeping columns). On PostgreSQL they are
deferred constraint triggers, so the row is written (and locked) only at COMMIT; on SQLite writers are
serialised anyway. Triggers see every write: ORM flushes, `session.execute(update(...))`, bulk inserts, a
restore, psql by hand — and cost the app no statement.

A page reads the stamp (a subquery of a query it makes anyway) BEFORE it reads the data it renders, and
keeps what it rendered under (stamp, what it shows, whose view). So:

- a change is seen on the next request in every process (gunicorn workers, waitress threads): the stamp it
  reads is new, so it misses and renders afresh;
- a fragment is never older than its stamp: the data is read after the stamp, in the same snapshot (SQLite)
  or a later one (PostgreSQL, read committed), and a change commits together with its new stamp;
- a random token rather than a counter: a database restored from a backup brings back that backup's token,
  whose fragments (if any are still held) show exactly that data; a counter would repeat values for
  different data.

A request whose own transaction has uncommitted changes neither reads nor fills the cache (it would see data
no other request sees yet, or never will after a rollback).

The triggers are created by the migration that made the table and, for `create_all` (tests), by
`install_triggers` below. A new table needs them too: tests/test_plan_cache.py fails until a migration adds
them (copy the DDL of `trigger_ddl`).
"""

from __future__ import annotations

import secrets
import sys
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable

from flask import Flask, current_app, render_template
from flask_wtf.csrf import generate_csrf
from markupsafe import Markup
from sqlalchemy import Column, Integer, MetaData, String, Table, event, select
from sqlalchemy.orm import Session

from .extensions import db

#: one row (id 1): the stamp of the data's current state
data_version = Table(
    "data_version",
    db.metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("stamp", String(32), nullable=False),
)

#: tables whose rows no cached page shows: a change to them keeps the stamp
UNWATCHED_TABLES = {"audit_entry", "notice", "data_version", "alembic_version"}
#: columns of `user` that change on login or a password change; no cached page shows them
UNWATCHED_USER_COLUMNS = {
    "last_login_at", "previous_login_at", "session_version", "password_hash", "must_change_password",
    "calendar_token",
}
DEFAULT_BUDGET = 16 * 1024 * 1024  #: bytes of fragments kept per process (FRAGMENT_CACHE_BYTES)
_CHANGED = "mo_uncommitted_changes"

# ---- the stamp ---------------------------------------------------------------------------------------------------

PG_FUNCTION = """
CREATE OR REPLACE FUNCTION mo_data_version_renew() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    -- deferred: runs at COMMIT, once per transaction (the setting is local to it)
    IF current_setting('mo.data_version_renewed', true) IS DISTINCT FROM 'on' THEN
        PERFORM set_config('mo.data_version_renewed', 'on', true);
        INSERT INTO data_version (id, stamp) VALUES (1, md5(random()::text || clock_timestamp()::text))
        ON CONFLICT (id) DO UPDATE SET stamp = excluded.stamp;
    END IF;
    RETURN NULL;
END $$
"""
#: no conflict can arise, so an outer `INSERT OR IGNORE` (whose policy a trigger's statements inherit) cannot skip it
SQLITE_RENEW = (
    "UPDATE data_version SET stamp = lower(hex(randomblob(16))) WHERE id = 1; "
    "INSERT INTO data_version (id, stamp) SELECT 1, lower(hex(randomblob(16))) "
    "WHERE NOT EXISTS (SELECT 1 FROM data_version WHERE id = 1)"
)


def watched_tables(metadata: MetaData) -> list[tuple[str, list[str] | None]]:
    """(table, the columns whose update renews the stamp, None for all) for every table a cached page may show."""
    watched = []
    for table in metadata.sorted_tables:
        if table.name in UNWATCHED_TABLES:
            continue
        columns = None
        if table.name == "user":
            columns = [c.name for c in table.columns if c.name not in UNWATCHED_USER_COLUMNS]
        watched.append((table.name, columns))
    return watched


def trigger_ddl(dialect: str, table: str, columns: list[str] | None) -> list[str]:
    """The statements that make `table`'s writes renew the stamp (idempotent)."""
    update = "UPDATE" if columns is None else "UPDATE OF " + ", ".join(f'"{c}"' for c in columns)
    if dialect == "postgresql":
        return [
            f'DROP TRIGGER IF EXISTS mo_data_version ON "{table}"',
            f'CREATE CONSTRAINT TRIGGER mo_data_version AFTER INSERT OR {update} OR DELETE ON "{table}" '
            "DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION mo_data_version_renew()",
        ]
    return [
        f'CREATE TRIGGER IF NOT EXISTS "mo_dv_{table}_{suffix}" AFTER {what} ON "{table}" BEGIN {SQLITE_RENEW}; END'
        for suffix, what in (("ins", "INSERT"), ("upd", update), ("del", "DELETE"))
    ]


def install_triggers(connection, metadata: MetaData = db.metadata) -> None:
    """Create the stamp triggers on every watched table of `metadata` (tests build the schema with create_all)."""
    dialect = connection.dialect.name
    if dialect == "postgresql":
        connection.exec_driver_sql(PG_FUNCTION)
    for table, columns in watched_tables(metadata):
        for statement in trigger_ddl(dialect, table, columns):
            connection.exec_driver_sql(statement)


@event.listens_for(db.metadata, "after_create")
def _after_create_all(metadata, connection, **kw):
    install_triggers(connection, metadata)


def stamp_column():
    """The current stamp as a scalar subquery, to read it in a query the page makes anyway (NULL: no row)."""
    return select(data_version.c.stamp).where(data_version.c.id == 1).scalar_subquery().label("data_stamp")


def current_stamp() -> str | None:
    """The current stamp (one query); None while the table has no row."""
    return db.session.scalar(select(data_version.c.stamp).where(data_version.c.id == 1))


@event.listens_for(db.session, "after_flush")
def _note_flush(session, flush_context):
    if session.new or session.dirty or session.deleted:
        session.info[_CHANGED] = True


@event.listens_for(db.session, "do_orm_execute")
def _note_statement(state):
    if state.is_insert or state.is_update or state.is_delete:
        state.session.info[_CHANGED] = True


@event.listens_for(db.session, "after_commit")
@event.listens_for(db.session, "after_rollback")
def _forget(session):
    session.info.pop(_CHANGED, None)


def has_pending_changes(session: Session | None = None) -> bool:
    """True when this request's transaction changed data that is not committed yet."""
    session = session or db.session()
    return bool(session.info.get(_CHANGED) or session.new or session.deleted
                or any(session.is_modified(o) for o in session.dirty))


# ---- the fragments -----------------------------------------------------------------------------------------------

class FragmentCache:
    """A bounded LRU of rendered fragments for one stamp; a new stamp empties it (its entries are dead)."""

    def __init__(self, budget: int = DEFAULT_BUDGET):
        self.budget = budget
        self._lock = threading.Lock()
        self._stamp: str | None = None
        self._items: OrderedDict[Hashable, tuple[object, int]] = OrderedDict()
        self._size = 0
        self.hits = self.misses = 0

    def get(self, stamp: str, key: Hashable):
        with self._lock:
            if stamp != self._stamp or key not in self._items:
                self.misses += 1
                return None
            self._items.move_to_end(key)
            self.hits += 1
            return self._items[key][0]

    def put(self, stamp: str, key: Hashable, value, size: int | None = None) -> None:
        size = sys.getsizeof(value) if size is None else size
        if size > self.budget:
            return
        with self._lock:
            if stamp != self._stamp:
                self._stamp, self._items, self._size = stamp, OrderedDict(), 0
            old = self._items.pop(key, None)
            if old is not None:
                self._size -= old[1]
            self._items[key] = (value, size)
            self._size += size
            while self._size > self.budget:
                _, (_, dropped) = self._items.popitem(last=False)
                self._size -= dropped

    def clear(self) -> None:
        with self._lock:
            self._stamp, self._items, self._size = None, OrderedDict(), 0

    def __len__(self) -> int:
        return len(self._items)


def fragments() -> FragmentCache:
    return current_app.extensions["mo_fragments"]


def cached(stamp: str | None, key: Hashable, build: Callable[[], object],
           size: Callable[[object], int] | None = None):
    """`build()`'s value kept under (stamp, key): `stamp` must have been read before `build` reads any data.

    The value is rendered text or bytes (`size` None: its own size counts), or plain objects that hold no
    ORM instance and that nobody changes, with `size(value)` estimating their memory. Without a stamp,
    with caching off (FRAGMENT_CACHE False), or with uncommitted changes in this request's session,
    `build()` is called and nothing is kept."""
    if stamp is None or not current_app.config.get("FRAGMENT_CACHE", True) or has_pending_changes():
        return build()
    cache = fragments()
    value = cache.get(stamp, key)
    if value is None:
        value = build()
        if not has_pending_changes():
            cache.put(stamp, key, value, None if size is None else size(value))
    return value


# ---- kept HTML with forms -------------------------------------------------------------------------------------

#: Kept HTML with forms holds this where a form's CSRF token goes; `with_csrf` puts the request's token there.
#: Random for each process: no stored text can hold it, and no token is ever kept.
CSRF_SLOT = "csrf-slot-" + secrets.token_hex(16)


def render_forms(template: str, **context) -> str:
    """render_template() of HTML to keep with `cached` whose forms need a CSRF token: `csrf_token()` in the
    template (and what it includes) gives CSRF_SLOT. Whatever else the HTML shows must be in the cache key."""
    return render_template(template, csrf_token=lambda: CSRF_SLOT, **context)


def with_csrf(html: str) -> Markup:
    """HTML from `render_forms` (kept or just drawn) with this request's CSRF token in its forms."""
    return Markup(html.replace(CSRF_SLOT, generate_csrf()))  # noqa: S704 - the output of autoescaped templates


def init_app(app: Flask) -> None:
    """One fragment cache per app (per process); the stamp listeners are installed on import."""
    app.extensions["mo_fragments"] = FragmentCache(app.config.get("FRAGMENT_CACHE_BYTES", DEFAULT_BUDGET))

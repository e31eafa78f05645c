"""Rendered fragments of expensive, rarely changing pages (the plan, the year results, the event list, the
visits pages' tables), kept in process and invalidated by a data stamp that every committed change renews.
Templates keep blocks with `{% cache %}` (`cached_html`); HTML with forms is kept with a CSRF slot each request
fills. Finished documents (PDF, DOCX, XLSX) follow the same stamp but are kept as files for every process
(mo_app/documents/kept.py).

The stamp is the one row of `data_version`: a random token that database triggers write again in the same
transaction as any insert, update or delete of a table a cached page may show (every table but the audit log,
notices, sessions, throttling counters, the worker's schedule and the stamp itself; of `user`, not the login
bookkeeping columns). On PostgreSQL they are deferred constraint triggers, so the row is written (and locked)
only at COMMIT; on SQLite writers are serialised anyway. Triggers see every write: ORM flushes,
`session.execute(update(...))`, bulk inserts, psql by hand — and cost the app no statement. A restore
(backup.py) loads the data without them (SQLite's backup API copies pages; pg_dump creates the triggers after
the data) and writes a new stamp itself, in the same step.

A page reads the stamp (a subquery of a query it makes anyway) BEFORE it reads the data it renders, and
keeps what it rendered under (stamp, what it shows, whose view). So:

- a change is seen on the next request in every process (gunicorn workers, waitress threads): the stamp it
  reads is new, so it misses and renders afresh;
- a fragment is never older than its stamp: the data is read after the stamp, in the same snapshot (SQLite)
  or a later one (PostgreSQL, read committed), and a change commits together with its new stamp;
- a random token rather than a counter: a database copied back by hand brings back its token, whose
  fragments (if any are still held) show exactly that data; a counter would repeat values for different data.

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
from contextlib import contextmanager

from flask import Flask, current_app, g, has_request_context, request
from flask_login import current_user
from flask_wtf.csrf import generate_csrf
from jinja2 import nodes
from jinja2.ext import Extension
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
UNWATCHED_TABLES = {
    "audit_entry", "notice", "data_version", "alembic_version", "scheduled_job", "user_session", "throttle_counter",
    "render_slot", "issued_document", "certificate", "event_material", "event_feedback", "mail_outbox",
    "mail_preference",
}
#: columns of `user` that change on login, a password change or «Просмотрено»; no cached page shows them
UNWATCHED_USER_COLUMNS = {
    "last_login_at", "previous_login_at", "password_hash", "must_change_password", "calendar_token",
    "signups_seen_at",
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
    if state.statement.is_dml:  # an insert, update or delete (one attribute, read on every query)
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

class Flights:
    """One build at a time per key in this process: the threads that want the same thing while it is being built
    wait for it and then find it kept, instead of building it too (after a change, a busy page's first requests
    would all build it at once and share the process's one interpreter)."""

    def __init__(self):
        self._lock = threading.Lock()
        self._flights: dict[Hashable, threading.RLock] = {}

    @contextmanager
    def one(self, key: Hashable):
        # re-entrant: a build that asks for its own key again (in its own thread) builds it, as without flights
        with self._lock:
            flight = self._flights.setdefault(key, threading.RLock())
        try:
            with flight:
                yield
        finally:
            with self._lock:
                if self._flights.get(key) is flight:
                    del self._flights[key]

    def fetch(self, key: Hashable, look: Callable[[], object], build: Callable[[], object],
              keep: Callable[[object], None]):
        """What `look()` finds, else `build()`'s value, given to `keep` unless this request has uncommitted
        changes; one build per key at a time, the threads that waited for it look again first."""
        found = look()
        if found is not None:
            return found
        with self.one(key):
            found = look()  # built by the thread this one waited for
            if found is not None:
                return found
            value = build()
            if not has_pending_changes():
                keep(value)
        return value


class FragmentCache:
    """A bounded LRU of rendered fragments for one stamp; a new stamp empties it (its entries are dead)."""

    def __init__(self, budget: int = DEFAULT_BUDGET):
        self.budget = budget
        self._lock = threading.Lock()
        self._stamp: str | None = None
        self._items: OrderedDict[Hashable, tuple[object, int]] = OrderedDict()
        self._size = 0
        self._flights = Flights()
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

    def get_or_build(self, stamp: str, key: Hashable, build: Callable[[], object],
                     size: Callable[[object], int] | None = None):
        """The value kept under (stamp, key), else `build()`'s, kept; one build at a time (`Flights`)."""
        return self._flights.fetch((stamp, key), lambda: self.get(stamp, key), build,
                                   lambda value: self.put(stamp, key, value, None if size is None else size(value)))

    def clear(self) -> None:
        with self._lock:
            self._stamp, self._items, self._size = None, OrderedDict(), 0

    def __len__(self) -> int:
        return len(self._items)


def fragments() -> FragmentCache:
    return current_app.extensions["mo_fragments"]


def may_keep(stamp: str | None) -> bool:
    """Whether what this request renders under `stamp` may be kept and served from what was kept: not without a
    stamp, with caching off (FRAGMENT_CACHE False) or with uncommitted changes in this request's session."""
    return stamp is not None and bool(current_app.config.get("FRAGMENT_CACHE", True)) and not has_pending_changes()


def cached(stamp: str | None, key: Hashable, build: Callable[[], object],
           size: Callable[[object], int] | None = None):
    """`build()`'s value kept under (stamp, key): `stamp` must have been read before `build` reads any data.

    The value is rendered text or bytes (`size` None: its own size counts), or plain objects that hold no
    ORM instance and that nobody changes, with `size(value)` estimating their memory. Without a stamp,
    with caching off (FRAGMENT_CACHE False), or with uncommitted changes in this request's session,
    `build()` is called and nothing is kept."""
    if not may_keep(stamp):
        return build()
    return fragments().get_or_build(stamp, key, build, size)


# ---- caching at the template boundary ------------------------------------------------------------------------------

#: Kept HTML with forms holds this where a form's CSRF token goes; each request puts its own token there.
#: Random for each process: no stored text can hold it, and no token is ever kept.
CSRF_SLOT = "csrf-slot-" + secrets.token_hex(16)


def use_stamp(stamp: str | None) -> str | None:
    """Note the data stamp this request read (in a query it made anyway, before reading the data it shows), for
    the `{% cache %}` blocks of the page it renders; returns it."""
    g.data_stamp = stamp
    return stamp


def request_stamp() -> str | None:
    """The stamp this request noted, else the current one (read once, before any data the blocks read)."""
    if "data_stamp" not in g:
        g.data_stamp = current_stamp()
    return g.data_stamp


def viewer_key() -> tuple:
    """What a fragment may depend on beyond its own key: the viewer's role and school, and the script root (the
    URLs it holds). Added to every key by the cache, never by its callers."""
    role = school = None
    if current_user and current_user.is_authenticated:
        role, school = current_user.role, current_user.organization_id
    return (role, school, request.script_root if has_request_context() else "")


def cached_html(key: tuple, draw: Callable[[], str]) -> Markup:
    """The HTML `draw()` renders (an autoescaped template's output), kept under the request's data stamp, `key`
    and the viewer (`viewer_key`); its forms' CSRF slots filled with this request's token."""
    def render() -> str:
        # Flask-WTF's generate_csrf() answers what `g.csrf_token` holds: csrf_token() and the forms made in the
        # block write the slot; forms made before it hold the request's token, put back as the slot
        token = generate_csrf()
        g.csrf_token = CSRF_SLOT
        try:
            return str(draw()).replace(token, CSRF_SLOT)
        finally:
            g.csrf_token = token

    html = cached(request_stamp(), ("html", *key, *viewer_key()), render)
    if g.get("csrf_token") == CSRF_SLOT:  # inside an outer block: it fills the slots itself
        return Markup(html)  # noqa: S704 - the output of an autoescaped template
    return Markup(html.replace(CSRF_SLOT, generate_csrf()))  # noqa: S704 - the output of an autoescaped template


class CacheExtension(Extension):
    """`{% cache "name", part, ... %}…{% endcache %}`: the block's HTML kept per data stamp (see `cached_html`).

    The block is drawn only on a miss, so the data it shows should be read inside it (a function the page passes,
    called in the block) — then a hit reads nothing. Everything the block shows must be named by the key's parts
    or be the viewer's role, school or the script root, which the cache adds itself."""

    tags = {"cache"}

    def parse(self, parser):
        lineno = next(parser.stream).lineno
        parts = [parser.parse_expression()]
        while parser.stream.skip_if("comma"):
            parts.append(parser.parse_expression())
        body = parser.parse_statements(("name:endcache",), drop_needle=True)
        call = self.call_method("_kept", [nodes.Tuple(parts, "load")])
        return nodes.CallBlock(call, [], [], body).set_lineno(lineno)

    @staticmethod
    def _kept(key: tuple, caller) -> Markup:
        return cached_html(key, caller)


def init_app(app: Flask) -> None:
    """One fragment cache per app (per process), its documents' flights and the `{% cache %}` tag; the stamp
    listeners are installed on import."""
    app.extensions["mo_fragments"] = FragmentCache(app.config.get("FRAGMENT_CACHE_BYTES", DEFAULT_BUDGET))
    app.extensions["mo_document_flights"] = Flights()  # one render of a kept document at a time (documents/kept.py)
    app.jinja_env.add_extension(CacheExtension)

"""The automatic audit log: every create, update and delete of an audited model, in the same transaction.

`before_flush` reads the rows about to change straight from the database (so the "before" value is
right even when the object's attributes were expired or set without being read); `after_flush`
compares them with what was written and inserts one `AuditEntry` per object with
``{field: [before, after]}``, who (the logged-in user of the request) and when. The insert goes
through the flush's own connection, so the entry commits or rolls back with the change itself.
Secrets (password hashes, calendar tokens) appear only as "•••": that they changed, never their value.
"""

from __future__ import annotations

from contextlib import contextmanager
from contextvars import ContextVar
from datetime import date, datetime, time
from decimal import Decimal

from flask import g, has_request_context
from sqlalchemy import event, insert, inspect, select

from .extensions import db
from .models import (
    AppSettings,
    AuditEntry,
    BestPractice,
    Certificate,
    ConsultationRequest,
    Event,
    EventMaterial,
    Organization,
    Recommendation,
    Registration,
    ReportCheckItem,
    User,
    Visit,
    VisitReport,
)
from .models.base import utcnow

AUDITED: tuple[type, ...] = (
    User,
    Organization,
    Event,
    Registration,
    Visit,
    VisitReport,
    ReportCheckItem,
    Recommendation,
    BestPractice,
    ConsultationRequest,
    AppSettings,
    Certificate,
    EventMaterial,
)
#: fields whose value is never written to the log; only the fact that they changed
SECRET_FIELDS = {"password_hash", "calendar_token"}
MASK = "•••"
#: bookkeeping fields that change on every write or login: not worth an entry of their own
IGNORED_FIELDS = {"updated_at", "last_login_at", "previous_login_at", "version", "pdf", "printed"}

_SNAPSHOTS = "mo_audit_snapshots"
_suspended: ContextVar[bool] = ContextVar("audit_suspended", default=False)
_actor: ContextVar[int | None] = ContextVar("audit_actor", default=None)


@contextmanager
def audit_suspended():
    """Run a bulk job (e.g. loading demo data) without writing audit entries."""
    token = _suspended.set(True)
    try:
        yield
    finally:
        _suspended.reset(token)


@contextmanager
def audit_actor(user_id: int | None):
    """Name the user behind changes made outside a request (CLI commands, jobs)."""
    token = _actor.set(user_id)
    try:
        yield
    finally:
        _actor.reset(token)


def _jsonable(value):
    """A JSON-safe copy of a column value."""
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    return str(value)


def _shown(key: str, value):
    if key in SECRET_FIELDS:
        return MASK if value else None
    return _jsonable(value)


def _actor_id() -> int | None:
    """The logged-in user of the current request (without loading anything), else the CLI actor."""
    if has_request_context():
        user = g.get("_login_user")
        if isinstance(user, User):
            identity = inspect(user).identity
            if identity:
                return identity[0]
    return _actor.get()


def record(action: str, entity: str, entity_id: int | None, changes: dict | None = None) -> None:
    """Add an entry by hand, for a change the automatic log does not see (its model is not audited): who is the
    logged-in user of the request, else the CLI actor; committed with the change."""
    db.session.add(AuditEntry(user_id=_actor_id(), action=action, entity=entity, entity_id=entity_id,
                              changes=changes or {}))


def _columns(mapper) -> list:
    return [prop for prop in mapper.column_attrs if prop.key not in IGNORED_FIELDS]


def _collections(mapper) -> list:
    """Many-to-many relationships (e.g. a visit's purposes): logged as lists of ids."""
    return [rel for rel in mapper.relationships if rel.secondary is not None and not rel.viewonly]


def _pk(state):
    """The primary key of an object, also for one just inserted by this flush (no identity key yet)."""
    if state.identity:
        return state.identity[0]
    return state.dict.get(state.mapper.get_property_by_column(state.mapper.primary_key[0]).key)


def _ids(objects) -> list:
    return sorted(i for i in (_pk(inspect(o)) for o in objects) if i is not None)


@event.listens_for(db.session, "before_flush")
def _before_flush(session, flush_context, instances):
    """Refuse edits of the log itself; read the current rows of audited objects about to change."""
    for obj in list(session.dirty) + list(session.deleted):
        if isinstance(obj, AuditEntry) and (obj in session.deleted or session.is_modified(obj)):
            raise RuntimeError("the audit log is append-only")
    if _suspended.get():
        return
    wanted: dict = {}
    for obj in list(session.dirty) + list(session.deleted):
        if isinstance(obj, AUDITED) and (obj in session.deleted or session.is_modified(obj)):
            state = inspect(obj)
            if state.key is not None:
                wanted.setdefault(state.mapper, []).append(state.key[1][0])
    if not wanted:
        return
    snapshots = session.info.setdefault(_SNAPSHOTS, {})
    conn = session.connection()
    for mapper, ids in wanted.items():
        cols = _columns(mapper)
        pk = mapper.primary_key[0]
        stmt = select(pk.label("__pk"), *[prop.columns[0].label(prop.key) for prop in cols]).where(pk.in_(ids))
        for row in conn.execute(stmt).mappings():
            snapshots[(mapper.class_, row["__pk"])] = {prop.key: row[prop.key] for prop in cols}


@event.listens_for(db.session, "after_flush")
def _after_flush(session, flush_context):
    """Write one entry per created, changed or deleted audited object."""
    snapshots = session.info.pop(_SNAPSHOTS, {})
    if _suspended.get():
        return
    who = _actor_id()
    entries = []
    for obj in session.new:
        if isinstance(obj, AUDITED):
            entries.append(_created(obj, who))
    for obj in session.dirty:
        if isinstance(obj, AUDITED):
            entry = _updated(obj, who, snapshots)
            if entry:
                entries.append(entry)
    for obj in session.deleted:
        if isinstance(obj, AUDITED):
            entries.append(_deleted(obj, who, snapshots))
    entries = [e for e in entries if e is not None]
    if entries:
        session.connection().execute(insert(AuditEntry.__table__), entries)


@event.listens_for(db.session, "after_soft_rollback")
def _forget(session, previous_transaction):
    session.info.pop(_SNAPSHOTS, None)


def _entry(obj, action: str, who: int | None, changes: dict, entity_id=None) -> dict:
    if entity_id is None:
        entity_id = _pk(inspect(obj))
    return {
        "at": utcnow(),
        "user_id": who,
        "action": action,
        "entity": type(obj).__name__,
        "entity_id": entity_id,
        "changes": changes,
    }


def _created(obj, who):
    state = inspect(obj)
    changes = {}
    for prop in _columns(state.mapper):
        value = state.dict.get(prop.key)
        if prop.columns[0].primary_key:
            continue
        if value is not None and value != [] and value != {}:
            changes[prop.key] = [None, _shown(prop.key, value)]
    for rel in _collections(state.mapper):
        ids = _ids(state.dict.get(rel.key) or [])
        if ids:
            changes[rel.key] = [None, ids]
    return _entry(obj, "create", who, changes)


def _updated(obj, who, snapshots):
    state = inspect(obj)
    if state.identity is None:
        return None
    before = snapshots.get((state.mapper.class_, state.identity[0]))
    changes = {}
    if before is not None:
        for key, old in before.items():
            if key not in state.dict:  # expired by the flush (server-side value): not changed by us
                continue
            new = state.dict[key]
            if _jsonable(new) != _jsonable(old):
                changes[key] = [_shown(key, old), _shown(key, new)]
    for rel in _collections(state.mapper):
        hist = state.attrs[rel.key].history
        if hist.added or hist.deleted:
            old_ids = _ids(list(hist.unchanged or ()) + list(hist.deleted or ()))
            new_ids = _ids(list(hist.unchanged or ()) + list(hist.added or ()))
            if old_ids != new_ids:
                changes[rel.key] = [old_ids, new_ids]
    if not changes:
        return None
    return _entry(obj, "update", who, changes)


def _deleted(obj, who, snapshots):
    state = inspect(obj)
    entity_id = state.identity[0] if state.identity else None
    before = snapshots.get((state.mapper.class_, entity_id)) or {}
    changes = {
        key: [_shown(key, value), None]
        for key, value in before.items()
        if value is not None and value != [] and value != {}
    }
    return _entry(obj, "delete", who, changes, entity_id=entity_id)

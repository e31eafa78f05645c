"""At most two document renders per user at once, across every process of the server: a claimed row of
`render_slot` (user, slot 0 or 1) per render, on its own connection and committed at once, so every process
sees it; a claim older than a minute is stale (its process died) and is taken over.

Cost: two one-statement write transactions a render (claim and release), well under a millisecond on
SQLite, against a render of tens of milliseconds."""

from __future__ import annotations

from contextlib import contextmanager
from datetime import timedelta

from sqlalchemy import delete, literal, select, union_all

from ..extensions import db
from ..models import RenderSlot
from ..models.base import utcnow

SLOTS = 2
STALE = timedelta(minutes=1)
BUSY_MESSAGE = "Документ уже готовится, подождите"
_TABLE = RenderSlot.__table__


class DocumentBusy(Exception):
    """The user already has two documents being made: 429."""

    status = 429

    def __init__(self, message: str = BUSY_MESSAGE):
        super().__init__(message)
        self.message = message


@contextmanager
def _transaction():
    """A transaction of its own, committed at once. On PostgreSQL without waiting for the disk: a claim lost in a
    crash is harmless (stale a minute later), and the flush would cost more than the render's own work."""
    with db.engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            conn.exec_driver_sql("SET LOCAL synchronous_commit TO OFF")
        yield conn


def _insert():
    """INSERT … ON CONFLICT in the engine's dialect (SQLite and PostgreSQL spell it alike)."""
    if db.engine.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as dialect_insert
    else:
        from sqlalchemy.dialects.sqlite import insert as dialect_insert
    return dialect_insert(_TABLE)


def claim(user_id: int):
    """Take a free (or stale) slot of `user_id` in one statement: its start time, or None when both are busy.

    The statement picks the lowest slot that no fresh claim holds; a stale claim's row is taken over (ON
    CONFLICT … WHERE stale). Two processes picking the same free slot at once (PostgreSQL): the second finds the
    first's fresh row, changes nothing and tries again (the other slot)."""
    for _ in range(SLOTS):
        now = utcnow()
        fresh = (select(_TABLE.c.slot)
                 .where(_TABLE.c.user_id == user_id, _TABLE.c.started_at >= now - STALE).scalar_subquery())
        slots = union_all(*(select(literal(s).label("slot")) for s in range(SLOTS))).subquery()
        pick = (select(literal(user_id), slots.c.slot, literal(now))
                .where(slots.c.slot.not_in(fresh)).order_by(slots.c.slot).limit(1))
        statement = _insert().from_select(["user_id", "slot", "started_at"], pick)
        statement = statement.on_conflict_do_update(
            index_elements=["user_id", "slot"], set_={"started_at": statement.excluded.started_at},
            where=_TABLE.c.started_at < now - STALE,
        )
        with _transaction() as conn:
            if conn.execute(statement.returning(_TABLE.c.slot)).first() is not None:
                return now
    return None


def release(user_id: int, started_at) -> None:
    """Give the slot back (unless it went stale and another render took it over)."""
    with _transaction() as conn:
        conn.execute(delete(_TABLE).where(_TABLE.c.user_id == user_id, _TABLE.c.started_at == started_at))


@contextmanager
def render_slot(user_id: int | None):
    """Hold one of the user's two render slots for the block; DocumentBusy when both are taken. No user: no
    limit. A failing block's own transaction is rolled back before the slot is given back (on SQLite a
    writing request's open transaction would hold the lock the release needs)."""
    if user_id is None:
        yield
        return
    claimed = claim(user_id)
    if claimed is None:
        raise DocumentBusy()
    try:
        yield
    except BaseException:
        db.session.rollback()
        raise
    finally:
        release(user_id, claimed)

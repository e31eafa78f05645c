"""Stopping guessing: attempts counted per key in fixed windows, shared by every process of the app.

    attempt = throttle.reserve(Counter("login", "5 per 15 minutes", (name, address)),
                               Counter("login-address", "100 per 15 minutes", (address,)))
    if not attempt.allowed:
        ...answer 429, wait attempt.retry_after seconds
    if the password is right:
        attempt.release(clear=attempt.counters[:1])   # success: give the attempt back (and forget failures)

An attempt is reserved BEFORE the expensive check, by an atomic increment that returns the new count: 60
parallel attempts cannot all pass a test-then-count, exactly `limit` of them are let through per window. A
failed attempt simply keeps its reservation; a refused one gives back what it took from the counters still
under their limit.

Counters live in the database (`throttle_counter`: one `INSERT … ON CONFLICT DO UPDATE … RETURNING`, on
SQLite and PostgreSQL alike), or, when RATELIMIT_STORAGE_URI names one (`redis://…`, `memory://`), in a
storage of the `limits` library. Only a SHA-256 of each key is kept. Rows of ended windows are deleted
whenever a counter starts a new window (one indexed DELETE that skips rows other transactions hold).
RATELIMIT_ENABLED=0 turns counting off.

Reserving and releasing commit the database session: call them before the request changes anything.
"""

from __future__ import annotations

import hashlib
import math
import time
from collections.abc import Iterable
from dataclasses import dataclass, field

from flask import Flask, current_app
from limits import RateLimitItem, parse
from sqlalchemy import case, delete, select, update
from sqlalchemy.dialects import postgresql, sqlite

from .cache import has_pending_changes
from .extensions import db
from .models import ThrottleCounter

EXTENSION = "mo_throttle"


@dataclass(frozen=True)
class Counter:
    """One counter: `limit` attempts ("5 per 15 minutes", the `limits` notation) per window for one key."""

    scope: str
    limit: str
    parts: tuple[str, ...]

    @property
    def item(self) -> RateLimitItem:
        return parse(self.limit)

    @property
    def key(self) -> str:
        raw = "\x1f".join((self.scope, *self.parts))
        return hashlib.sha256(raw.encode("utf-8", "surrogatepass")).hexdigest()


@dataclass
class Attempt:
    """The outcome of `reserve`: allowed, or refused for `retry_after` seconds."""

    counters: tuple[Counter, ...]
    allowed: bool = True
    retry_after: int = 0
    _released: bool = field(default=False, repr=False)

    @property
    def retry_minutes(self) -> int:
        return max(1, math.ceil(self.retry_after / 60))

    def release(self, clear: Iterable[Counter] = ()) -> None:
        """The attempt succeeded: give back its reservation on each counter, and reset the `clear` ones."""
        if not self.allowed or self._released or not self.counters:
            return
        self._released = True
        clear = set(clear)
        _storage().give_back([c for c in self.counters if c not in clear], [c for c in self.counters if c in clear])


def reserve(*counters: Counter) -> Attempt:
    """Count one attempt on every counter, atomically; refused when any of them is over its limit."""
    if not current_app.config.get("RATELIMIT_ENABLED", True):
        return Attempt(counters=())
    now = int(time.time())
    counts = _storage().take(counters, now)
    over = [(c, expires) for c, (hits, expires) in zip(counters, counts, strict=True) if hits > c.item.amount]
    if not over:
        return Attempt(counters=counters)
    under = [c for c, (hits, _) in zip(counters, counts, strict=True) if hits <= c.item.amount]
    if under:
        _storage().give_back(under, [])
    wait = max(expires for _, expires in over) - now
    return Attempt(counters=counters, allowed=False, retry_after=max(1, int(wait)))


def clear(*counters: Counter) -> None:
    """Forget what the counters hold (a methodologist unblocking someone, a test)."""
    _storage().give_back([], list(counters))


# ---- storages ----------------------------------------------------------------------------------------------------


class DatabaseStorage:
    """Counters in the `throttle_counter` table of the app's database."""

    def take(self, counters: Iterable[Counter], now: int) -> list[tuple[int, int]]:
        """Add one to each counter (a new window if its window ended); (hits, window end) of each."""
        _no_pending_changes()
        table = ThrottleCounter.__table__
        insert = postgresql.insert if db.session.get_bind().dialect.name == "postgresql" else sqlite.insert
        results: dict[str, tuple[int, int]] = {}
        new_window = False
        for counter in sorted(counters, key=lambda c: c.key):  # one lock order for every transaction
            ends = now + counter.item.get_expiry()
            ended = table.c.expires_at <= now
            stmt = insert(table).values(key=counter.key, hits=1, expires_at=ends)
            stmt = stmt.on_conflict_do_update(
                index_elements=[table.c.key],
                set_={"hits": case((ended, 1), else_=table.c.hits + 1),
                      "expires_at": case((ended, ends), else_=table.c.expires_at)},
            ).returning(table.c.hits, table.c.expires_at)
            hits, expires = db.session.execute(stmt).one()
            results[counter.key] = (hits, expires)
            new_window = new_window or hits == 1
        if new_window:
            stale = select(table.c.key).where(table.c.expires_at <= now).with_for_update(skip_locked=True)
            db.session.execute(delete(table).where(table.c.key.in_(stale.scalar_subquery())))
        db.session.commit()
        return [results[c.key] for c in counters]

    def give_back(self, release: list[Counter], reset: list[Counter]) -> None:
        """Take one off each of `release` (not below zero) and delete `reset`."""
        _no_pending_changes()
        table = ThrottleCounter.__table__
        for counter in sorted(release, key=lambda c: c.key):
            db.session.execute(update(table).where(table.c.key == counter.key, table.c.hits > 0)
                               .values(hits=table.c.hits - 1))
        if reset:
            db.session.execute(delete(table).where(table.c.key.in_([c.key for c in reset])))
        db.session.commit()


class LimitsStorage:
    """Counters in a storage of the `limits` library (Redis for several hosts; memory: one process only)."""

    def __init__(self, uri: str):
        from limits.storage import storage_from_string

        self.storage = storage_from_string(uri)

    def take(self, counters: Iterable[Counter], now: int) -> list[tuple[int, int]]:
        out = []
        for counter in counters:
            hits = self.storage.incr(counter.key, counter.item.get_expiry())
            out.append((hits, math.ceil(self.storage.get_expiry(counter.key))))
        return out

    def give_back(self, release: list[Counter], reset: list[Counter]) -> None:
        for counter in release:
            if self.storage.get(counter.key) > 0:
                self.storage.incr(counter.key, counter.item.get_expiry(), amount=-1)
        for counter in reset:
            self.storage.clear(counter.key)


def _no_pending_changes() -> None:
    if has_pending_changes(db.session()):
        raise RuntimeError("throttle counters commit: reserve before the request changes anything")


def _storage() -> DatabaseStorage | LimitsStorage:
    return current_app.extensions[EXTENSION]


def init_app(app: Flask) -> None:
    """Counters in the database, or in the `limits` storage RATELIMIT_STORAGE_URI names."""
    uri = app.config.get("RATELIMIT_STORAGE_URI")
    app.extensions[EXTENSION] = LimitsStorage(uri) if uri else DatabaseStorage()

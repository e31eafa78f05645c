"""Server-side sessions: a login is a `user_session` row, and its random key is what the cookies carry.

Flask-Login keeps `User.get_id()` both in the signed Flask session and in the remember-me cookie; here that
id is the key of a `user_session` row (only its SHA-256 is stored). The user loader reads the user and the
row in one query (a join), so a request costs no more queries than before. No row, no session:

- logout deletes the row, so a copied `session` or `remember_token` cookie opens nothing afterwards;
- «Выйти на всех устройствах» deletes all the user's rows;
- a password change (anyone's: own, a reset by the methodologist, the CLI) and deactivation delete all the
  user's rows when they are flushed (the listener below); the browser that changed its own password gets a
  new row and goes on;
- a row unused for its lifetime (a year when «Запомнить меня» was checked, else SESSION_IDLE_DAYS) is refused
  and deleted at the next login of anyone;
- `last_seen_at` is written at most once an hour per session, in its own short transaction: never a write
  per request.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from datetime import datetime, timedelta

from flask import current_app, request
from flask_login import login_user, logout_user
from sqlalchemy import bindparam, delete, event, inspect, select, update

from ..extensions import db, write_lock
from ..models import User, UserSession
from ..models.base import utcnow

TOUCH_EVERY = timedelta(hours=1)  #: how stale last_seen_at may get before a request renews it
KEY_RE = re.compile(r"[A-Za-z0-9_-]{43}")  #: secrets.token_urlsafe(32)


#: the user loader's one query, built once: each request only binds the key's digest and the time (building the
#: select and its comparisons anew cost ~20 % of the loader)
_LOAD_USER = (
    select(User, UserSession)
    .join(UserSession, UserSession.user_id == User.id)
    .where(UserSession.key_hash == bindparam("key_hash"), UserSession.expires_at > bindparam("now"),
           User.active.is_(True))
)


def _digest(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def _lifetime(remember: bool) -> timedelta:
    """How long an unused session lives: the remember-me cookie's duration, or SESSION_IDLE_DAYS."""
    cfg = current_app.config
    if remember:
        duration = cfg.get("REMEMBER_COOKIE_DURATION", timedelta(days=365))
        return duration if isinstance(duration, timedelta) else timedelta(seconds=int(duration))
    return timedelta(days=int(cfg.get("SESSION_IDLE_DAYS", 30)))


def load_user(key: str) -> User | None:
    """The active user whose live session has this key (one query), else None; renews last_seen hourly."""
    if not KEY_RE.fullmatch(key or ""):
        return None
    session = db.session()
    clean = not session.in_transaction() and not (session.new or session.dirty or session.deleted)
    now = utcnow()
    row = session.execute(_LOAD_USER, {"key_hash": _digest(key), "now": now}).first()
    if row is None:
        return None
    user, record = row
    user.session_key, user.login_session = key, record
    if clean and now - record.last_seen_at >= TOUCH_EVERY:
        _touch(record.id, record.remember, now)
    return user


def _touch(record_id: int, remember: bool, now: datetime) -> None:
    """Renew a session's last_seen and lifetime in a transaction of its own (the request's has only read)."""
    with write_lock():  # ends the read transaction; on SQLite the write begins IMMEDIATE
        db.session.execute(
            update(UserSession).where(UserSession.id == record_id)
            .values(last_seen_at=now, expires_at=now + _lifetime(remember))
            .execution_options(synchronize_session=False)
        )
        db.session.commit()


def open_session(user: User, remember: bool = False, user_agent: str = "", address: str = "") -> str:
    """A new server-side session of `user` (committed): its key, also set as `user.session_key`."""
    now = utcnow()
    key = secrets.token_urlsafe(32)
    record = UserSession(
        key_hash=_digest(key), user_id=user.id, remember=remember, created_at=now, last_seen_at=now,
        expires_at=now + _lifetime(remember), user_agent=user_agent[:200], address=address[:45],
    )
    db.session.execute(delete(UserSession).where(UserSession.expires_at <= now))  # the dead ones, anyone's
    db.session.add(record)
    db.session.commit()
    user.session_key, user.login_session = key, record
    return key


def log_in(user: User, remember: bool = False) -> None:
    """Start a server-side session for `user` in this browser (commits) and hand its key to Flask-Login."""
    open_session(user, remember, request.user_agent.string or "", request.remote_addr or "")
    login_user(user, remember=remember)


def log_out(user) -> None:
    """End this browser's session on the server and forget its cookies."""
    record = getattr(user, "login_session", None)
    if record is not None:
        db.session.execute(delete(UserSession).where(UserSession.id == record.id))
        db.session.commit()
    logout_user()


def end_all_sessions(user: User) -> int:
    """End every session of `user`, this browser's included (commits); how many there were."""
    result = db.session.execute(delete(UserSession).where(UserSession.user_id == user.id))
    db.session.commit()
    logout_user()
    return result.rowcount


def end_session(user: User, session_id: int) -> bool:
    """End one of `user`'s own sessions (another browser's) by its id (commits); False if there is none."""
    result = db.session.execute(
        delete(UserSession).where(UserSession.id == session_id, UserSession.user_id == user.id)
    )
    db.session.commit()
    return result.rowcount > 0


def live_sessions(user: User) -> list[UserSession]:
    """The user's sessions still alive, the most recently used first."""
    return list(db.session.scalars(
        select(UserSession).where(UserSession.user_id == user.id, UserSession.expires_at > utcnow())
        .order_by(UserSession.last_seen_at.desc(), UserSession.id.desc())
    ))


def device_label(user_agent: str) -> str:
    """«Firefox, Windows» from a User-Agent header; «Неизвестный браузер» when it names none we know."""
    ua = user_agent or ""
    browser = next((name for token, name in (
        ("YaBrowser", "Яндекс Браузер"), ("Edg/", "Edge"), ("OPR/", "Opera"), ("Firefox/", "Firefox"),
        ("Chrome/", "Chrome"), ("Chromium/", "Chromium"), ("Safari/", "Safari"),
    ) if token in ua), "Неизвестный браузер")
    system = next((name for token, name in (
        ("Android", "Android"), ("iPhone", "iPhone"), ("iPad", "iPad"), ("Windows", "Windows"),
        ("Mac OS X", "macOS"), ("Linux", "Linux"),
    ) if token in ua), "")
    return f"{browser}, {system}" if system else browser


@event.listens_for(db.session, "before_flush")
def _password_or_deactivation_ends_sessions(session, flush_context, instances):
    """A new password hash or a deactivation, however it is made, ends all the user's sessions."""
    ended = []
    for obj in session.dirty:
        if isinstance(obj, User) and obj.id is not None:
            state = inspect(obj)
            if state.attrs.password_hash.history.added or (state.attrs.active.history.added and not obj.active):
                ended.append(obj.id)
    if ended:  # "fetch": the rows' objects leave the identity map too (SQLite may reuse their ids at once)
        session.execute(delete(UserSession).where(UserSession.user_id.in_(ended))
                        .execution_options(synchronize_session="fetch"))

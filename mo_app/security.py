"""Request hardening shared by all areas: login throttling (Flask-Limiter storage) and refusing NUL bytes.

Login throttling counts FAILED attempts only, per login name and per client address, in the storage
Flask-Limiter was given (`RATELIMIT_STORAGE_URI`: memory by default, Redis for several workers). A
throttled attempt is refused before the password is checked, with the same answer whether the login
exists or not.
"""

from __future__ import annotations

import math
import time

from flask import Flask, current_app, request
from flask_limiter.util import get_remote_address
from limits import parse
from sqlalchemy import event

from .dates import plural
from .errors import error_response
from .extensions import limiter
from .models import User

#: defaults; override with LOGIN_LIMIT_PER_LOGIN / LOGIN_LIMIT_PER_ADDRESS in the app config
LIMIT_PER_LOGIN = "5 per 15 minutes"
LIMIT_PER_ADDRESS = "20 per 15 minutes"


def _limits() -> list[tuple[object, str, str]]:
    cfg = current_app.config
    return [
        (parse(cfg.get("LOGIN_LIMIT_PER_LOGIN", LIMIT_PER_LOGIN)), "login-name", "name"),
        (parse(cfg.get("LOGIN_LIMIT_PER_ADDRESS", LIMIT_PER_ADDRESS)), "login-addr", "addr"),
    ]


def _keys(login: str) -> dict[str, str]:
    return {"name": (login or "").strip().lower()[:60], "addr": get_remote_address() or "-"}


def _enabled() -> bool:
    return bool(limiter.enabled) and limiter._storage is not None  # noqa: SLF001 - None when disabled


def login_throttled(login: str) -> str | None:
    """A Russian message if failed attempts for this login name or this address are used up, else None."""
    if not _enabled():
        return None
    keys = _keys(login)
    wait = 0.0
    for item, scope, which in _limits():
        if not limiter.limiter.test(item, scope, keys[which]):
            reset_at, _ = limiter.limiter.get_window_stats(item, scope, keys[which])
            wait = max(wait, reset_at - time.time())
    if wait <= 0:
        return None
    minutes = max(1, math.ceil(wait / 60))
    return (
        "Слишком много неудачных попыток входа. "
        f"Попробуйте снова через {minutes} {plural(minutes, 'минуту', 'минуты', 'минут')} "
        "или обратитесь к методисту."
    )


def login_failed(login: str) -> None:
    """Count one failed login attempt for the login name and for the address."""
    if not _enabled():
        return
    keys = _keys(login)
    for item, scope, which in _limits():
        limiter.limiter.hit(item, scope, keys[which])


def login_succeeded(login: str) -> None:
    """A successful login clears the failures counted for this login name (not for the address)."""
    if not _enabled():
        return
    item, scope, _ = _limits()[0]
    limiter.limiter.clear(item, scope, _keys(login)["name"])


def _strings(value) -> list[str]:
    """Every string (keys too) inside a decoded JSON value."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for k, v in value.items() for s in (*_strings(k), *_strings(v))]
    if isinstance(value, list):
        return [s for v in value for s in _strings(v)]
    return []


def _refuse_nul_bytes():
    """NUL bytes are never valid input (PostgreSQL cannot store them): refuse them with a 400."""
    if request.method in ("GET", "HEAD", "OPTIONS") and not request.args:
        return None
    values = list(request.args.values())
    if request.method not in ("GET", "HEAD", "OPTIONS") and request.mimetype in (
        "application/x-www-form-urlencoded",
        "multipart/form-data",
    ):
        values += [v for _, v in request.form.items(multi=True)]
        values += [f.filename or "" for _, f in request.files.items(multi=True)]
    if request.method not in ("GET", "HEAD", "OPTIONS") and request.is_json:
        values += _strings(request.get_json(silent=True))  # Flask-WTF reads JSON bodies as form data
    if any("\x00" in v for v in values):
        return error_response(400, "Запрос содержит недопустимые символы. Проверьте введённый текст.")
    return None


@event.listens_for(User.active, "set", active_history=True)
def _deactivation_ends_sessions(user, value, oldvalue, initiator):
    """Deactivating an account ends all its sessions and remember-me cookies, even after reactivation."""
    if oldvalue is True and not value:
        user.session_version = (user.session_version or 0) + 1


def init_app(app: Flask) -> None:
    """Install the request guards."""
    app.before_request_funcs.setdefault(None, []).insert(0, _refuse_nul_bytes)

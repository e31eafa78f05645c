"""Request hardening shared by all areas: login throttling (mo_app/throttle.py), refusing NUL bytes, and
`Cache-Control: no-store` on everything but static files.

Login throttling counts failed attempts per (login name, address) — LOGIN_LIMIT_PER_LOGIN, 5 per 15 minutes —
and per address — LOGIN_LIMIT_PER_ADDRESS, 100 per 15 minutes: a school behind one address has room for
everyone's typos. A correct password from an address that has not failed is never refused because of
failures elsewhere. An attempt is reserved before the password is checked, so parallel attempts get no more
checks than the limit; a throttled attempt is refused with the same answer whether the login exists or not.
"""

from __future__ import annotations

from flask import Flask, current_app, request

from . import throttle
from .dates import plural
from .errors import error_response

#: defaults; override with LOGIN_LIMIT_PER_LOGIN / LOGIN_LIMIT_PER_ADDRESS (environment or app config)
LIMIT_PER_LOGIN = "5 per 15 minutes"
LIMIT_PER_ADDRESS = "100 per 15 minutes"


def login_attempt(login: str) -> throttle.Attempt:
    """Reserve one login attempt for this login name from this address (check `.allowed` before the password)."""
    cfg = current_app.config
    name = (login or "").strip().lower()[:60]
    address = request.remote_addr or "-"
    return throttle.reserve(
        throttle.Counter("login", cfg.get("LOGIN_LIMIT_PER_LOGIN") or LIMIT_PER_LOGIN, (name, address)),
        throttle.Counter("login-address", cfg.get("LOGIN_LIMIT_PER_ADDRESS") or LIMIT_PER_ADDRESS, (address,)),
    )


def login_refused_message(attempt: throttle.Attempt) -> str:
    """What a throttled login reads (the same for every login name)."""
    minutes = attempt.retry_minutes
    return (
        "Слишком много неудачных попыток входа. "
        f"Попробуйте снова через {minutes} {plural(minutes, 'минуту', 'минуты', 'минут')} "
        "или обратитесь к методисту."
    )


def login_succeeded(attempt: throttle.Attempt) -> None:
    """The password was right: this login name's failures from this address are forgotten, the address's
    reservation is given back."""
    attempt.release(clear=attempt.counters[:1])


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


def _no_store(response):
    """Nothing but static files is kept by the browser or a proxy: pages of logged-in users and every download
    (PDF, DOCX, XLSX, CSV, ICS, uploaded files) stay off the disk of a shared school computer."""
    if request.endpoint != "static":
        response.headers["Cache-Control"] = "no-store"
    return response


def init_app(app: Flask) -> None:
    """Install the request guards, the no-store rule and the throttling counters."""
    app.before_request_funcs.setdefault(None, []).insert(0, _refuse_nul_bytes)
    app.after_request(_no_store)
    throttle.init_app(app)
    for name, default in (("LOGIN_LIMIT_PER_LOGIN", LIMIT_PER_LOGIN), ("LOGIN_LIMIT_PER_ADDRESS", LIMIT_PER_ADDRESS)):
        throttle.Counter(name, app.config.get(name) or default, ()).item  # noqa: B018 - a bad value fails at start

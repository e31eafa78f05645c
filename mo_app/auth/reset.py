"""Password reset by e-mail: «Забыли пароль?» → a letter with a signed link valid one hour → a new password.

The link signs the account's id with a salt made from its current password hash: setting a new password changes
the hash, so a used link (and every other link sent before) no longer verifies — single use without a table. The
request is throttled per address and per typed login or e-mail, and answers the same whether or not an account
matches (no letter goes to an unknown, deactivated or address-less account)."""

from __future__ import annotations

from flask import current_app, request
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import func

from .. import throttle
from ..extensions import db
from ..mail import letters
from ..mail.outbox import app_link
from ..models import User

MAX_AGE = 3600  #: seconds a link stays valid
LIMIT_PER_ADDRESS = "10 per hour"
LIMIT_PER_ACCOUNT = "3 per hour"


class ResetRefused(Exception):
    def __init__(self, message: str, status: int):
        super().__init__(message)
        self.message = message
        self.status = status


def _signer(password_hash: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=f"password-reset:{password_hash}")


def make_token(user: User) -> str:
    return _signer(user.password_hash or "").dumps(user.id)


def request_reset(identifier: str) -> bool:
    """Write a reset letter to the active account whose login or e-mail is `identifier` (committed). False when
    throttled; True otherwise, whether or not an account matched."""
    typed = (identifier or "").strip().lower()[:200]
    attempt = throttle.reserve(
        throttle.Counter("reset-address", LIMIT_PER_ADDRESS, (request.remote_addr or "-",)),
        throttle.Counter("reset-account", LIMIT_PER_ACCOUNT, (typed,)),
    )
    if not attempt.allowed:
        return False
    users = db.session.scalars(db.select(User).where(
        User.active.is_(True), db.or_(User.login == typed, func.lower(func.trim(User.email)) == typed)).limit(5)).all()
    for user in users:
        # per account too (a login and an e-mail are two ways to one account): over the limit, silently no letter
        if throttle.reserve(throttle.Counter("reset-user", LIMIT_PER_ACCOUNT, (str(user.id),))).allowed:
            letters.password_reset(user, app_link("auth.reset_password", token=make_token(user)))
    db.session.commit()
    return True


def user_for_token(token: str) -> User:
    """The account a valid, unused, unexpired link is for; ResetRefused otherwise."""
    invalid = ResetRefused("Ссылка недействительна или уже использована. Запросите новую.", 404)
    try:
        _ok, user_id = URLSafeTimedSerializer(current_app.config["SECRET_KEY"]).loads_unsafe(token)
    except Exception:  # noqa: BLE001 - any undecodable token is simply invalid
        raise invalid from None
    user = db.session.get(User, user_id) if isinstance(user_id, int) else None
    if user is None or not user.active:
        raise invalid
    try:
        _signer(user.password_hash or "").loads(token, max_age=MAX_AGE)
    except SignatureExpired:
        raise ResetRefused("Ссылка устарела: она действует один час. Запросите новую.", 410) from None
    except BadSignature:
        raise invalid from None
    return user


def reset_password(token: str, new_password: str) -> User:
    """Set a new password through a link (committed); every session of the user ends (mo_app/auth/sessions.py)."""
    user = user_for_token(token)
    user.set_password(new_password)
    user.must_change_password = False
    db.session.commit()
    return user

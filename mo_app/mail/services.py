"""The write side of mail: resending a failed letter, a user's choice of kinds, unsubscribing by a signed link."""

from __future__ import annotations

from ..extensions import db
from ..models import MailPreference, OutboxLetter, User
from ..models.mail import FAILED
from .outbox import KINDS, read_unsubscribe_token
from .sender import resend as _requeue


class MailError(Exception):
    """A refused change of the mail area: `message` (Russian) shown as is, `status` the HTTP status."""

    def __init__(self, message: str, status: int = 409):
        super().__init__(message)
        self.message = message
        self.status = status


def resend(letter_id: int, by: User) -> OutboxLetter:
    """Queue a failed letter again (the methodologist). Commits."""
    letter = db.session.get(OutboxLetter, letter_id)
    if letter is None:
        raise MailError("Письмо не найдено.", 404)
    if letter.status != FAILED:
        raise MailError("Отправить снова можно только недоставленное письмо.", 409)
    _requeue(letter)
    db.session.commit()
    return letter


def set_preferences(user: User, enabled: set[str]) -> None:
    """The kinds `user` gets: every kind not in `enabled` is turned off. Commits."""
    unknown = enabled - set(KINDS)
    if unknown:
        raise MailError("Неизвестный вид писем.", 422)
    rows = {p.kind: p for p in db.session.scalars(db.select(MailPreference).where(MailPreference.user_id == user.id))}
    for kind in KINDS:
        if kind in enabled and kind in rows:
            db.session.delete(rows[kind])
        elif kind not in enabled and kind not in rows:
            db.session.add(MailPreference(user_id=user.id, kind=kind))
    db.session.commit()


def turned_off(user: User) -> set[str]:
    return set(db.session.scalars(db.select(MailPreference.kind).where(MailPreference.user_id == user.id)))


def unsubscribe(token: str) -> tuple[User, str]:
    """Turn off the kind named by a signed unsubscribe token (no login needed). Commits."""
    read = read_unsubscribe_token(token)
    user = db.session.get(User, read[0]) if read else None
    if user is None:
        raise MailError("Ссылка для отписки недействительна.", 404)
    kind = read[1]
    exists = db.session.scalar(db.select(MailPreference.id).where(MailPreference.user_id == user.id,
                                                                   MailPreference.kind == kind))
    if exists is None:
        db.session.add(MailPreference(user_id=user.id, kind=kind))
    db.session.commit()
    return user, kind

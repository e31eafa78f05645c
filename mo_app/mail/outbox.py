"""Writing letters into the outbox. `enqueue()` only adds a row to the caller's session: the letter is committed
with the change that causes it, and a rolled-back change sends nothing."""

from __future__ import annotations

import uuid
from urllib.parse import urlsplit

from flask import current_app, render_template
from itsdangerous import BadSignature, URLSafeSerializer

from ..extensions import db
from ..models import AppSettings, MailPreference, OutboxLetter, User
from ..models.base import utcnow
from ..models.mail import QUEUED

#: kinds of letters a user may turn off at /profile/notifications (the password reset is always sent)
KINDS = {
    "signup": "Запись на мероприятие: подтверждение, лист ожидания, запись методистом",
    "event_changed": "Изменение или отмена мероприятия, на которое я записана",
    "reminder": "Напоминание накануне мероприятия",
    "feedback": "Просьба оценить мероприятие, на котором я была",
    "report": "Справка по посещению моей школы",
    "recommendation": "Сроки рекомендаций",
    "consultation": "Ответ на заявку на консультацию",
    "digest": "Ежедневная сводка (методист)",
}
ALWAYS = {"password_reset"}  #: kinds sent whatever the preferences (no unsubscribe link)


def app_link(endpoint: str, **values) -> str:
    """The absolute address of a page for a letter, from APP_URL (no request needed: the worker writes letters
    too)."""
    base = urlsplit(current_app.config["APP_URL"])
    adapter = current_app.url_map.bind(base.netloc or "localhost", script_name=base.path or "/",
                                       url_scheme=base.scheme or "http")
    return adapter.build(endpoint, values, force_external=True)


def _unsubscribe_signer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt="mail-unsubscribe")


def unsubscribe_token(user_id: int, kind: str) -> str:
    return _unsubscribe_signer().dumps([user_id, kind])


def read_unsubscribe_token(token: str) -> tuple[int, str] | None:
    """(user id, kind) of a valid token, else None."""
    try:
        user_id, kind = _unsubscribe_signer().loads(token)
    except (BadSignature, ValueError, TypeError):
        return None
    if not isinstance(user_id, int) or kind not in KINDS:
        return None
    return user_id, kind


def wants(user: User, kind: str) -> bool:
    """Whether `user` gets letters of `kind`: an active account with an address that did not turn it off."""
    if not user.active or not (user.email or "").strip():
        return False
    if kind in ALWAYS:
        return True
    off = db.session.scalar(db.select(MailPreference.id).where(MailPreference.user_id == user.id,
                                                                MailPreference.kind == kind))
    return off is None


def association_name() -> str:
    settings = db.session.get(AppSettings, 1)
    return settings.association_name if settings else "Методическое объединение"


def new_message_id(key: str | None = None) -> str:
    """A Message-ID: random, or made of `key` (the same letter always gets the same one)."""
    domain = current_app.config["MAIL_FROM"].rpartition("@")[2] or "mo-app.local"
    return f"<{key or uuid.uuid4().hex}@{domain}>"


def already_written(message_id: str) -> bool:
    """Whether a letter with this Message-ID is in the outbox (a scheduled letter made twice is not sent twice)."""
    return db.session.scalar(db.select(OutboxLetter.id).where(OutboxLetter.message_id == message_id)) is not None


def enqueue(user: User, kind: str, template: str, subject: str, *, attachment: tuple[str, str, bytes] | None = None,
            message_id: str | None = None, **context) -> OutboxLetter | None:
    """Add a letter to `user` to the session (not committed: it goes with the caller's transaction), rendered from
    templates/mail/<template>.txt and .html; None when the user gets no letter of this kind.
    `attachment`: (file name, content type, bytes); `message_id`: a fixed one for a letter that must not be
    written twice (see already_written)."""
    if not wants(user, kind):
        return None
    unsubscribe = None if kind in ALWAYS else app_link("mail.unsubscribe", token=unsubscribe_token(user.id, kind))
    sender = association_name()
    greeting = " ".join(p for p in (user.first_name, user.middle_name) if p) or user.short_name  # «Елена Сергеевна»
    context = {"user": user, "greeting": greeting, "subject": subject, "association": sender,
               "unsubscribe_url": unsubscribe, "kind_label": KINDS.get(kind),
               "profile_url": app_link("mail.notifications"), **context}
    letter = OutboxLetter(
        recipient=user.email.strip(), user_id=user.id, kind=kind, sender_name=" ".join(sender.split())[:300],
        subject=" ".join(subject.split())[:300],  # one line: a header holds no line breaks
        text=render_template(f"mail/{template}.txt", **context),
        html=render_template(f"mail/{template}.html", **context),
        unsubscribe_url=unsubscribe, status=QUEUED, attempts=0, next_attempt_at=utcnow(),
        message_id=message_id or new_message_id(), created_at=utcnow(), queued_at=utcnow(),
    )
    if attachment:
        letter.attachment_name, letter.attachment_type, letter.attachment = attachment
    db.session.add(letter)
    return letter

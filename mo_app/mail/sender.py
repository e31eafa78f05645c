"""Sending the outbox: the worker's «mail» job.

A run claims up to BATCH due letters (status queued / «почта не настроена», or «sending» whose worker's lease
ended or whose process on this host is gone), marks them «sending» under this worker's name in one short
transaction — on PostgreSQL the due rows are picked `FOR UPDATE SKIP LOCKED`, so two workers never take the same
letter; on SQLite the transaction begins IMMEDIATE, so claims are serialised — then sends them over one SMTP
connection, committing each letter's outcome as soon as the server answered. A worker killed mid-send leaves at
most the letter in flight unrecorded: it is sent again (the same Message-ID) after the lease.

Temporary failures (connection refused or lost, 4xx) retry after 1, 2, 4… minutes (at most an hour); a 5xx
answer, or a letter still unsent MAIL_GIVE_UP_HOURS after it was written, is marked failed with the server's
answer."""

from __future__ import annotations

import logging
import smtplib
import ssl
from datetime import UTC, datetime, timedelta
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime

from flask import current_app
from sqlalchemy import and_, or_, select, update

from ..extensions import db
from ..models import OutboxLetter, User
from ..models.base import utcnow
from ..models.mail import FAILED, QUEUED, SENDING, SENT, UNCONFIGURED

log = logging.getLogger("mo_app.mail")
T = OutboxLetter.__table__
BATCH = 20
LEASE = timedelta(minutes=5)  #: a letter claimed by a worker that died is sent again after this (MAIL_LEASE_SECONDS)
GIVE_UP = timedelta(hours=24)


class Permanent(Exception):
    """The server refused the letter for good (5xx), or the address cannot be written."""


def configured() -> bool:
    return bool(current_app.config.get("SMTP_HOST"))


def retry_delay(attempts: int) -> timedelta:
    """After the n-th failed attempt: 1, 2, 4, 8… minutes, at most an hour."""
    return timedelta(minutes=min(2 ** max(attempts - 1, 0), 60))


def _lease() -> timedelta:
    seconds = current_app.config.get("MAIL_LEASE_SECONDS")
    return timedelta(seconds=float(seconds)) if seconds else LEASE


def _free_dead(now: datetime) -> None:
    """Letters held by a worker process of this host that is gone are due again at once."""
    from ..worker import _dead_here

    holders = db.session.scalars(select(T.c.locked_by).distinct()
                                 .where(T.c.status == SENDING, T.c.locked_until > now)).all()
    for holder in holders:
        if _dead_here(holder):
            db.session.execute(update(T).where(T.c.status == SENDING, T.c.locked_by == holder)
                               .values(locked_until=now))
    db.session.commit()


def claim(me: str, now: datetime, batch: int = BATCH) -> list[OutboxLetter]:
    """Take up to `batch` due letters for this worker: marked «sending», locked_by=me; committed."""
    due = (select(T.c.id)
           .where(or_(and_(T.c.status.in_((QUEUED, UNCONFIGURED)), T.c.next_attempt_at <= now),
                      and_(T.c.status == SENDING, T.c.locked_until <= now)))
           .order_by(T.c.next_attempt_at, T.c.id).limit(batch)
           .with_for_update(skip_locked=True))
    ids = db.session.scalars(due).all()
    if ids:
        db.session.execute(update(T).where(T.c.id.in_(ids))
                           .values(status=SENDING, locked_by=me, locked_until=now + _lease()))
    db.session.commit()
    if not ids:
        return []
    return db.session.scalars(select(OutboxLetter).where(OutboxLetter.id.in_(ids), OutboxLetter.locked_by == me,
                                                         OutboxLetter.status == SENDING)
                              .order_by(OutboxLetter.id)).all()


def build_message(letter: OutboxLetter) -> EmailMessage:
    """The letter as an e-mail message (raises Permanent for an address that cannot be written)."""
    config = current_app.config
    msg = EmailMessage()
    try:
        sender = Address(display_name=letter.sender_name or "", addr_spec=config["MAIL_FROM"])
        to = Address(addr_spec=letter.recipient)
    except (ValueError, IndexError) as e:
        raise Permanent(f"неверный адрес: {e}") from e
    msg["Subject"] = letter.subject
    msg["From"] = sender
    msg["To"] = to
    msg["Message-ID"] = letter.message_id
    msg["Date"] = format_datetime(letter.created_at.replace(tzinfo=UTC))
    msg["Auto-Submitted"] = "auto-generated"
    if letter.unsubscribe_url:
        msg["List-Unsubscribe"] = f"<{letter.unsubscribe_url}>"
        msg["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    msg.set_content(letter.text)
    if letter.html:
        msg.add_alternative(letter.html, subtype="html")
    if letter.attachment is not None:
        maintype, _, subtype = (letter.attachment_type or "application/octet-stream").partition("/")
        if maintype == "text":  # a calendar is UTF-8 text: say so, or readers decode it as ASCII
            msg.add_attachment(letter.attachment.decode("utf-8"), subtype=subtype, charset="utf-8", cte="base64",
                               filename=letter.attachment_name)
        else:
            msg.add_attachment(letter.attachment, maintype=maintype, subtype=subtype,
                               filename=letter.attachment_name)
    return msg


def _connect() -> smtplib.SMTP:
    config = current_app.config
    host, port, tls = config["SMTP_HOST"], config["SMTP_PORT"], config["SMTP_TLS"]
    if tls == "ssl":
        conn = smtplib.SMTP_SSL(host, port, timeout=30, context=ssl.create_default_context())
    else:
        conn = smtplib.SMTP(host, port, timeout=30)
        if tls == "starttls":
            conn.starttls(context=ssl.create_default_context())
    if config.get("SMTP_USER"):
        conn.login(config["SMTP_USER"], config.get("SMTP_PASSWORD") or "")
    return conn


def _answer(code: int | None, message) -> str:
    if isinstance(message, bytes):
        message = message.decode("utf-8", "replace")
    return f"{code} {message}".strip() if code else str(message)


def _record(letter_id: int, me: str, **values) -> None:
    db.session.execute(update(T).where(T.c.id == letter_id, T.c.locked_by == me, T.c.status == SENDING)
                       .values(locked_until=None, **values))
    db.session.commit()


def _sent(letter: OutboxLetter, me: str) -> None:
    _record(letter.id, me, status=SENT, sent_at=utcnow(), attempts=letter.attempts + 1, last_error=None)


def _failed(letter: OutboxLetter, me: str, answer: str) -> None:
    log.warning("письмо %s для %s не доставлено: %s", letter.id, letter.recipient, answer)
    _record(letter.id, me, status=FAILED, attempts=letter.attempts + 1, last_error=answer[:4000])


def _later(letter: OutboxLetter, me: str, answer: str, now: datetime) -> None:
    attempts = letter.attempts + 1
    if now - letter.queued_at >= GIVE_UP:
        _failed(letter, me, f"не отправлено за 24 часа; последний ответ: {answer}")
        return
    log.info("письмо %s для %s: временная ошибка (%s), повтор позже", letter.id, letter.recipient, answer)
    _record(letter.id, me, status=QUEUED, attempts=attempts, last_error=answer[:4000],
            next_attempt_at=now + retry_delay(attempts))


def _recipient_gone(letter: OutboxLetter) -> str | None:
    """Why a letter must not go now: its account was deactivated or lost its address since it was written."""
    if letter.user_id is None:
        return None
    user = db.session.get(User, letter.user_id)
    if user is None or not user.active:
        return "учётная запись отключена: письмо не отправлено"
    if not (user.email or "").strip():
        return "у учётной записи нет адреса: письмо не отправлено"
    return None


def send_one(conn: smtplib.SMTP, letter: OutboxLetter, me: str, now: datetime) -> bool:
    """Send a claimed letter on `conn` and record the outcome; False when the connection is no longer usable."""
    gone = _recipient_gone(letter)
    if gone:
        _failed(letter, me, gone)
        return True
    try:
        msg = build_message(letter)
    except Permanent as e:
        _failed(letter, me, str(e))
        return True
    except (ValueError, TypeError, UnicodeError) as e:  # a header the email package refuses: never sendable
        _failed(letter, me, f"письмо не удалось составить: {e}")
        return True
    recipient = letter.recipient
    # end the read before the server answers: on SQLite it holds the one write lock (touch no letter field after
    # this until the answer, or the reload takes the lock again)
    db.session.commit()
    try:
        conn.send_message(msg, from_addr=current_app.config["MAIL_FROM"], to_addrs=[recipient])
    except smtplib.SMTPRecipientsRefused as e:
        code, message = next(iter(e.recipients.values()), (None, "адрес отклонён"))
        answer = _answer(code, message)
        if code and code >= 500:
            _failed(letter, me, answer)
        else:
            _later(letter, me, answer, now)
        return True
    except smtplib.SMTPResponseException as e:
        answer = _answer(e.smtp_code, e.smtp_error)
        if e.smtp_code >= 500:
            _failed(letter, me, answer)
            return True
        _later(letter, me, answer, now)
        return e.smtp_code != 421
    except (smtplib.SMTPException, OSError) as e:
        _later(letter, me, str(e) or e.__class__.__name__, now)
        return False
    _sent(letter, me)
    return True


def send_due(me: str | None = None, now: datetime | None = None, batch: int = BATCH) -> int:
    """Send what is due, batch after batch, until nothing is; the number of letters sent."""
    from ..worker import worker_id

    me = me or worker_id()
    if not configured():  # mark new letters «почта не настроена» (a read first: no write every few seconds)
        if db.session.scalar(select(T.c.id).where(T.c.status == QUEUED).limit(1)) is not None:
            db.session.execute(update(T).where(T.c.status == QUEUED).values(status=UNCONFIGURED))
        db.session.commit()
        return 0
    sent = 0
    while True:
        moment = now or utcnow()
        _free_dead(moment)
        letters = claim(me, moment, batch)
        if not letters:
            return sent
        sent += _send_batch(letters, me, moment)
        if now is not None:
            return sent


def _send_batch(letters: list[OutboxLetter], me: str, now: datetime) -> int:
    """Send claimed letters over as few connections as possible; the number sent."""
    sent = 0
    pending = list(letters)
    while pending:
        db.session.commit()  # no transaction (on SQLite: no write lock) held while connecting
        try:
            conn = _connect()
        except (smtplib.SMTPException, OSError) as e:
            if isinstance(e, smtplib.SMTPResponseException):
                answer = _answer(e.smtp_code, e.smtp_error)
            else:
                answer = f"нет соединения с {current_app.config['SMTP_HOST']}:{current_app.config['SMTP_PORT']}: {e}"
            for letter in pending:
                _later(letter, me, answer, now)
            return sent
        try:
            while pending:
                letter = pending.pop(0)
                usable = send_one(conn, letter, me, now)
                sent += db.session.scalar(select(T.c.status).where(T.c.id == letter.id)) == SENT
                db.session.commit()
                if not usable:
                    break
        finally:
            try:
                conn.quit()
            except (smtplib.SMTPException, OSError):
                conn.close()
    return sent


def resend(letter: OutboxLetter) -> None:
    """Queue a failed letter again, to its account's current address (not committed): a new series of attempts."""
    if letter.user is not None and (letter.user.email or "").strip():
        letter.recipient = letter.user.email.strip()
    letter.status = QUEUED
    letter.next_attempt_at = letter.queued_at = utcnow()
    letter.locked_until = None
    letter.locked_by = None

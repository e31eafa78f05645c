"""The outbox: every letter the app sends, written in the transaction of the change that causes it, and each
user's choice of the kinds of letters she gets."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .base import utcnow
from .people import User

QUEUED = "queued"
SENDING = "sending"
SENT = "sent"
FAILED = "failed"
UNCONFIGURED = "unconfigured"
MAIL_STATUSES = {
    QUEUED: "в очереди",
    SENDING: "отправляется",
    SENT: "отправлено",
    FAILED: "не доставлено",
    UNCONFIGURED: "почта не настроена",
}


class OutboxLetter(db.Model):
    """One letter to one address."""

    __tablename__ = "mail_outbox"
    __table_args__ = (Index("ix_mail_outbox_due", "status", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    recipient: Mapped[str] = mapped_column(String(200))  #: the address, as it was when the letter was written
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"), index=True)
    kind: Mapped[str] = mapped_column(String(40))  #: mo_app/mail/letters.py KINDS
    sender_name: Mapped[str] = mapped_column(String(300), default="")  #: the association's name
    subject: Mapped[str] = mapped_column(String(300))
    text: Mapped[str] = mapped_column(Text)
    html: Mapped[str | None] = mapped_column(Text)
    attachment_name: Mapped[str | None] = mapped_column(String(200))
    attachment_type: Mapped[str | None] = mapped_column(String(100))  #: «text/calendar»
    attachment: Mapped[bytes | None] = mapped_column(LargeBinary)
    #: the signed one-click unsubscribe address for this kind (List-Unsubscribe), None for letters one cannot refuse
    unsubscribe_url: Mapped[str | None] = mapped_column(String(600))
    status: Mapped[str] = mapped_column(String(20), default=QUEUED)
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(default=utcnow)  #: naive UTC; due when passed
    #: a worker sends it until then (status «sending»); a worker killed mid-send frees it at this time
    locked_until: Mapped[datetime | None]
    locked_by: Mapped[str | None] = mapped_column(String(120))  #: host:pid of the worker sending it
    last_error: Mapped[str | None] = mapped_column(Text)  #: the server's answer to the last attempt
    message_id: Mapped[str] = mapped_column(String(200), unique=True)  #: the same on every attempt
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    #: when the current series of attempts began (written, or resent by the methodologist): ~24 h after it, failed
    queued_at: Mapped[datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[datetime | None]

    user: Mapped[User | None] = relationship()

    @property
    def status_label(self) -> str:
        return MAIL_STATUSES.get(self.status, self.status)


class MailPreference(db.Model):
    """A kind of letter a user turned off (no row: on)."""

    __tablename__ = "mail_preference"
    __table_args__ = (UniqueConstraint("user_id", "kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(40))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

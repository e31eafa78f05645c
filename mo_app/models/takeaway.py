"""What a librarian takes away from an event (#18): its materials (files and links) and her feedback."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .base import utcnow
from .events import Event
from .people import User


class EventMaterial(db.Model):
    """A file or a link attached to an event by the methodologist or one of its speakers."""

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("event.id", ondelete="CASCADE"), index=True)
    title: Mapped[str] = mapped_column(String(200))
    url: Mapped[str | None] = mapped_column(String(2000))  #: set for a link (http/https); None for a file
    original_name: Mapped[str | None] = mapped_column(String(255))  #: a file's name as uploaded
    stored_name: Mapped[str | None] = mapped_column(String(64))  #: random, under UPLOAD_FOLDER/materials
    content_type: Mapped[str | None] = mapped_column(String(120))
    size: Mapped[int | None]
    added_by_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    is_sample: Mapped[bool] = mapped_column(default=False)

    event: Mapped[Event] = relationship()
    added_by: Mapped[User] = relationship()

    @property
    def is_link(self) -> bool:
        return self.url is not None


class EventFeedback(db.Model):
    """A participant's answer to «Оцените мероприятие»: one per person and event, editable for 14 days.
    Shown to the methodologist without names (and not audited: the log would name the author)."""

    __table_args__ = (UniqueConstraint("event_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("event.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id"), index=True)
    usefulness: Mapped[int]  #: 1–5
    most_useful: Mapped[str | None] = mapped_column(Text)
    to_improve: Mapped[str | None] = mapped_column(Text)
    topics_wanted: Mapped[str | None] = mapped_column(Text)  #: topics she wants next year
    created_at: Mapped[datetime] = mapped_column(default=utcnow)  #: the 14 days of editing count from here
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    is_sample: Mapped[bool] = mapped_column(default=False)

    event: Mapped[Event] = relationship()

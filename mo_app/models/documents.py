"""Issued papers (what /verify/<code> confirms) and the render slots that bound a user's concurrent documents."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import JSON, ForeignKey, Index, LargeBinary, String, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .base import utcnow

if TYPE_CHECKING:
    from .events import Registration


class IssuedDocument(db.Model):
    """The public record of a paper as issued: what /verify/<code> shows to anyone, never the paper's content.

    Generic: a справка's version writes one today; participation certificates will write theirs."""

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(16), unique=True)  #: short, unguessable; printed on the paper
    kind: Mapped[str] = mapped_column(String(30))  #: "visit_report" (later "certificate")
    title: Mapped[str] = mapped_column(String(200))  #: «Справка по итогам посещения»
    facts: Mapped[list] = mapped_column(JSON, default=list)  #: [[label, value], ...] as issued
    sha256: Mapped[str] = mapped_column(String(64))  #: of the PDF bytes as issued
    issued_at: Mapped[datetime] = mapped_column(default=utcnow)
    revoked_at: Mapped[datetime | None]  #: set: /verify says «аннулирован»


class Certificate(db.Model):
    """A participation certificate as issued to one registration: its PDF kept as issued (a later change to a
    name or the event makes a new one only after the methodologist revokes this). One current per registration."""

    __table_args__ = (
        Index("uq_certificate_current", "registration_id", unique=True,
              sqlite_where=text("is_current"), postgresql_where=text("is_current")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    registration_id: Mapped[int] = mapped_column(ForeignKey("registration.id", ondelete="CASCADE"), index=True)
    issued_document_id: Mapped[int] = mapped_column(ForeignKey("issued_document.id"), unique=True)
    number: Mapped[str] = mapped_column(String(20), unique=True)  #: «2026-00042», printed on it
    pdf: Mapped[bytes] = mapped_column(LargeBinary)
    printed: Mapped[dict] = mapped_column(JSON)  #: the data it printed: a bundle reprints exactly what was issued
    is_current: Mapped[bool] = mapped_column(default=True)  #: False once revoked
    issued_at: Mapped[datetime] = mapped_column(default=utcnow)

    issued: Mapped[IssuedDocument] = relationship()
    registration: Mapped[Registration] = relationship()


class RenderSlot(db.Model):
    """A document render in progress: at most two per user across every process (stale after a minute)."""

    user_id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    slot: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)  #: 0 or 1
    started_at: Mapped[datetime]

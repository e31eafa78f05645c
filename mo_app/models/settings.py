"""The app's own settings: one row, written by the first-run setup (or the demo loader)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .base import utcnow
from .people import User

SETTINGS_ID = 1  #: the one row's primary key: a second setup cannot insert another


class AppSettings(db.Model):
    """Who the association is and who signs its documents; whether this database is the demonstration."""

    __tablename__ = "app_settings"
    __table_args__ = (CheckConstraint(f"id = {SETTINGS_ID}", name="single_row"),)

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False, default=SETTINGS_ID)
    #: the full name for document headers: «Методическое объединение школьных библиотекарей Центрального района»
    association_name: Mapped[str] = mapped_column(String(300))
    centre_name: Mapped[str] = mapped_column(String(300), default="")  #: «ИМЦ Центрального района»
    #: the methodologist whose name and position stand in documents' signature lines
    signatory_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    setup_done_at: Mapped[datetime] = mapped_column(default=utcnow)
    #: True in the demonstration's database (load-demo); a real one (/setup) is never given demo data
    is_demo: Mapped[bool] = mapped_column(default=False)

    signatory: Mapped[User | None] = relationship()

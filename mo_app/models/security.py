"""Counters of failed attempts (login throttling and the like: mo_app/throttle.py)."""

from __future__ import annotations

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db


class ThrottleCounter(db.Model):
    """Attempts counted in a fixed window, shared by every process of the app."""

    #: SHA-256 of the counter's scope and parts (login names and addresses are not kept in clear)
    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    hits: Mapped[int] = mapped_column(default=0)
    expires_at: Mapped[int] = mapped_column(index=True)  #: Unix time when the window ends

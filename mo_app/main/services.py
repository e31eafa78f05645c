"""The home desks' write side: what the methodologist has seen."""

from __future__ import annotations

from datetime import datetime

from ..extensions import db
from ..models import User
from ..models.base import utcnow


def mark_signups_seen(user: User, at: datetime | None = None) -> None:
    """«Просмотрено»: the home's «Новые записи» start again from now."""
    user.signups_seen_at = at or utcnow()
    db.session.commit()

"""Shared column helpers."""

from datetime import UTC, datetime


def utcnow() -> datetime:
    """Naive UTC timestamp: stored the same way on SQLite and PostgreSQL, shown in Moscow time."""
    return datetime.now(UTC).replace(tzinfo=None)

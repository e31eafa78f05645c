"""Shared column helpers."""

from datetime import UTC, datetime


def utcnow() -> datetime:
    """Naive UTC timestamp: stored the same way on SQLite and PostgreSQL, shown in Moscow time."""
    return datetime.now(UTC).replace(tzinfo=None)


def column_length(column) -> int:
    """The length of a String(n) model column (`User.last_name` → 80): PostgreSQL refuses longer text, SQLite
    stores it, so the app checks input against this before writing."""
    length = getattr(column.property.columns[0].type, "length", None)
    if not length:
        raise TypeError(f"{column} has no length")
    return length

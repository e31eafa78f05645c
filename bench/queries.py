"""Counting SQL statements: what a page costs the database, independent of the machine."""

from __future__ import annotations

from contextlib import contextmanager

from sqlalchemy import event

#: transaction control and connection set-up are not the page's queries
NOT_COUNTED = ("BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE", "PRAGMA")


def is_counted(statement: str) -> bool:
    return not statement.lstrip().upper().startswith(NOT_COUNTED)


@contextmanager
def count_statements(engine):
    """Collect the statements `engine` runs inside the block into the yielded list."""
    seen: list[str] = []

    def _on_execute(conn, cursor, statement, parameters, context, executemany):
        if is_counted(statement):
            seen.append(statement)

    event.listen(engine, "before_cursor_execute", _on_execute)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", _on_execute)

"""Counting SQL statements: what a page costs the database, independent of the machine."""

from __future__ import annotations

import threading
from contextlib import contextmanager

from sqlalchemy import event

#: transaction control and connection or transaction settings (SET LOCAL …) are not the page's queries
NOT_COUNTED = ("BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE", "PRAGMA", "SET ")


def is_counted(statement: str) -> bool:
    return not statement.lstrip().upper().startswith(NOT_COUNTED)


@contextmanager
def count_statements(engine):
    """Collect the statements `engine` runs in this thread inside the block into the yielded list (another
    thread's work, a test server's for one, is not the block's)."""
    seen: list[str] = []
    thread = threading.get_ident()

    def _on_execute(conn, cursor, statement, parameters, context, executemany):
        if threading.get_ident() == thread and is_counted(statement):
            seen.append(statement)

    event.listen(engine, "before_cursor_execute", _on_execute)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", _on_execute)

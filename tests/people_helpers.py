"""Test helpers for the people area: CSV files as Excel saves them, counting SQL statements."""

from __future__ import annotations

import io
from contextlib import contextmanager

from sqlalchemy import event

from mo_app.extensions import db


def csv_bytes(rows: list[list[str]], delimiter: str = ";", encoding: str = "utf-8-sig") -> bytes:
    """A CSV file: `rows` joined by `delimiter`, CRLF line ends, in `encoding` (utf-8-sig adds the BOM)."""
    text = "\r\n".join(delimiter.join(cells) for cells in rows) + "\r\n"
    return text.encode(encoding)


def upload(client, data: bytes, filename: str = "librarians.csv", **kw):
    """POST the file to the import page as a browser would (multipart)."""
    return client.post("/users/import", data={"file": (io.BytesIO(data), filename)},
                       content_type="multipart/form-data", **kw)


@contextmanager
def count_queries():
    """Count the SQL statements sent to the database inside the block: `with count_queries() as n: ...; n[0]`."""
    counter = [0]

    def _count(*_args):
        counter[0] += 1

    engine = db.engine
    event.listen(engine, "before_cursor_execute", _count)
    try:
        yield counter
    finally:
        event.remove(engine, "before_cursor_execute", _count)

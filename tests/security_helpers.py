"""Helpers for the security tests: a fingerprint of every row in the database."""

from __future__ import annotations

from contextlib import contextmanager

from mo_app.extensions import db

from .conftest import make_app


def db_fingerprint(exclude: tuple[str, ...] = ()) -> dict[str, list[tuple]]:
    """Every row of every table, in primary-key order: equal fingerprints mean equal data."""
    db.session.commit()
    out = {}
    for table in db.metadata.sorted_tables:
        if table.name in exclude:
            continue
        order = list(table.primary_key.columns) or list(table.columns)
        rows = db.session.execute(db.select(table).order_by(*order)).all()
        out[table.name] = [tuple(row) for row in rows]
    db.session.commit()
    return out


@contextmanager
def other_app(tmp_path, **config):
    """A second app on the same database (other configuration), cleaned up afterwards."""
    app = make_app(tmp_path, **config)
    with app.app_context():
        try:
            yield app
        finally:
            db.session.remove()
            db.engine.dispose()

"""The app in bench mode: the real app plus the reference route and an `X-SQL-Queries` response header.

Only the benchmark serves this (bench/wsgi.py); the normal app never registers either.
"""

from __future__ import annotations

from flask import Blueprint, Flask, g, has_app_context, render_template
from flask_login import login_required
from sqlalchemy import event

from mo_app import create_app
from mo_app.extensions import db
from mo_app.models import Organization

from .queries import is_counted

bp = Blueprint("bench", __name__, template_folder="templates")
REFERENCE_PATH = "/_bench/reference"


@bp.route(REFERENCE_PATH)
@login_required
def reference():
    """The stack's ceiling: 50 rows through the ORM in a 50-row table on the same base template."""
    rows = db.session.scalars(db.select(Organization).order_by(Organization.id).limit(50)).all()
    return render_template("bench/reference.html", rows=rows)


def _count(conn, cursor, statement, parameters, context, executemany):
    if has_app_context() and is_counted(statement):
        g.bench_sql = g.get("bench_sql", 0) + 1


def create_bench_app(config: dict | None = None, migrations: bool = True) -> Flask:
    """create_app() plus the reference blueprint and the per-request statement counter."""
    app = create_app(config, migrations=migrations)
    app.register_blueprint(bp)
    with app.app_context():
        for engine in db.engines.values():
            event.listen(engine, "before_cursor_execute", _count)

    @app.after_request
    def _sql_header(response):
        response.headers["X-SQL-Queries"] = str(g.get("bench_sql", 0))
        return response

    return app

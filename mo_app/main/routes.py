"""Home page and health check."""

from flask import jsonify
from flask_login import login_required
from sqlalchemy import text

from ..extensions import db
from ..web import render
from . import bp


@bp.route("/")
@login_required
def index():
    """The home page of the current user."""
    return render("main/index.html")


@bp.route("/healthz")
def healthz():
    """200 after a real database round-trip, 503 when the database is unreachable."""
    try:
        db.session.execute(text("SELECT 1")).scalar_one()
        db.session.rollback()
    except Exception:  # noqa: BLE001 - any failure means unhealthy
        db.session.rollback()
        return jsonify(status="unavailable"), 503
    return jsonify(status="ok")

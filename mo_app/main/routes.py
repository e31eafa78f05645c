"""Home page and health check."""

from flask import jsonify
from flask_login import current_user, login_required
from sqlalchemy import text

from ..extensions import db
from ..web import render
from . import bp


@bp.route("/")
@login_required
def index():
    """The home page: the methodologist's desk or the librarian's own events and tasks."""
    from ..plan.home import librarian_home, methodologist_home

    if current_user.is_methodologist:
        return render("main/methodologist.html", **methodologist_home(current_user))
    return render("main/librarian.html", **librarian_home(current_user))


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

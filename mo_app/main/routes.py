"""Home page, health check, and the link helpers every template uses."""

from flask import current_app, jsonify, redirect, url_for
from flask_login import current_user, login_required
from sqlalchemy import text

from ..extensions import db
from ..web import methodologist_required, render
from . import bp, services
from .home import librarian_home, methodologist_home


@bp.route("/")
@login_required
def index():
    """The home page: the methodologist's desk or the librarian's own events and tasks."""
    if current_user.is_methodologist:
        return render("main/methodologist.html", **methodologist_home(current_user))
    return render("main/librarian.html", **librarian_home(current_user))


@bp.route("/home/signups-seen", methods=["POST"])
@methodologist_required
def mark_signups_seen():
    """«Просмотрено» on «Новые записи»: they count from now on."""
    services.mark_signups_seen(current_user)
    return redirect(url_for("main.index"), code=303)


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


def object_url(endpoint: str, object_id: int, **args) -> str | None:
    """URL of a screen for one object, or None when there is no such screen.

    The id goes into the rule's only argument whatever it is called (`id`, `event_id`...)."""
    if endpoint not in current_app.view_functions:
        return None
    for rule in current_app.url_map.iter_rules(endpoint):
        free = [a for a in rule.arguments if a not in args]
        if len(free) == 1:
            return url_for(endpoint, **{free[0]: object_id}, **args)
    return None


@bp.app_context_processor
def _link_helpers():
    """`has_endpoint('events.index')`, `object_url('events.show', id)`: links that show only where the screen is."""
    return {"has_endpoint": lambda name: name in current_app.view_functions, "object_url": object_url}


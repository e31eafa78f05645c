"""Request helpers shared by all areas: full page or fragment, role checks, the current year."""

from __future__ import annotations

from functools import wraps
from urllib.parse import urlsplit

from flask import abort, render_template, request, url_for
from flask_login import current_user, login_required

from .extensions import db
from .models import SchoolYear


def is_htmx() -> bool:
    """True for an htmx request that wants a fragment (not boosted, not a history restore)."""
    return (
        request.headers.get("HX-Request") == "true"
        and request.headers.get("HX-Boosted") != "true"
        and request.headers.get("HX-History-Restore-Request") != "true"
    )


def render(template: str, fragment: str | None = None, status: int = 200, **ctx):
    """Render the full page, or only `fragment` (an `_piece.html` template) for htmx."""
    name = fragment if fragment and is_htmx() else template
    return render_template(name, **ctx), status


def url_pattern(endpoint: str, arg: str, **values) -> str:
    """The URL of `endpoint` for any id as a `%`-pattern, `arg` the id's name ("/events/%d/register" for
    ("events.register", "event_id")): one url_for a page, not one a row; `pattern % id` is the row's URL."""
    marker = 7654321
    url = url_for(endpoint, **{arg: marker}, **values).replace("%", "%%")
    return url.replace(str(marker), "%d", 1)


def role_required(*roles: str):
    """Allow only logged-in users with one of `roles`; others get 403, anonymous users the login page."""

    def decorator(view):
        @wraps(view)
        @login_required
        def wrapped(*args, **kwargs):
            if current_user.role not in roles:
                abort(403)
            return view(*args, **kwargs)

        wrapped.__mo_role__ = tuple(roles)
        return wrapped

    return decorator


def methodologist_required(view):
    """Shortcut for role_required("methodologist")."""
    return role_required("methodologist")(view)


def is_safe_next(target: str | None) -> bool:
    """Only local paths are allowed as a redirect target after login."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return False
    parts = urlsplit(target)
    return not parts.scheme and not parts.netloc


def current_year() -> SchoolYear | None:
    """The school year marked current (else the latest)."""
    return db.session.scalar(
        db.select(SchoolYear).order_by(SchoolYear.is_current.desc(), SchoolYear.start_year.desc()).limit(1)
    )


def selected_year() -> SchoolYear:
    """The year chosen by `?year=2015` (its first calendar year), else the current one; 404 if none."""
    raw = request.args.get("year", "")
    year = None
    if raw.isdecimal():
        year = db.session.scalar(db.select(SchoolYear).where(SchoolYear.start_year == int(raw)))
    elif not raw:
        year = current_year()
    if year is None:
        abort(404)
    return year


def all_years() -> list[SchoolYear]:
    return list(db.session.scalars(db.select(SchoolYear).order_by(SchoolYear.start_year.desc())))

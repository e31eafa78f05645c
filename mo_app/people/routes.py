"""Schools, venues and accounts (methodologist only)."""

from ..extensions import db
from ..models import Organization
from ..web import methodologist_required, render
from . import bp


@bp.route("/organizations")
@methodologist_required
def organizations():
    """Schools, libraries and other organizations."""
    orgs = db.session.scalars(db.select(Organization).order_by(Organization.kind, Organization.short_name)).all()
    return render("people/organizations.html", orgs=orgs)

"""The read side of the plan's edit page: the year's goals and visit purposes."""

from __future__ import annotations

from sqlalchemy.orm import selectinload

from ..extensions import db
from ..models import Goal, SchoolYear, VisitPurpose, VisitTarget
from .document import schools_text


def goals(year: SchoolYear) -> list[Goal]:
    """The year's goals in plan order."""
    return db.session.scalars(db.select(Goal).where(Goal.year_id == year.id).order_by(Goal.position, Goal.id)).all()


def purposes_with_schools(year: SchoolYear) -> list[tuple[VisitPurpose, str]]:
    """The year's visit purposes in order, each with its target schools as the plan writes them."""
    purposes = db.session.scalars(
        db.select(VisitPurpose)
        .options(selectinload(VisitPurpose.targets).joinedload(VisitTarget.organization))
        .where(VisitPurpose.year_id == year.id).order_by(VisitPurpose.position)
    ).all()
    return [(p, schools_text([t.organization for t in p.targets])) for p in purposes]

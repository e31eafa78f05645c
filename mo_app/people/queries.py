"""The read side of people: a person's page (/people/<id>), their whole history across the years."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import joinedload, selectinload

from ..extensions import db
from ..models import BestPractice, ConsultationRequest, Event, Recommendation, Registration, User, Visit, VisitReport


@dataclass
class History:
    user: User
    courses: list[Registration]
    seminars: list[Registration]
    consultations: list[Registration]
    requests: list[ConsultationRequest]
    visits: list[Visit]
    recommendations: list[Recommendation]
    practice: list[BestPractice]


def person_history(user: User) -> History:
    """Everything a librarian took part in, across all years (fixed number of queries)."""
    regs = db.session.scalars(
        db.select(Registration)
        .options(
            joinedload(Registration.event).joinedload(Event.year),
            joinedload(Registration.event).joinedload(Event.venue),
        )
        .join(Event, Registration.event_id == Event.id)
        .where(Registration.user_id == user.id)
        .order_by(Event.date_start.desc(), Event.id.desc())
    ).all()
    requests = db.session.scalars(
        db.select(ConsultationRequest).where(ConsultationRequest.user_id == user.id)
        .order_by(ConsultationRequest.created_at.desc())
    ).all()
    visits: list[Visit] = []
    recs: list[Recommendation] = []
    if user.organization_id:
        visits = list(db.session.scalars(
            db.select(Visit).options(joinedload(Visit.year), selectinload(Visit.purposes), joinedload(Visit.report))
            .where(Visit.organization_id == user.organization_id)
            .order_by(Visit.date_start.desc(), Visit.id.desc())
        ).unique())
        recs = list(db.session.scalars(
            db.select(Recommendation)
            .options(joinedload(Recommendation.report).joinedload(VisitReport.visit))
            .join(VisitReport, Recommendation.report_id == VisitReport.id)
            .where(Recommendation.organization_id == user.organization_id, VisitReport.status == "final")
            .order_by(Recommendation.deadline.desc(), Recommendation.id)
        ))
    practice = db.session.scalars(
        db.select(BestPractice).options(joinedload(BestPractice.year), joinedload(BestPractice.event))
        .where(BestPractice.author_id == user.id).order_by(BestPractice.year_id.desc(), BestPractice.position)
    ).all()
    return History(
        user,
        [r for r in regs if r.event.kind == "course"],
        [r for r in regs if r.event.kind in ("seminar", "practical_seminar", "meeting")],
        [r for r in regs if r.event.kind in ("group_consultation", "individual_consultation")],
        list(requests), visits, recs, list(practice),
    )

"""The read side of the portfolio: one librarian's participation grouped by school year (a fixed number of
queries, however many years and events)."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy.orm import joinedload

from ..certificates.queries import is_due
from ..extensions import db
from ..models import BestPractice, Certificate, ConsultationRequest, Event, Registration, SchoolYear, User, Visit

CONSULTATION_KINDS = ("group_consultation", "individual_consultation")


@dataclass
class YearPortfolio:
    year: SchoolYear
    attended: list[Registration] = field(default_factory=list)  #: courses, seminars, meetings she attended
    talks: list[Registration] = field(default_factory=list)  #: where she spoke
    consultations: list[Registration] = field(default_factory=list)  #: group / individual consultations attended
    requests: list[ConsultationRequest] = field(default_factory=list)  #: consultations she asked for
    practice: list[BestPractice] = field(default_factory=list)
    visits: list[Visit] = field(default_factory=list)  #: visits to her school

    @property
    def hours(self) -> int:
        """Academic hours of every event she attended this year (courses, seminars, consultations)."""
        return sum(r.event.hours or 0 for r in self.attended + self.consultations)

    @property
    def is_empty(self) -> bool:
        return not (self.attended or self.talks or self.consultations or self.requests or self.practice
                    or self.visits)


@dataclass
class Portfolio:
    person: User
    years: list[YearPortfolio]
    certificates: dict[int, Certificate]  #: registration id → its current certificate, where issued

    @property
    def hours(self) -> int:
        return sum(y.hours for y in self.years)


def portfolio(user: User) -> Portfolio:
    """Everything `user` did in the association, newest school year first (six queries)."""
    every_year = {y.id: y for y in db.session.scalars(db.select(SchoolYear))}
    years: dict[int, YearPortfolio] = {}

    def of(year_id: int) -> YearPortfolio:
        return years.setdefault(year_id, YearPortfolio(every_year[year_id]))

    regs = db.session.scalars(
        db.select(Registration).join(Event, Registration.event_id == Event.id)
        .options(joinedload(Registration.event).joinedload(Event.venue))
        .where(Registration.user_id == user.id)
        .order_by(Event.date_start, Event.id)
    ).all()
    for reg in regs:
        if not is_due(reg.event, reg):
            continue
        year = of(reg.event.year_id)
        (year.consultations if reg.event.kind in CONSULTATION_KINDS else year.attended).append(reg)
        if reg.talk_title:
            year.talks.append(reg)
    certificates = {c.registration_id: c for c in db.session.scalars(
        db.select(Certificate).join(Registration, Certificate.registration_id == Registration.id)
        .where(Registration.user_id == user.id, Certificate.is_current.is_(True))
    )}
    for request in db.session.scalars(
        db.select(ConsultationRequest)
        .where(ConsultationRequest.user_id == user.id).order_by(ConsultationRequest.created_at)
    ):
        of(request.year_id).requests.append(request)
    for bp in db.session.scalars(
        db.select(BestPractice).options(joinedload(BestPractice.event))
        .where(BestPractice.author_id == user.id).order_by(BestPractice.position)
    ):
        of(bp.year_id).practice.append(bp)
    if user.organization_id:
        for visit in db.session.scalars(
            db.select(Visit).options(joinedload(Visit.report))
            .where(Visit.organization_id == user.organization_id, Visit.status != "cancelled")
            .order_by(Visit.date_start, Visit.id)
        ):
            of(visit.year_id).visits.append(visit)
    ordered = sorted(years.values(), key=lambda y: y.year.start_year, reverse=True)
    return Portfolio(user, [y for y in ordered if not y.is_empty], certificates)

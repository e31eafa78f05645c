"""Year results (итоги года) computed straight from the data.

Every figure comes from aggregate queries, so the page costs the same number of queries whatever the data size.

Definitions (shown on the page too):
- sign-ups: registrations holding a seat (status «registered») on the year's events;
- attendance: registrations marked present / absent / excused;
- courses completed: present at a course;
- events hosted: the year's events (not cancelled) held at the school as venue;
- visits planned: the year's visits to the school not marked unplanned; held: status held or report final;
- recommendations done: status done; overdue: open or returned with the deadline passed;
- best practice: accepted register entries of the school / author.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field, replace
from datetime import date

from sqlalchemy import Integer, and_, case, cast, func, literal, null, union_all

from ..dates import HasPlanDate, PlanDate, date_moved, month_name, today
from ..events.queries import is_past
from ..extensions import db
from ..models import (
    BestPractice,
    ConsultationRequest,
    Event,
    Organization,
    Recommendation,
    Registration,
    SchoolYear,
    User,
    Visit,
    VisitPurpose,
    VisitReport,
    VisitTarget,
    visit_purpose_link,
)
from ..models.events import EVENT_KINDS
from ..plan.services import org_sort_key

HELD_VISIT = ("held", "finalised")
OPEN_REC = ("open", "returned")
OUTCOMES = {
    "held": "проведено",
    "moved": "перенесено",
    "cancelled": "отменено",
    "overdue": "не отмечено проведённым",
    "planned": "запланировано",
}
TARGET_STATES = {"met": "выполнено", "planned": "запланировано", "missed": "не выполнено", "none": "не запланировано"}


# The results read a city's 700 schools, 1,500 librarians and 400 events as plain rows, not ORM objects: these
# carry what the page, print, PDF and XLSX show of each.

@dataclass(frozen=True, slots=True)
class OrgRef:
    id: int
    short_name: str
    number: str | None = None

    def __str__(self) -> str:
        return self.short_name


@dataclass(frozen=True, slots=True)
class PersonRef:
    id: int
    last_name: str
    initials: str
    organization_id: int | None
    organization: OrgRef | None

    @property
    def short_name(self) -> str:
        return f"{self.last_name} {self.initials}".strip()

    def __str__(self) -> str:
        return self.short_name


class EventRef(HasPlanDate):
    """What the results show of an event."""

    __slots__ = ("id", "kind", "title", "status", "venue_id", "date_kind", "date_start", "date_end", "date_time",
                 "planned_kind", "planned_start", "planned_end")
    COLUMNS = (Event.id, Event.kind, Event.title, Event.status, Event.venue_id, Event.date_kind, Event.date_start,
               Event.date_end, Event.date_time, Event.planned_kind, Event.planned_start, Event.planned_end)

    def __init__(self, row):
        (self.id, self.kind, self.title, self.status, self.venue_id, self.date_kind, self.date_start, self.date_end,
         self.date_time, self.planned_kind, self.planned_start, self.planned_end) = row

    @property
    def planned_date(self) -> PlanDate:
        return PlanDate(self.planned_kind, self.planned_start, self.planned_end)

    @property
    def kind_label(self) -> str:
        return EVENT_KINDS.get(self.kind, self.kind)

    @property
    def display_title(self) -> str:
        return self.title or self.kind_label


@dataclass
class Figures:
    signups: int = 0
    present: int = 0
    absent: int = 0
    excused: int = 0
    courses: int = 0
    consultations: int = 0
    best_practice: int = 0

    def add(self, other: Figures) -> None:
        self.signups += other.signups
        self.present += other.present
        self.absent += other.absent
        self.excused += other.excused
        self.courses += other.courses
        self.consultations += other.consultations
        self.best_practice += other.best_practice


@dataclass
class SchoolRow(Figures):
    org: OrgRef | None = None
    librarians: list[PersonRef] = field(default_factory=list)
    hosted: int = 0
    visits_planned: int = 0
    visits_held: int = 0
    rec_total: int = 0
    rec_done: int = 0
    rec_overdue: int = 0

    @property
    def no_participation(self) -> bool:
        return self.signups == 0 and self.present == 0

    @property
    def no_visit(self) -> bool:
        return self.visits_held == 0

    @property
    def stands_out(self) -> bool:
        return self.no_participation or self.no_visit

    def add_school(self, other: SchoolRow) -> None:
        self.add(other)
        for name in ("hosted", "visits_planned", "visits_held", "rec_total", "rec_done", "rec_overdue"):
            setattr(self, name, getattr(self, name) + getattr(other, name))


@dataclass
class PersonRow(Figures):
    user: PersonRef | None = None


@dataclass
class EventRow:
    event: EventRef
    outcome: str
    moved: bool

    @property
    def planned(self) -> str:
        """The date as the approved plan wrote it (formatted when shown: the page shows 50 of a city's rows)."""
        return self.event.planned_date.text()

    @property
    def actual(self) -> str:
        return self.event.plan_date.text()

    @property
    def outcome_label(self) -> str:
        label = OUTCOMES[self.outcome]
        if self.outcome == "held" and self.moved:
            label += " (перенесено)"
        return label


@dataclass
class TargetRow:
    purpose: str
    org: OrgRef
    state: str

    @property
    def state_label(self) -> str:
        return TARGET_STATES[self.state]


@dataclass
class Results:
    year: SchoolYear
    today: date
    schools: list[SchoolRow]
    people: list[PersonRow]
    events: list[EventRow]
    targets: list[TargetRow]
    months: list[tuple[str, int, int, int]]  #: (month, present, absent, excused), September first
    totals: SchoolRow
    restricted: bool = False  #: a librarian's view: own school and self only

    def outcome_counts(self) -> dict[str, int]:
        counts = dict.fromkeys(OUTCOMES, 0)
        for row in self.events:
            counts[row.outcome] += 1
        return counts

    def target_counts(self) -> dict[str, int]:
        counts = dict.fromkeys(TARGET_STATES, 0)
        for row in self.targets:
            counts[row.state] += 1
        return counts


def _event_outcome(ev: EventRef, now: date) -> tuple[str, bool]:
    moved = date_moved(ev.planned_date, ev.plan_date)
    if ev.status == "cancelled":
        return "cancelled", moved
    if ev.status == "held":
        return "held", moved
    if moved:
        return "moved", True
    if is_past(ev, now):
        return "overdue", False
    return "planned", False


def compute_results(year: SchoolYear, now: date | None = None) -> Results:
    """All figures of the year, for every school and librarian (7 queries)."""
    now = now or today()
    schools = sorted(
        (OrgRef(*row) for row in db.session.execute(
            db.select(Organization.id, Organization.short_name, Organization.number)
            .where(Organization.kind == "school", Organization.is_active.is_(True))
        )),
        key=org_sort_key,
    )
    rows = {o.id: SchoolRow(org=o) for o in schools}
    librarians = [
        PersonRef(user_id, last_name, initials or "", org_id,
                  OrgRef(org_id, org_name, number) if org_id is not None and org_name is not None else None)
        for user_id, last_name, initials, org_id, org_name, number in db.session.execute(
            db.select(User.id, User.last_name, User.initials, User.organization_id, Organization.short_name,
                      Organization.number)
            .outerjoin(Organization, User.organization_id == Organization.id)
            .where(User.role == "librarian", User.active.is_(True))
            .order_by(User.last_name, User.initials)
        )
    ]
    people = {u.id: PersonRow(user=u) for u in librarians}
    for u in librarians:
        if u.organization_id in rows:
            rows[u.organization_id].librarians.append(u)

    # per librarian: sign-ups holding a seat, attendance marks (not of cancelled sign-ups), courses attended
    def tally(*conditions):
        return func.sum(case((and_(*conditions), 1), else_=0))

    # The year's events as `event_id IN (…)`: SQLite then reads the sign-ups event by event through the
    # (event_id, user_id) index. Filtered by `event.year_id` through the join instead, it walked every year's
    # sign-ups in user order and looked each event up (112 ms against 20 on the city).
    marked = Registration.status != "cancelled"
    year_events = db.select(Event.id).where(Event.year_id == year.id)
    for user_id, signups, present, absent, excused, courses in db.session.execute(
        db.select(
            Registration.user_id,
            tally(Registration.status == "registered"),
            tally(marked, Registration.attendance == "present"),
            tally(marked, Registration.attendance == "absent"),
            tally(marked, Registration.attendance == "excused"),
            tally(marked, Registration.attendance == "present", Event.kind == "course"),
        )
        .join(Event, Registration.event_id == Event.id)
        .where(Registration.event_id.in_(year_events))
        .group_by(Registration.user_id)
    ):
        person = people.get(user_id)
        if person is not None:
            person.signups += signups or 0
            person.present += present or 0
            person.absent += absent or 0
            person.excused += excused or 0
            person.courses += courses or 0

    # Small counts of the year in one query: held consultations per librarian, accepted best practice per school
    # and author, and recommendations per school (all, done, overdue).
    zero = literal(0)
    consultations = (
        db.select(literal("consultation"), ConsultationRequest.user_id, cast(null(), Integer), func.count(), zero,
                  zero)
        .where(ConsultationRequest.year_id == year.id, ConsultationRequest.status == "held")
        .group_by(ConsultationRequest.user_id)
    )
    practice = (
        db.select(literal("practice"), BestPractice.author_id, BestPractice.organization_id, func.count(), zero, zero)
        .where(BestPractice.year_id == year.id, BestPractice.status == "accepted")
        .group_by(BestPractice.organization_id, BestPractice.author_id)
    )
    recommendations = (
        db.select(literal("recommendation"), cast(null(), Integer), Recommendation.organization_id, func.count(),
                  tally(Recommendation.status == "done"),
                  tally(Recommendation.deadline.is_not(None), Recommendation.deadline < now,
                        Recommendation.status.in_(OPEN_REC)))
        .join(VisitReport, Recommendation.report_id == VisitReport.id)
        .join(Visit, VisitReport.visit_id == Visit.id)
        .where(Visit.year_id == year.id)
        .group_by(Recommendation.organization_id)
    )
    for what, user_id, org_id, n, done, late in db.session.execute(
        union_all(consultations, practice, recommendations)
    ).all():
        if what == "recommendation":
            if org_id in rows:
                rows[org_id].rec_total += n
                rows[org_id].rec_done += done or 0
                rows[org_id].rec_overdue += late or 0
            continue
        if what == "consultation":
            if user_id in people:
                people[user_id].consultations += n
            continue
        if user_id in people:
            people[user_id].best_practice += n
        if org_id in rows:
            rows[org_id].best_practice += n

    for person in people.values():
        org_id = person.user.organization_id
        if org_id in rows:
            bp = rows[org_id].best_practice
            rows[org_id].add(person)
            rows[org_id].best_practice = bp  # counted by the entry's school, not summed over authors

    # The year's visits, each with its purposes (a row per purpose): the visit counts per school and,
    # below, the plan's visit targets met or not. One query; a few thousand small rows in a city.
    visit_states: dict[tuple[int, int], set[str]] = defaultdict(set)
    counted: set[int] = set()
    for visit_id, org_id, status, unplanned, purpose_id in db.session.execute(
        db.select(Visit.id, Visit.organization_id, Visit.status, Visit.is_unplanned, visit_purpose_link.c.purpose_id)
        .outerjoin(visit_purpose_link, visit_purpose_link.c.visit_id == Visit.id)
        .where(Visit.year_id == year.id)
    ).all():
        if purpose_id is not None:
            visit_states[(purpose_id, org_id)].add(status)
        if visit_id in counted or org_id not in rows:
            continue
        counted.add(visit_id)
        if not unplanned:
            rows[org_id].visits_planned += 1
        if status in HELD_VISIT:
            rows[org_id].visits_held += 1

    # the year's events, each with its attendance marks (summed by month for the chart below)
    attendance = (
        db.select(Registration.event_id,
                  tally(marked, Registration.attendance == "present").label("present"),
                  tally(marked, Registration.attendance == "absent").label("absent"),
                  tally(marked, Registration.attendance == "excused").label("excused"))
        .where(Registration.event_id.in_(year_events))
        .group_by(Registration.event_id)
        .subquery()
    )
    event_rows = []
    by_month: dict[tuple[int, int], list[int]] = defaultdict(lambda: [0, 0, 0])
    for row in db.session.execute(
        db.select(*EventRef.COLUMNS, attendance.c.present, attendance.c.absent, attendance.c.excused)
        .outerjoin(attendance, attendance.c.event_id == Event.id)
        .where(Event.year_id == year.id).order_by(Event.date_start.is_(None), Event.date_start, Event.id)
    ):
        ev = EventRef(row[:len(EventRef.COLUMNS)])
        if ev.status != "cancelled" and ev.venue_id in rows:
            rows[ev.venue_id].hosted += 1
        outcome, moved = _event_outcome(ev, now)
        event_rows.append(EventRow(ev, outcome, moved))
        if ev.date_start is not None:
            month = by_month[(ev.date_start.year, ev.date_start.month)]
            for i, n in enumerate(row[len(EventRef.COLUMNS):]):
                month[i] += n or 0

    # the plan's visit targets (purpose × school, in the plan's order), each met or not by the year's visits
    targets = []
    for purpose_id, title, org_id, org_name, number in db.session.execute(
        db.select(VisitPurpose.id, VisitPurpose.title, Organization.id, Organization.short_name, Organization.number)
        .join(VisitTarget, VisitTarget.purpose_id == VisitPurpose.id)
        .join(Organization, VisitTarget.organization_id == Organization.id)
        .where(VisitPurpose.year_id == year.id)
        .order_by(VisitPurpose.position, VisitPurpose.id, VisitTarget.position, VisitTarget.id)
    ):
        states = visit_states.get((purpose_id, org_id), set())
        if states & set(HELD_VISIT):
            state = "met"
        elif states & {"planned", "postponed"}:
            state = "planned"
        elif states:
            state = "missed"
        else:
            state = "none"
        targets.append(TargetRow(title, OrgRef(org_id, org_name, number), state))

    months = []
    for i in range(12):
        y, m = (year.start_year, 9 + i) if i < 4 else (year.start_year + 1, i - 3)
        months.append((month_name(date(y, m, 1)).split()[0], *by_month.get((y, m), (0, 0, 0))))

    school_rows = list(rows.values())
    totals = SchoolRow()
    for row in school_rows:
        totals.add_school(row)
    totals.librarians = [p.user for p in people.values()]
    return Results(year, now, school_rows, list(people.values()), event_rows, targets, months, totals)


def restrict(results: Results, user: User) -> Results:
    """A librarian's view: their own school and themselves in detail; district figures only as totals.

    A new Results: the district's is shared by every viewer (mo_app/results/routes.py keeps it)."""
    return replace(
        results,
        schools=[r for r in results.schools if r.org and r.org.id == user.organization_id],
        people=[p for p in results.people if p.user and p.user.id == user.id],
        targets=[t for t in results.targets if t.org.id == user.organization_id],
        restricted=True,
    )


def results_size(results: Results) -> int:
    """Bytes a Results holds, roughly (measured: ~650 a row; a city's year ≈ 1.7 MB)."""
    return 700 * (len(results.schools) + len(results.people) + len(results.events) + len(results.targets) + 20)


# ---- a person's whole history ----------------------------------------------------------------------------------

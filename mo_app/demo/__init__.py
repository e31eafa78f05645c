"""The demo: the 2015–2016 plan exactly as the seed, and the same plan on the current school year.

Loaded once, into an empty database only (`make demo` serves it from its own instance-demo/): its settings row
(is_demo) is the marker. Loading again changes nothing, so what was changed in the demo stays changed (a
renamed, deactivated or deleted account is not made again); a database set up for real is refused whole.
"""

from __future__ import annotations

import json
from datetime import date
from importlib import resources

from .. import dates
from ..dates import PlanDate, school_year_start
from ..extensions import db
from ..models import (
    AppSettings,
    BestPractice,
    Event,
    Goal,
    Organization,
    Registration,
    SchoolYear,
    User,
    VisitPurpose,
    VisitTarget,
)
from ..models.base import utcnow
from ..models.settings import SETTINGS_ID
from ..plan.yearcopy import add_default_checklist, copy_year
from . import sample_events, sample_takeaway, sample_visits

METHODOLOGIST_LOGIN = "metodist"
METHODOLOGIST_PASSWORD = "metodist"  # noqa: S105 - demo account, documented in the README
LIBRARIAN_PASSWORD = "demo"  # noqa: S105 - demo accounts, documented in the README
DEMO_ASSOCIATION = (
    "Методическое объединение библиотечных работников образовательных учреждений Демонстрационного района"
)
DEMO_CENTRE = "ИМЦ Демонстрационного района"
#: the volume in academic hours the demo gives each kind of event (the seed plan names none)
DEMO_HOURS = {"course": 72, "seminar": 4, "practical_seminar": 4, "meeting": 2, "group_consultation": 2}

REAL_DATABASE = (
    "Эта база данных настроена для настоящей работы (страница первого запуска): демонстрационные данные в неё "
    "не загружаются. Демонстрацию запускает «make demo», в своей папке instance-demo/."
)
IN_USE = (
    "В этой базе данных уже есть учётные записи: демонстрационные данные загружаются только в пустую базу. "
    "Демонстрацию запускает «make demo», в своей папке instance-demo/."
)


class DemoRefused(Exception):
    """The database is not the demo's: nothing was written. The message is Russian, for the command line."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def seed() -> dict:
    """The seed plan as data."""
    return json.loads(resources.files(__package__).joinpath("plan-2015-2016.json").read_text("utf-8"))


def _plan_date(raw: dict, start_year: int) -> PlanDate:
    def month(s: str) -> date:
        y, m = s.split("-")
        return date(int(y), int(m), 1)

    kind = raw["kind"]
    if kind == "year":
        return PlanDate.whole_year(start_year)
    if kind == "tbd":
        return PlanDate()
    return PlanDate(kind, month(raw["start"]), month(raw["end"]) if raw.get("end") else None)


def _organizations(data: dict) -> dict[str, Organization]:
    orgs = {}
    for raw in data["organizations"]:
        org = db.session.scalar(db.select(Organization).where(Organization.short_name == raw["short_name"]))
        if org is None:
            org = Organization(
                name=raw["name"], short_name=raw["short_name"], kind=raw["kind"], number=raw.get("number"),
                name_genitive=raw.get("genitive"),
            )
            db.session.add(org)
        orgs[raw["key"]] = org
    db.session.flush()
    return orgs


def _people(data: dict, orgs: dict[str, Organization]) -> dict[str, User]:
    """The demo's methodologist and librarians (an empty database: none of them exists yet)."""
    methodologist = User(
        login=METHODOLOGIST_LOGIN, last_name="Методист", initials="", role="methodologist",
        position="методист", is_sample=True, email=f"{METHODOLOGIST_LOGIN}@example.org",
    )
    methodologist.set_password(METHODOLOGIST_PASSWORD)
    db.session.add(methodologist)
    people = {METHODOLOGIST_LOGIN: methodologist}
    # The demo accounts share one known password; hash it once (scrypt is deliberately slow).
    librarian_hash = None
    for raw in data["people"]:
        user = User(
            login=raw["login"], last_name=raw["last_name"], initials=raw["initials"], role="librarian",
            organization=orgs[raw["school"]], position="заведующий библиотекой",
            is_beginner=raw["beginner"], is_sample=True, email=f"{raw['login']}@example.org",
        )
        if librarian_hash is None:
            user.set_password(LIBRARIAN_PASSWORD)
            librarian_hash = user.password_hash
        user.password_hash = librarian_hash
        db.session.add(user)
        people[raw["login"]] = user
    db.session.flush()
    return people


def _seed_year(data: dict, orgs, people) -> SchoolYear:
    """The seed plan exactly as written, as an archived year."""
    start = data["start_year"]
    year = SchoolYear(start_year=start, is_archive=True)
    db.session.add(year)
    db.session.flush()
    keyed: dict[str, Event] = {}
    for gpos, raw_goal in enumerate(data["goals"], start=1):
        goal = Goal(year_id=year.id, position=gpos, title=raw_goal["title"])
        db.session.add(goal)
        db.session.flush()
        for epos, raw in enumerate(raw_goal["events"], start=1):
            ev = Event(
                year_id=year.id, goal_id=goal.id, position=epos, kind=raw["kind"], title=raw["title"],
                venue_id=orgs[raw["venue"]].id if raw.get("venue") else None, hours=DEMO_HOURS.get(raw["kind"]),
            )
            ev.plan_date = _plan_date(raw["date"], start)
            ev.fix_plan_date()
            db.session.add(ev)
            if raw.get("key"):
                keyed[raw["key"]] = ev
    for ppos, raw in enumerate(data["visit_purposes"], start=1):
        purpose = VisitPurpose(year_id=year.id, position=ppos, title=raw["title"])
        purpose.targets = [
            VisitTarget(organization_id=orgs[key].id, position=i) for i, key in enumerate(raw["schools"], start=1)
        ]
        db.session.add(purpose)
    add_default_checklist(year)
    db.session.flush()
    for bpos, raw in enumerate(data["best_practice"], start=1):
        db.session.add(
            BestPractice(
                year_id=year.id, position=bpos, topic=raw["topic"], goals=raw["goals"],
                author_id=people[raw["author"]].id, organization_id=orgs[raw["school"]].id,
                stage=raw["stage"], form=raw["form"],
                event_id=keyed[raw["event"]].id if raw.get("event") else None,
            )
        )
    _enrol_course(year, data, people, attended=True)
    db.session.flush()
    _speakers(year, data, people, keyed)
    _beginners_attended(year, data, people)
    return year


def _enrol_course(year: SchoolYear, data: dict, people, attended: bool = False) -> None:
    """The plan's beginners are enrolled in the АППО course (in the seed year, which is over, they attended)."""
    course_raw = next(e for g in data["goals"] for e in g["events"] if e.get("key") == "course")
    course = db.session.scalar(
        db.select(Event).where(Event.year_id == year.id, Event.kind == "course", Event.title == course_raw["title"])
    )
    for login in course_raw["participants"]:
        db.session.add(Registration(event_id=course.id, user_id=people[login].id, status="registered",
                                    attendance="present" if attended else None))


def _beginners_attended(year: SchoolYear, data: dict, people) -> None:
    """The seed year is over: its beginners (the course's participants) attended its seminars, so their
    certificates and portfolios have something to show."""
    course_raw = next(e for g in data["goals"] for e in g["events"] if e.get("key") == "course")
    seminars = db.session.scalars(db.select(Event).where(
        Event.year_id == year.id, Event.kind.in_(("seminar", "practical_seminar")))).all()
    taken = set(db.session.execute(db.select(Registration.event_id, Registration.user_id)
                                   .where(Registration.event_id.in_([e.id for e in seminars]))).all())
    for event in seminars:
        for login in course_raw["participants"]:
            if (event.id, people[login].id) not in taken:
                db.session.add(Registration(event_id=event.id, user_id=people[login].id, status="registered",
                                            attendance="present"))
    db.session.flush()


def _speakers(year: SchoolYear, data: dict, people, keyed: dict) -> None:
    """A best-practice author presents her experience at the seminar it is linked to: a speaker there."""
    for raw in data["best_practice"]:
        event = keyed.get(raw.get("event") or "")
        if event is None:
            continue
        author_id = people[raw["author"]].id
        reg = db.session.scalar(
            db.select(Registration).where(Registration.event_id == event.id, Registration.user_id == author_id))
        if reg is None:
            reg = Registration(event_id=event.id, user_id=author_id, status="registered")
            db.session.add(reg)
        reg.attendance, reg.talk_title = "present", raw["topic"]
    db.session.flush()


def load_demo(today: date | None = None) -> dict:
    """Load the demo into an empty database, once: the archived seed year, its copy on the current school year
    with sample events and visits, the demo accounts and the settings row marking the demo. Loading a demo
    database again changes nothing; any other database is refused with DemoRefused before anything is
    written. Returns what was created."""
    created = {"archive": False, "current": False}
    settings = db.session.get(AppSettings, SETTINGS_ID)
    if settings is not None:
        if not settings.is_demo:
            raise DemoRefused(REAL_DATABASE)
        return created
    if db.session.scalar(db.select(User.id).limit(1)) is not None:
        raise DemoRefused(IN_USE)
    today = today or dates.today()
    data = seed()
    orgs = _organizations(data)
    people = _people(data, orgs)
    archive = db.session.scalar(db.select(SchoolYear).where(SchoolYear.start_year == data["start_year"]))
    if archive is None:
        archive = _seed_year(data, orgs, people)
        created["archive"] = True
    current_start = school_year_start(today)
    current = db.session.scalar(db.select(SchoolYear).where(SchoolYear.start_year == current_start))
    if current is None and current_start > archive.start_year:
        current = copy_year(archive, current_start, make_current=True, best_practice=lambda e: True)
        _enrol_course(current, data, people)
        db.session.flush()
        sample_events.load(current, people, today=today)
        sample_visits.load(current, people, today=today)
        sample_takeaway.load(current, people, today=today)
        created["current"] = True
    db.session.add(AppSettings(
        id=SETTINGS_ID, association_name=DEMO_ASSOCIATION, centre_name=DEMO_CENTRE,
        signatory_id=people[METHODOLOGIST_LOGIN].id, setup_done_at=utcnow(), is_demo=True,
    ))
    if created["current"]:
        db.session.flush()
        _sample_mail(current, today)
    db.session.commit()
    return created


def _sample_mail(year: SchoolYear, today: date) -> None:
    """The letters the demo's own activity would have written (the demo sends none: no SMTP_HOST, so /mail shows
    them as «почта не настроена»): sign-ups and the waiting list of the coming events, the finalised справки."""
    from ..events.queries import is_past
    from ..mail import letters
    from ..models import Event, Registration, Visit, VisitReport

    regs = db.session.execute(
        db.select(Registration, Event, User).join(Event, Registration.event_id == Event.id)
        .join(User, Registration.user_id == User.id)
        .where(Event.year_id == year.id, Event.status != "cancelled",
               Registration.status.in_(("registered", "waiting")), Registration.is_walk_in.is_(False))
        .order_by(Registration.queued_at, Registration.id)).all()
    positions: dict[int, int] = {}
    for reg, event, user in regs:
        if is_past(event, today):
            continue
        position = None
        if reg.status == "waiting":
            position = positions[event.id] = positions.get(event.id, 0) + 1
        letters.signed_up(reg, user, event, position=position)
    reports = db.session.scalars(db.select(VisitReport).join(Visit, VisitReport.visit_id == Visit.id)
                                 .where(Visit.year_id == year.id, VisitReport.status == "final")).all()
    for report in reports:
        letters.report_finalised(report)

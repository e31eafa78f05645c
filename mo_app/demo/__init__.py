"""The demo: the 2015–2016 plan exactly as the seed, and the same plan on the current school year."""

from __future__ import annotations

import json
from datetime import date
from importlib import resources

from ..dates import PlanDate, school_year_start
from ..extensions import db
from ..models import (
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
from ..plan.yearcopy import add_default_checklist, copy_year
from . import sample_events, sample_visits

METHODOLOGIST_LOGIN = "metodist"
METHODOLOGIST_PASSWORD = "metodist"  # noqa: S105 - demo account, documented in the README
LIBRARIAN_PASSWORD = "demo"  # noqa: S105 - demo accounts, documented in the README


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
                name=raw["name"], short_name=raw["short_name"], kind=raw["kind"], number=raw.get("number")
            )
            db.session.add(org)
        orgs[raw["key"]] = org
    db.session.flush()
    return orgs


def _people(data: dict, orgs: dict[str, Organization]) -> dict[str, User]:
    people = {}
    # The demo accounts share one known password; hash it once (scrypt is deliberately slow).
    librarian_hash = None
    methodologist = db.session.scalar(db.select(User).where(User.login == METHODOLOGIST_LOGIN))
    if methodologist is None:
        methodologist = User(
            login=METHODOLOGIST_LOGIN, last_name="Методист", initials="", role="methodologist",
            position="методист", is_sample=True,
        )
        methodologist.set_password(METHODOLOGIST_PASSWORD)
        db.session.add(methodologist)
    people[METHODOLOGIST_LOGIN] = methodologist
    for raw in data["people"]:
        user = db.session.scalar(db.select(User).where(User.login == raw["login"]))
        if user is None:
            user = User(
                login=raw["login"], last_name=raw["last_name"], initials=raw["initials"], role="librarian",
                organization=orgs[raw["school"]], position="заведующий библиотекой",
                is_beginner=raw["beginner"], is_sample=True,
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
                venue_id=orgs[raw["venue"]].id if raw.get("venue") else None,
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
    _enrol_course(year, data, people)
    db.session.flush()
    return year


def _enrol_course(year: SchoolYear, data: dict, people) -> None:
    """The plan's beginners are enrolled in the АППО course."""
    course_raw = next(e for g in data["goals"] for e in g["events"] if e.get("key") == "course")
    course = db.session.scalar(
        db.select(Event).where(Event.year_id == year.id, Event.kind == "course", Event.title == course_raw["title"])
    )
    for login in course_raw["participants"]:
        db.session.add(Registration(event_id=course.id, user_id=people[login].id, status="registered"))


def load_demo(today: date | None = None) -> dict:
    """Load the demo plan; running it again changes nothing. Returns what was created."""
    data = seed()
    created = {"archive": False, "current": False}
    orgs = _organizations(data)
    people = _people(data, orgs)
    archive = db.session.scalar(db.select(SchoolYear).where(SchoolYear.start_year == data["start_year"]))
    if archive is None:
        archive = _seed_year(data, orgs, people)
        created["archive"] = True
    current_start = school_year_start(today or date.today())
    current = db.session.scalar(db.select(SchoolYear).where(SchoolYear.start_year == current_start))
    if current is None and current_start > archive.start_year:
        current = copy_year(archive, current_start, make_current=True, best_practice=lambda e: True)
        _enrol_course(current, data, people)
        db.session.flush()
        sample_events.load(current, people, today=today or date.today())
        sample_visits.load(current, people, today=today or date.today())
        created["current"] = True
    db.session.commit()
    return created

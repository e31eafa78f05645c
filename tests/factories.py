"""Factories for tests: build just what a test needs, with real rows in the database."""

from __future__ import annotations

import itertools
from datetime import date

from werkzeug.security import generate_password_hash

from mo_app.dates import PlanDate
from mo_app.extensions import db
from mo_app.models import Event, Goal, Organization, Registration, SchoolYear, User, Visit, VisitPurpose

PASSWORD = "correct-horse-42"
_HASH = generate_password_hash(PASSWORD, method="scrypt")
_seq = itertools.count(1)


class Factories:
    """Each method adds and commits one object and returns it."""

    def _save(self, obj):
        db.session.add(obj)
        db.session.commit()
        return obj

    def school(self, number: str | None = None, **kw) -> Organization:
        number = number or str(1000 + next(_seq))
        kw.setdefault("name", f"ГБОУ школа №{number}")
        kw.setdefault("short_name", f"ГБОУ №{number}")
        return self._save(Organization(kind=kw.pop("kind", "school"), number=number, **kw))

    def venue(self, name: str = "Библиотека им. Пушкина", **kw) -> Organization:
        return self._save(Organization(name=name, short_name=kw.pop("short_name", name), kind="library", **kw))

    def user(self, role: str = "librarian", **kw) -> User:
        n = next(_seq)
        kw.setdefault("login", f"user{n}")
        kw.setdefault("last_name", f"Иванова{n}")
        kw.setdefault("initials", "А.Б.")
        user = User(role=role, password_hash=_HASH, **kw)
        return self._save(user)

    def librarian(self, school: Organization | None = None, **kw) -> User:
        return self.user("librarian", organization=school or self.school(), **kw)

    def methodologist(self, **kw) -> User:
        kw.setdefault("last_name", "Методистова")
        return self.user("methodologist", **kw)

    def year(self, start_year: int = 2026, current: bool = True) -> SchoolYear:
        year = db.session.scalar(db.select(SchoolYear).where(SchoolYear.start_year == start_year))
        return year or self._save(SchoolYear(start_year=start_year, is_current=current))

    def goal(self, year: SchoolYear | None = None, title: str = "Повышение квалификации", position: int = 1) -> Goal:
        return self._save(Goal(year_id=(year or self.year()).id, title=title, position=position))

    def event(
        self,
        year: SchoolYear | None = None,
        kind: str = "seminar",
        title: str = "Семинар о чтении",
        when: PlanDate | date | None = None,
        **kw,
    ) -> Event:
        year = year or self.year()
        ev = Event(year_id=year.id, kind=kind, title=title, **kw)
        if isinstance(when, date):
            when = PlanDate("day", when)
        ev.plan_date = when or PlanDate.month(2027, 2)
        ev.fix_plan_date()
        return self._save(ev)

    def registration(self, event: Event, user: User, status: str = "registered", **kw) -> Registration:
        return self._save(Registration(event_id=event.id, user_id=user.id, status=status, **kw))

    def purpose(self, year: SchoolYear | None = None, title: str = "Знакомство с фондами", **kw) -> VisitPurpose:
        return self._save(VisitPurpose(year_id=(year or self.year()).id, title=title, **kw))

    def visit(self, school: Organization, year: SchoolYear | None = None, when: PlanDate | None = None,
              **kw) -> Visit:
        v = Visit(year_id=(year or self.year()).id, organization_id=school.id, **kw)
        v.plan_date = when or PlanDate.month(2026, 12)
        return self._save(v)

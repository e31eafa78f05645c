"""Plan editing (goals, visit purposes) and a new year from last year's: each change in one transaction."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload, selectinload

from ..audit_log import record as audit
from ..extensions import db, write_lock
from ..models import (
    BestPractice,
    Event,
    Goal,
    Organization,
    SchoolYear,
    VisitPurpose,
    VisitTarget,
)
from .yearcopy import copy_year, shift_title


class PlanError(Exception):
    """A change the plan refuses, with a Russian message for the user and the HTTP status to answer."""

    def __init__(self, message: str, status: int = 409):
        super().__init__(message)
        self.message, self.status = message, status


def ensure_editable(year: SchoolYear) -> None:
    """An archived year is kept as written."""
    if year.is_archive:
        raise PlanError(f"План {year.title} — архив, он не редактируется.")


# ---- goals -----------------------------------------------------------------------------------------------------

def add_goal(year: SchoolYear, title: str) -> Goal:
    """Append a goal to the year's plan."""
    ensure_editable(year)
    last = db.session.scalar(db.select(db.func.max(Goal.position)).where(Goal.year_id == year.id)) or 0
    goal = Goal(year_id=year.id, position=last + 1, title=title.strip())
    db.session.add(goal)
    db.session.flush()
    audit("create", "goal", goal.id, {"title": [None, goal.title]})
    db.session.commit()
    return goal


def rename_goal(goal: Goal, title: str) -> None:
    """Change a goal's wording."""
    ensure_editable(goal.year)
    old, goal.title = goal.title, title.strip()
    audit("update", "goal", goal.id, {"title": [old, goal.title]})
    db.session.commit()


def move_goal(goal: Goal, step: int) -> None:
    """Move a goal one place up (-1) or down (+1)."""
    ensure_editable(goal.year)
    goals = db.session.scalars(
        db.select(Goal).where(Goal.year_id == goal.year_id).order_by(Goal.position, Goal.id)
    ).all()
    i = goals.index(goal)
    j = i + step
    if 0 <= j < len(goals):
        goals[i], goals[j] = goals[j], goals[i]
    for pos, g in enumerate(goals, start=1):
        g.position = pos
    db.session.commit()


def delete_goal(goal: Goal) -> None:
    """Remove a goal that has no events attached."""
    ensure_editable(goal.year)
    attached = db.session.scalar(db.select(db.func.count(Event.id)).where(Event.goal_id == goal.id))
    if attached:
        raise PlanError("К цели привязаны мероприятия: сначала перенесите их к другой цели.")
    audit("delete", "goal", goal.id, {"title": [goal.title, None]})
    db.session.delete(goal)
    db.session.commit()


# ---- visit purposes --------------------------------------------------------------------------------------------

def school_choices() -> list[tuple[int, str]]:
    """Active schools for the target checkboxes."""
    schools = db.session.scalars(
        db.select(Organization).where(Organization.kind == "school", Organization.is_active.is_(True))
    ).all()
    return [(o.id, o.short_name) for o in sorted(schools, key=org_sort_key)]


def org_sort_key(org: Organization):
    """Schools by number (79 before 111), then by name."""
    number = org.number or ""
    return (0, int(number), org.short_name) if number.isdecimal() else (1, 0, org.short_name)


def save_purpose(year: SchoolYear, purpose: VisitPurpose | None, title: str, school_ids: list[int]) -> VisitPurpose:
    """Create or change a visit purpose and its target schools (in the order chosen)."""
    ensure_editable(year)
    if purpose is None:
        last = db.session.scalar(
            db.select(db.func.max(VisitPurpose.position)).where(VisitPurpose.year_id == year.id)
        ) or 0
        purpose = VisitPurpose(year_id=year.id, position=last + 1, title="")
        db.session.add(purpose)
    purpose.title = title.strip()
    keep = {t.organization_id: t for t in purpose.targets}
    wanted = list(dict.fromkeys(school_ids))
    order = {oid: pos for pos, (oid, _) in enumerate(school_choices(), start=1)}
    purpose.targets = [
        keep.get(oid) or VisitTarget(organization_id=oid) for oid in sorted(wanted, key=lambda o: order.get(o, 0))
    ]
    for pos, target in enumerate(purpose.targets, start=1):
        target.position = pos
    db.session.flush()
    audit("update", "visit_purpose", purpose.id, {"title": [None, purpose.title], "schools": [None, wanted]})
    db.session.commit()
    return purpose


def delete_purpose(purpose: VisitPurpose) -> None:
    """Remove a visit purpose with its targets."""
    ensure_editable(purpose.year)
    audit("delete", "visit_purpose", purpose.id, {"title": [purpose.title, None]})
    db.session.delete(purpose)
    db.session.commit()


# ---- a new year from last year's --------------------------------------------------------------------------------

@dataclass
class YearPreview:
    source: SchoolYear
    start_year: int
    exists: bool
    goals: list[Goal]
    events: list[tuple[Event, str, str, str]]  #: (event, title after copy, old date, new date)
    purposes: list[VisitPurpose]
    entries: list[BestPractice]
    default_entries: list[int]  #: the entries in progress, ticked by default

    @property
    def title(self) -> str:
        return f"{self.start_year}–{self.start_year + 1}"


def in_progress(entry: BestPractice) -> bool:
    """An accepted register entry goes on into the next year; proposals and returned ones stay behind."""
    return entry.status == "accepted"


def year_preview(source: SchoolYear) -> YearPreview:
    """What «new year from this one» will copy."""
    start = source.start_year + 1
    exists = db.session.scalar(db.select(SchoolYear.id).where(SchoolYear.start_year == start)) is not None
    events = db.session.scalars(
        db.select(Event).options(joinedload(Event.goal)).where(Event.year_id == source.id)
        .order_by(Event.goal_id, Event.position, Event.id)
    ).all()
    rows = []
    for ev in events:
        rows.append((ev, shift_title(ev.title, 1), ev.planned_date.text(), ev.planned_date.shifted(1).text()))
    goal_order = {g.id: g.position for g in source.goals}
    rows.sort(key=lambda r: (goal_order.get(r[0].goal_id, 10**6), r[0].position, r[0].id))
    purposes = db.session.scalars(
        db.select(VisitPurpose)
        .options(selectinload(VisitPurpose.targets).joinedload(VisitTarget.organization))
        .where(VisitPurpose.year_id == source.id)
        .order_by(VisitPurpose.position)
    ).all()
    entries = db.session.scalars(
        db.select(BestPractice).options(joinedload(BestPractice.author))
        .where(BestPractice.year_id == source.id).order_by(BestPractice.position, BestPractice.id)
    ).all()
    return YearPreview(
        source, start, exists, list(source.goals), rows, list(purposes), list(entries),
        [e.id for e in entries if in_progress(e)],
    )


def create_next_year(source: SchoolYear, entry_ids: list[int]) -> SchoolYear:
    """Copy `source` onto the next school year, with the chosen best-practice entries; it becomes current."""
    chosen = set(entry_ids)
    start = source.start_year + 1
    with write_lock():
        if db.session.scalar(db.select(SchoolYear.id).where(SchoolYear.start_year == start).with_for_update()):
            raise PlanError(f"План на {start}–{start + 1} учебный год уже есть.")
        source = db.session.get(SchoolYear, source.id)
        try:
            target = copy_year(source, start, make_current=True, best_practice=lambda e: e.id in chosen)
            audit("create", "school_year", target.id, {"copied_from": [None, source.start_year]})
            db.session.commit()
        except IntegrityError as exc:
            db.session.rollback()
            raise PlanError(f"План на {start}–{start + 1} учебный год уже есть.") from exc
    return target

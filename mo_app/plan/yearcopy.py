"""A school year's plan copied onto a later year: the demo's current year and «новый год по плану прошлого»."""

from __future__ import annotations

import re

from ..extensions import db
from ..models import BestPractice, ChecklistItem, Event, Goal, SchoolYear, VisitPurpose, VisitTarget
from ..models.visits import DEFAULT_CHECKLIST

_YEAR_RANGE = re.compile(r"\b(\d{4})(\s*[–-]\s*)(\d{4})(?=\s*учебн)")


def shift_title(text: str, years: int) -> str:
    """Move «на 2016–2017 учебный год» in a title on by `years`."""
    return _YEAR_RANGE.sub(lambda m: f"{int(m[1]) + years}{m[2]}{int(m[3]) + years}", text or "")


def add_default_checklist(year: SchoolYear) -> None:
    for i, title in enumerate(DEFAULT_CHECKLIST, start=1):
        db.session.add(ChecklistItem(year_id=year.id, position=i, title=title))


def copy_year(
    source: SchoolYear,
    start_year: int,
    *,
    make_current: bool = False,
    best_practice=lambda entry: entry.status == "accepted",
) -> SchoolYear:
    """Copy goals, events (dates moved on by whole years, no registrations), visit purposes with targets,
    the checklist and the best-practice entries chosen by `best_practice` into a new year. Flushes, does not commit."""
    years = start_year - source.start_year
    if years <= 0:
        raise ValueError("the target year must be later than the source year")
    target = SchoolYear(start_year=start_year, copied_from_id=source.id)
    db.session.add(target)
    db.session.flush()

    goal_map: dict[int, Goal] = {}
    for goal in source.goals:
        new = Goal(year_id=target.id, position=goal.position, title=goal.title)
        db.session.add(new)
        goal_map[goal.id] = new
    db.session.flush()

    event_map: dict[int, Event] = {}
    events = db.session.scalars(db.select(Event).where(Event.year_id == source.id).order_by(Event.id))
    for ev in events:
        new = Event(
            year_id=target.id,
            goal_id=goal_map[ev.goal_id].id if ev.goal_id else None,
            position=ev.position,
            kind=ev.kind,
            title=shift_title(ev.title, years),
            description=ev.description,
            venue_id=ev.venue_id,
            capacity=ev.capacity,
            hours=ev.hours,
            is_open=True,
        )
        # The copy starts from the plan as approved, not from where the event moved to.
        new.plan_date = ev.planned_date.shifted(years)
        new.fix_plan_date()
        db.session.add(new)
        event_map[ev.id] = new

    for purpose in source.visit_purposes:
        new_purpose = VisitPurpose(year_id=target.id, position=purpose.position, title=purpose.title)
        new_purpose.targets = [
            VisitTarget(organization_id=t.organization_id, position=t.position) for t in purpose.targets
        ]
        db.session.add(new_purpose)

    items = db.session.scalars(
        db.select(ChecklistItem).where(ChecklistItem.year_id == source.id).order_by(ChecklistItem.position)
    ).all()
    if items:
        for item in items:
            db.session.add(ChecklistItem(year_id=target.id, position=item.position, title=item.title))
    else:
        add_default_checklist(target)
    db.session.flush()

    entries = db.session.scalars(
        db.select(BestPractice).where(BestPractice.year_id == source.id).order_by(BestPractice.position)
    )
    for entry in entries:
        if not best_practice(entry):
            continue
        linked = event_map.get(entry.event_id) if entry.event_id else None
        db.session.add(
            BestPractice(
                year_id=target.id,
                position=entry.position,
                topic=entry.topic,
                goals=list(entry.goals or []),
                author_id=entry.author_id,
                organization_id=entry.organization_id,
                stage=entry.stage,
                form=entry.form,
                event_id=linked.id if linked is not None else None,
                status=entry.status,
            )
        )
    if make_current:
        db.session.execute(db.update(SchoolYear).values(is_current=False))
        target.is_current = True
    db.session.flush()
    return target

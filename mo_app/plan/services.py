"""Plan editing, a new year from last year's, and the best-practice register: each change in one transaction."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from pathlib import Path

from flask import abort, current_app
from flask_login import current_user
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload, selectinload

from ..extensions import db, write_lock
from ..models import (
    AuditEntry,
    BestPractice,
    BestPracticeFile,
    Event,
    Goal,
    Organization,
    SchoolYear,
    User,
    VisitPurpose,
    VisitTarget,
)
from ..models.base import utcnow
from .yearcopy import copy_year, shift_title


class PlanError(Exception):
    """A change the plan refuses, with a Russian message for the user."""


def audit(action: str, entity: str, entity_id: int | None, changes: dict | None = None) -> None:
    """Record who changed what (committed with the change)."""
    user_id = current_user.id if current_user and current_user.is_authenticated else None
    db.session.add(
        AuditEntry(user_id=user_id, action=action, entity=entity, entity_id=entity_id, changes=changes or {})
    )


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


# ---- best practice ---------------------------------------------------------------------------------------------

ALLOWED_FILES = {
    "pdf": "application/pdf",
    "doc": "application/msword",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "odt": "application/vnd.oasis.opendocument.text",
    "rtf": "application/rtf",
    "txt": "text/plain",
    "ppt": "application/vnd.ms-powerpoint",
    "pptx": "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    "odp": "application/vnd.oasis.opendocument.presentation",
    "xls": "application/vnd.ms-excel",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "jpg": "image/jpeg",
    "jpeg": "image/jpeg",
    "png": "image/png",
}
MAX_FILES_PER_ENTRY = 10


def can_see_entry(entry: BestPractice, user: User) -> bool:
    """Accepted entries are shared with everyone; a proposal only with its author and the methodologist."""
    return user.is_methodologist or entry.status == "accepted" or entry.author_id == user.id


def can_edit_entry(entry: BestPractice, user: User) -> bool:
    """The methodologist edits any entry; the author edits their proposal until it is accepted."""
    return user.is_methodologist or (entry.author_id == user.id and entry.status != "accepted")


def get_entry_or_404(entry_id: int, user: User) -> BestPractice:
    """The entry if this user may see it; 404 otherwise (reveals nothing)."""
    entry = db.session.get(
        BestPractice, entry_id,
        options=[
            joinedload(BestPractice.author), joinedload(BestPractice.organization), selectinload(BestPractice.files),
        ],
    )
    if entry is None or not can_see_entry(entry, user):
        abort(404)
    return entry


def _next_position(year_id: int) -> int:
    last = db.session.scalar(db.select(db.func.max(BestPractice.position)).where(BestPractice.year_id == year_id))
    return (last or 0) + 1


def propose(year: SchoolYear, author: User, topic: str, goals: list[str], form: str | None) -> BestPractice:
    """A librarian proposes their own experience; it waits for the methodologist."""
    entry = BestPractice(
        year_id=year.id, position=_next_position(year.id), topic=topic.strip(), goals=goals, author_id=author.id,
        organization_id=author.organization_id, stage="study", form=(form or "").strip() or None, status="proposed",
    )
    db.session.add(entry)
    db.session.flush()
    audit("create", "best_practice", entry.id, {"status": [None, "proposed"]})
    db.session.commit()
    return entry


def save_entry(year: SchoolYear, entry: BestPractice | None, *, topic: str, goals: list[str], form: str | None,
               author: User, stage: str, event_id: int | None) -> BestPractice:
    """The methodologist creates or edits a register entry (accepted)."""
    if entry is None:
        entry = BestPractice(year_id=year.id, position=_next_position(year.id), topic="", status="accepted")
        db.session.add(entry)
    entry.topic, entry.goals, entry.form = topic.strip(), goals, (form or "").strip() or None
    entry.author_id, entry.organization_id = author.id, author.organization_id
    entry.stage, entry.event_id = stage, event_id or None
    db.session.flush()
    audit("update", "best_practice", entry.id, {"topic": [None, entry.topic]})
    db.session.commit()
    return entry


def update_proposal(entry: BestPractice, topic: str, goals: list[str], form: str | None) -> None:
    """The author corrects a proposal; a returned one goes back for review."""
    entry.topic, entry.goals, entry.form = topic.strip(), goals, (form or "").strip() or None
    if entry.status == "returned":
        entry.status = "proposed"
    audit("update", "best_practice", entry.id, {"status": [None, entry.status]})
    db.session.commit()


def accept(entry: BestPractice, stage: str) -> None:
    """The methodologist accepts a proposal into the register at a stage."""
    if entry.status == "accepted":
        raise PlanError("Запись уже принята.")
    old = entry.status
    entry.status, entry.stage, entry.review_comment = "accepted", stage, None
    audit("update", "best_practice", entry.id, {"status": [old, "accepted"], "stage": [None, stage]})
    db.session.commit()


def return_entry(entry: BestPractice, comment: str) -> None:
    """The methodologist returns a proposal to its author with a comment."""
    if entry.status == "accepted":
        raise PlanError("Принятую запись нельзя вернуть на доработку.")
    old = entry.status
    entry.status, entry.review_comment = "returned", comment.strip()
    audit("update", "best_practice", entry.id, {"status": [old, "returned"]})
    db.session.commit()


def delete_entry(entry: BestPractice) -> None:
    """Remove an entry and its stored files."""
    names = [f.stored_name for f in entry.files]
    audit("delete", "best_practice", entry.id, {"topic": [entry.topic, None]})
    db.session.delete(entry)
    db.session.commit()
    for name in names:
        upload_path(name).unlink(missing_ok=True)


def upload_path(stored_name: str) -> Path:
    return Path(current_app.config["UPLOAD_FOLDER"]) / "best_practice" / stored_name


def store_file(entry: BestPractice, storage, user: User) -> BestPracticeFile:
    """Check type and size, save under the upload folder by a generated name, record it."""
    original = (storage.filename or "").replace("\\", "/").rsplit("/", 1)[-1].strip()
    ext = original.rsplit(".", 1)[-1].lower() if "." in original else ""
    if ext not in ALLOWED_FILES:
        raise PlanError("Этот тип файла не принимается. Можно: " + ", ".join(sorted(ALLOWED_FILES)) + ".")
    if len(entry.files) >= MAX_FILES_PER_ENTRY:
        raise PlanError(f"К записи можно приложить не больше {MAX_FILES_PER_ENTRY} файлов.")
    limit = current_app.config["UPLOAD_MAX_BYTES"]
    data = storage.stream.read(limit + 1)
    if len(data) > limit:
        raise PlanError(f"Файл больше {limit // (1024 * 1024)} МБ.")
    if not data:
        raise PlanError("Файл пустой.")
    stored = f"{secrets.token_hex(16)}.{ext}"
    path = upload_path(stored)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    record = BestPracticeFile(
        entry_id=entry.id, original_name=original[:255], stored_name=stored, content_type=ALLOWED_FILES[ext],
        size=len(data), uploaded_at=utcnow(), uploaded_by_id=user.id,
    )
    db.session.add(record)
    try:
        db.session.flush()
        audit("create", "best_practice_file", record.id, {"name": [None, record.original_name]})
        db.session.commit()
    except Exception:
        db.session.rollback()
        path.unlink(missing_ok=True)
        raise
    return record


def delete_file(record: BestPracticeFile) -> None:
    """Remove an attached file from the entry and from disk."""
    name = record.stored_name
    audit("delete", "best_practice_file", record.id, {"name": [record.original_name, None]})
    db.session.delete(record)
    db.session.commit()
    upload_path(name).unlink(missing_ok=True)

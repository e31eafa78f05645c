"""Best practice (передовой опыт): proposals by librarians, review by the methodologist, the register's entries
and their files. Each change in one transaction; the acting user is an argument."""

from __future__ import annotations

from pathlib import Path

from flask import current_app

from ..audit_log import record as audit
from ..extensions import db
from ..models import BestPractice, BestPracticeFile, SchoolYear, User
from ..models.base import utcnow
from ..uploads import ALLOWED_FILES, UploadRefused, read_upload, removed_unless_committed, write_upload


class PracticeError(Exception):
    """A change the register refuses, with a Russian message for the user and the HTTP status to answer."""

    def __init__(self, message: str, status: int = 409):
        super().__init__(message)
        self.message, self.status = message, status


MAX_FILES_PER_ENTRY = 10


def can_see_entry(entry: BestPractice, user: User) -> bool:
    """Accepted entries are shared with everyone; a proposal only with its author and the methodologist."""
    return user.is_methodologist or entry.status == "accepted" or entry.author_id == user.id


def can_edit_entry(entry: BestPractice, user: User) -> bool:
    """The methodologist edits any entry; the author edits their proposal until it is accepted."""
    return user.is_methodologist or (entry.author_id == user.id and entry.status != "accepted")


NOT_YOUR_FILES = "Файлы записи прикладывает и удаляет её автор или методист."
ACCEPTED_FILES = ("Запись уже принята в реестр: её файлы меняет только методист. Чтобы обновить материалы, "
                  "предложите опыт заново.")


def files_refusal(entry: BestPractice, user: User) -> str | None:
    """Why `user` may not add or remove the files of `entry`, or None when they may: the methodologist always;
    the author until the entry is accepted (the register is public: what changes there is reviewed first)."""
    if user.is_methodologist:
        return None
    if entry.author_id != user.id:
        return NOT_YOUR_FILES
    if entry.status == "accepted":
        return ACCEPTED_FILES
    return None


def _check_files_allowed(entry: BestPractice, user: User) -> None:
    if refusal := files_refusal(entry, user):
        raise PracticeError(refusal, 403)


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
        raise PracticeError("Запись уже принята.")
    old = entry.status
    entry.status, entry.stage, entry.review_comment = "accepted", stage, None
    audit("update", "best_practice", entry.id, {"status": [old, "accepted"], "stage": [None, stage]})
    db.session.commit()


def return_entry(entry: BestPractice, comment: str) -> None:
    """The methodologist returns a proposal to its author with a comment."""
    if entry.status == "accepted":
        raise PracticeError("Принятую запись нельзя вернуть на доработку.")
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
    """Check who may (files_refusal), type and size; save under the upload folder by a generated name, record it."""
    _check_files_allowed(entry, user)
    if len(entry.files) >= MAX_FILES_PER_ENTRY:
        raise PracticeError(f"К записи можно приложить не больше {MAX_FILES_PER_ENTRY} файлов.")
    try:
        original, ext, data = read_upload(storage)
    except UploadRefused as e:
        raise PracticeError(e.message) from None
    stored = write_upload(upload_path, ext, data)
    record = BestPracticeFile(
        entry_id=entry.id, original_name=original[:255], stored_name=stored, content_type=ALLOWED_FILES[ext],
        size=len(data), uploaded_at=utcnow(), uploaded_by_id=user.id,
    )
    db.session.add(record)
    with removed_unless_committed(upload_path(stored)):
        db.session.flush()
        audit("create", "best_practice_file", record.id, {"name": [None, record.original_name]})
        db.session.commit()
    return record


def delete_file(record: BestPracticeFile, user: User) -> None:
    """Remove an attached file from the entry and from disk (who may: files_refusal)."""
    _check_files_allowed(record.entry, user)
    name = record.stored_name
    audit("delete", "best_practice_file", record.id, {"name": [record.original_name, None]})
    db.session.delete(record)
    db.session.commit()
    upload_path(name).unlink(missing_ok=True)

"""The write side of materials: attaching a file (the best-practice upload rules: type and size limits, a random
stored name under the uploads folder) or an http(s) link, and removing one (audited: EventMaterial is in
audit_log.AUDITED). Services take the acting user and raise MaterialError (a Russian message, the HTTP status
and the form field it belongs to)."""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import urlsplit

from flask import current_app

from ..extensions import db
from ..models import Event, EventMaterial, Registration, User
from ..uploads import ALLOWED_FILES, UploadRefused, read_upload, removed_unless_committed, write_upload
from .queries import can_add, can_remove

MAX_PER_EVENT = 30
NOT_YOURS = "Материалы мероприятия прикладывают методист и выступающие на нём."
_BAD_URL_CHARS = re.compile(r"[\x00-\x20\x7f-\x9f\\<>\"]")


class MaterialError(Exception):
    def __init__(self, message: str, status: int = 422, field: str | None = None):
        super().__init__(message)
        self.message, self.status, self.field = message, status, field


def upload_path(stored_name: str) -> Path:
    """Where a material's file lives: under the uploads folder, which every backup archives whole."""
    return Path(current_app.config["UPLOAD_FOLDER"]) / "materials" / stored_name


def _clean_title(title: str) -> str:
    text = " ".join((title or "").split())
    if not text:
        raise MaterialError("Укажите название.", field="title")
    return text


def _check_may_add(event: Event, user: User, reg: Registration | None) -> None:
    if not can_add(user, reg):
        raise MaterialError(NOT_YOURS, 403)
    count = db.session.scalar(db.select(db.func.count()).where(EventMaterial.event_id == event.id)) or 0
    if count >= MAX_PER_EVENT:
        raise MaterialError(f"К мероприятию можно приложить не больше {MAX_PER_EVENT} материалов.", 409)


def check_url(url: str) -> str:
    """An absolute http or https address with a host, without spaces or control characters."""
    url = (url or "").strip()
    parts = urlsplit(url) if not _BAD_URL_CHARS.search(url) else None
    if parts is None or parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        raise MaterialError("Ссылка должна начинаться с http:// или https:// и вести на сайт.", field="url")
    return url


def add_link(event: Event, user: User, reg: Registration | None, title: str, url: str) -> EventMaterial:
    """Attach a link with a title. Commits."""
    _check_may_add(event, user, reg)
    material = EventMaterial(event_id=event.id, title=_clean_title(title), url=check_url(url), added_by_id=user.id)
    db.session.add(material)
    db.session.commit()
    return material


def add_file(event: Event, user: User, reg: Registration | None, title: str, storage) -> EventMaterial:
    """Check the type and size, save the file under a random name, record it. Commits (the file goes if not)."""
    _check_may_add(event, user, reg)
    title = _clean_title(title)
    try:
        original, ext, data = read_upload(storage)
    except UploadRefused as e:
        raise MaterialError(e.message, e.status, field="file") from None
    stored = write_upload(upload_path, ext, data)
    material = EventMaterial(event_id=event.id, title=title, original_name=original[:255], stored_name=stored,
                             content_type=ALLOWED_FILES[ext], size=len(data), added_by_id=user.id)
    db.session.add(material)
    with removed_unless_committed(upload_path(stored)):
        db.session.commit()
    return material


def remove(material: EventMaterial, user: User) -> None:
    """Remove a material (and its file from disk, once the removal is committed). Commits."""
    if not can_remove(material, user):
        raise MaterialError("Удалить материал может методист или тот, кто его приложил.", 403)
    stored = material.stored_name
    db.session.delete(material)
    db.session.commit()
    if stored:
        upload_path(stored).unlink(missing_ok=True)


def read_file(material: EventMaterial) -> bytes:
    """The stored bytes of a file material; MaterialError(404) for a link or a file gone from disk."""
    path = upload_path(material.stored_name) if material.stored_name else None
    if path is None or not path.is_file():
        raise MaterialError("Файл не найден.", 404)
    return path.read_bytes()

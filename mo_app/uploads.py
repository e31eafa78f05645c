"""Uploaded files (best practice, event materials): one rule for the type and size, a random name to store under,
and the file removed again when its row is not committed."""

from __future__ import annotations

import secrets
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from flask import current_app

from .extensions import db

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


class UploadRefused(Exception):
    """An upload refused, with the Russian message for its field and the HTTP status (413: too large)."""

    def __init__(self, message: str, status: int = 422):
        super().__init__(message)
        self.message, self.status = message, status


def read_upload(storage) -> tuple[str, str, bytes]:
    """(original file name, extension, bytes) of an uploaded file of an allowed type, not empty and within
    UPLOAD_MAX_BYTES; UploadRefused otherwise."""
    original = (storage.filename or "").replace("\\", "/").rsplit("/", 1)[-1].strip()
    ext = original.rsplit(".", 1)[-1].lower() if "." in original else ""
    if ext not in ALLOWED_FILES:
        raise UploadRefused("Этот тип файла не принимается. Можно: " + ", ".join(sorted(ALLOWED_FILES)) + ".")
    limit = current_app.config["UPLOAD_MAX_BYTES"]
    data = storage.stream.read(limit + 1)
    if len(data) > limit:
        size = f"{limit // (1024 * 1024)} МБ" if limit >= 1024 * 1024 else f"{limit // 1024} КБ"
        raise UploadRefused(f"Файл больше {size}.", 413)
    if not data:
        raise UploadRefused("Файл пустой.")
    return original, ext, data


def write_upload(path_of: Callable[[str], Path], ext: str, data: bytes) -> str:
    """Write `data` under a new random name (at `path_of(name)`): the stored name. Written before the row commits,
    so that a backup that copies the row finds the file."""
    stored = f"{secrets.token_hex(16)}.{ext}"
    path = path_of(stored)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return stored


@contextmanager
def removed_unless_committed(path: Path) -> Iterator[None]:
    """Around the commit of a file's row: when it fails, roll back and remove the file written for it."""
    try:
        yield
    except Exception:
        db.session.rollback()
        path.unlink(missing_ok=True)
        raise

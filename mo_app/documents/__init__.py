"""Documents: every PDF of the app made by Typst (engine.py) from one template per paper (templates/*.typ),
with the bundled fonts (fonts/) and the letterhead (letterhead.py); at most two renders per user at once
(slots.py); issued papers kept as issued and confirmed at /verify/<code> (verify.py)."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable

from flask import url_for
from flask_login import current_user

from ..extensions import db
from ..models import IssuedDocument
from .engine import render_pdf
from .letterhead import letterhead
from .slots import DocumentBusy, render_slot

__all__ = ["DocumentBusy", "letterhead", "new_code", "record_issue", "render_document", "render_pdf", "rendering",
           "verify_url"]

#: no 0/o, 1/l/i: a code read off paper and typed in
CODE_ALPHABET = "23456789abcdefghjkmnpqrstuvwxyz"
CODE_LENGTH = 12  #: 31^12 ≈ 2^59


def rendering():
    """Hold one of the current user's two render slots (DocumentBusy, 429, beyond that)."""
    user_id = current_user.id if current_user and current_user.is_authenticated else None
    return render_slot(user_id)


def render_document(template: str, data: dict | Callable[[], dict]) -> bytes:
    """The PDF of `template` with `data` (or what `data()` builds: read inside the slot), made in one of the
    current user's render slots."""
    with rendering():
        return render_pdf(template, data() if callable(data) else data)


def new_code() -> str:
    """A short unguessable code for a paper's verification line."""
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def verify_url(code: str) -> str:
    """The address printed on a paper where anyone confirms it was issued."""
    return url_for("verify.show", code=code, _external=True)


def record_issue(code: str, kind: str, title: str, facts: list[tuple[str, str]], pdf: bytes) -> str:
    """Record (in the caller's transaction) that the paper `pdf` printed with `code` was issued; its SHA-256."""
    digest = hashlib.sha256(pdf).hexdigest()
    db.session.add(IssuedDocument(code=code, kind=kind, title=title, facts=[list(f) for f in facts], sha256=digest))
    return digest

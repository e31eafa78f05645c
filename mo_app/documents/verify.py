"""/verify/<code>: anyone, without logging in, confirms that a paper with this code was issued — what it is,
for whom, when, which version, its SHA-256 — and learns nothing of its content. One address for every kind
of paper (справки today, participation certificates later: each writes an IssuedDocument)."""

from __future__ import annotations

from flask import Blueprint, abort

from ..extensions import db
from ..models import IssuedDocument
from ..web import render

bp = Blueprint("verify", __name__)


@bp.route("/verify/<code>")
def show(code: str):
    """The public record of an issued paper; 404 for a code nobody issued."""
    code = code.strip().lower()
    doc = db.session.scalar(db.select(IssuedDocument).where(IssuedDocument.code == code)) if len(code) <= 16 else None
    if doc is None:
        abort(404)
    return render("verify/show.html", doc=doc)

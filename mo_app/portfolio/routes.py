"""The portfolio pages: the librarian's own (`/my/portfolio`) and any librarian's for the methodologist
(`/people/<id>/portfolio`), each on screen and as a PDF for the attestation commission."""

from __future__ import annotations

from flask import Blueprint, abort
from flask_login import current_user

from ..dates import long_date, today
from ..documents import render_document
from ..documents.letterhead import letterhead
from ..extensions import db
from ..models import LIBRARIAN, User
from ..printing import pdf_response
from ..web import methodologist_required, render, role_required
from .papers import portfolio_data
from .queries import portfolio

bp = Blueprint("portfolio", __name__)
librarian_required = role_required(LIBRARIAN)


def get_librarian_or_404(user_id: int) -> User:
    user = db.session.get(User, user_id)
    if user is None or user.role != LIBRARIAN:
        abort(404)
    return user


def _page(user: User, own: bool):
    return render("portfolio/show.html", p=portfolio(user), own=own)


def _pdf(user: User):
    p = portfolio(user)
    data = portfolio_data(p, letterhead(), long_date(today()))
    return pdf_response(render_document("portfolio", data), f"Портфолио — {user.short_name}.pdf")


@bp.route("/my/portfolio")
@librarian_required
def mine():
    return _page(current_user, own=True)


@bp.route("/my/portfolio.pdf")
@librarian_required
def mine_pdf():
    return _pdf(current_user)


@bp.route("/people/<int:user_id>/portfolio")
@methodologist_required
def of_person(user_id: int):
    return _page(get_librarian_or_404(user_id), own=False)


@bp.route("/people/<int:user_id>/portfolio.pdf")
@methodologist_required
def of_person_pdf(user_id: int):
    return _pdf(get_librarian_or_404(user_id))



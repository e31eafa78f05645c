"""Certificates' pages: a librarian's own certificate, and the methodologist's page of an event's certificates
(speakers, the bundle, revoking)."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, request, url_for
from flask_login import current_user

from ..models import LIBRARIAN
from ..printing import pdf_response
from ..web import any_role, methodologist_required, render
from . import queries, services
from .services import CertificateError

bp = Blueprint("certificates", __name__)


def get_event_or_404(event_id: int):
    event = queries.event_or_none(event_id)
    if event is None:
        abort(404)
    return event


def get_registration_or_404(event, reg_id: int):
    reg = queries.registration_or_none(event, reg_id)
    if reg is None:
        abort(404)
    return reg


def _download(reg):
    try:
        cert = services.issue(reg)
    except CertificateError as e:
        abort(e.status)
    return pdf_response(cert.pdf, f"Сертификат {cert.number}.pdf")


@bp.route("/events/<int:event_id>/certificate.pdf")
@any_role
def mine(event_id: int):
    """The current librarian's certificate of the event (404 when none is due: absent, waiting, future…)."""
    if current_user.role != LIBRARIAN:
        abort(404)
    event = get_event_or_404(event_id)
    reg = queries.registration_of(event, current_user.id)
    if reg is None:
        abort(404)
    return _download(reg)


@bp.route("/events/<int:event_id>/certificates")
@methodologist_required
def index(event_id: int):
    """The event's participants: who is a speaker, whose certificate was issued; the bundle and revoking."""
    event = get_event_or_404(event_id)
    return render("certificates/index.html", event=event, rows=queries.participants(event),
                  is_due=queries.is_due, talk_max=services.TALK_MAX)


@bp.route("/events/<int:event_id>/certificates/<int:reg_id>.pdf")
@methodologist_required
def one(event_id: int, reg_id: int):
    event = get_event_or_404(event_id)
    return _download(get_registration_or_404(event, reg_id))


@bp.route("/events/<int:event_id>/certificates.pdf")
@methodologist_required
def bundle(event_id: int):
    """Every due certificate of the event in one PDF, one per page (issuing the missing ones)."""
    event = get_event_or_404(event_id)
    regs = [reg for reg, _ in queries.participants(event)]
    try:
        data = services.bundle(services.issue_all(event, regs))
    except CertificateError as e:
        flash(e.message, "error")
        return redirect(url_for("certificates.index", event_id=event_id), 303)
    return pdf_response(data, f"Сертификаты — {event.display_title}.pdf")


@bp.route("/events/<int:event_id>/certificates/<int:reg_id>/revoke", methods=["POST"])
@methodologist_required
def revoke(event_id: int, reg_id: int):
    event = get_event_or_404(event_id)
    reg = get_registration_or_404(event, reg_id)
    cert = queries.current_certificate(reg.id)
    if cert is None:
        abort(404)
    try:
        services.revoke(cert, current_user)
        flash(f"Сертификат № {cert.number} аннулирован.", "success")
    except CertificateError as e:
        flash(e.message, "error")
    return redirect(url_for("certificates.index", event_id=event_id), 303)


@bp.route("/events/<int:event_id>/certificates/<int:reg_id>/talk", methods=["POST"])
@methodologist_required
def talk(event_id: int, reg_id: int):
    """Mark a participant as a speaker with the talk's title (empty: not a speaker)."""
    event = get_event_or_404(event_id)
    reg = get_registration_or_404(event, reg_id)
    try:
        services.set_talk(reg, request.form.get("talk_title", ""), current_user)
    except CertificateError as e:
        return render("certificates/index.html", status=e.status, event=event, rows=queries.participants(event),
                      is_due=queries.is_due, talk_max=services.TALK_MAX, errors={reg.id: e.message},
                      typed={reg.id: request.form.get("talk_title", "")})
    flash("Сохранено.", "success")
    return redirect(url_for("certificates.index", event_id=event_id) + f"#reg-{reg.id}", 303)

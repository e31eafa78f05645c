"""/mail (the outbox, methodologist), /profile/notifications (one's own kinds of letters), /unsubscribe/<token>
(one click, no login)."""

from __future__ import annotations

from flask import abort, flash, redirect, request, url_for
from flask_login import current_user, login_required

from ..extensions import csrf
from ..models.mail import FAILED, MAIL_STATUSES, QUEUED, SENT
from ..web import methodologist_required, page_arg, render
from . import bp, queries, services
from .outbox import KINDS
from .sender import configured


@bp.route("/mail")
@methodologist_required
def outbox():
    """The outbox: queued, sent and failed letters with the server's answer; a banner when mail is not set up."""
    status = request.args.get("status", "")
    if status not in (QUEUED, SENT, FAILED, ""):
        status = ""
    return render("mail/outbox.html", page=queries.letters(status, page_arg()), current=status,
                  filters=queries.FILTERS, counts=queries.counts(), statuses=MAIL_STATUSES,
                  configured=configured())


@bp.route("/mail/<int:letter_id>/resend", methods=["POST"])
@methodologist_required
def resend(letter_id: int):
    """Queue a failed letter again."""
    try:
        letter = services.resend(letter_id, current_user)
    except services.MailError as e:
        if e.status == 404:
            abort(404)
        flash(e.message, "error")
        return redirect(url_for("mail.outbox", status=FAILED), code=303)
    flash(f"Письмо для {letter.recipient} снова в очереди.", "success")
    return redirect(url_for("mail.outbox", status=FAILED), code=303)


@bp.route("/profile/notifications", methods=["GET", "POST"])
@login_required
def notifications():
    """Which kinds of letters one gets."""
    user = current_user._get_current_object()
    if request.method == "POST":
        try:
            services.set_preferences(user, set(request.form.getlist("kind")))
        except services.MailError as e:
            return render("mail/notifications.html", kinds=KINDS, off=services.turned_off(user), error=e.message,
                          status=e.status)
        flash("Настройки писем сохранены.", "success")
        return redirect(url_for("mail.notifications"), code=303)
    return render("mail/notifications.html", kinds=KINDS, off=services.turned_off(user), error=None)


@bp.route("/unsubscribe/<token>", methods=["GET", "POST"])
@csrf.exempt  # the signed token is the proof; a mail client's one-click POST (RFC 8058) carries no CSRF token
def unsubscribe(token: str):
    """One-click unsubscribe from one kind of letters, without logging in: GET asks, POST does it."""
    from .outbox import read_unsubscribe_token

    read = read_unsubscribe_token(token)
    if read is None:
        return render("mail/unsubscribe.html", done=False, invalid=True, kind_label=None, status=404)
    if request.method == "POST":
        try:
            _user, kind = services.unsubscribe(token)
        except services.MailError as e:
            return render("mail/unsubscribe.html", done=False, invalid=True, kind_label=None, status=e.status)
        return render("mail/unsubscribe.html", done=True, invalid=False, kind_label=KINDS[kind])
    return render("mail/unsubscribe.html", done=False, invalid=False, kind_label=KINDS[read[1]])

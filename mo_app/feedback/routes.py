"""Feedback pages: a participant's «Оцените мероприятие» form, the methodologist's summary of an event and the
year's events by average rating; the event page's and the home page's prompts (template globals)."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, url_for
from flask_login import current_user

from ..errors import error_response
from ..web import all_years, methodologist_required, render, role_required, selected_year
from . import queries
from .forms import FeedbackForm
from .services import CLOSED, NOT_ASKED, FeedbackError, save

bp = Blueprint("feedback", __name__)
librarian_required = role_required("librarian")


@bp.app_template_global("feedback_box")
def feedback_box(event, reg=None) -> queries.Box:
    """The event page's prompt for the current user (`reg`: her registration, as the page read it)."""
    return queries.box(event, current_user, reg)


@bp.app_template_global("feedback_asked")
def feedback_asked() -> list:
    """The events the home page asks the current librarian to rate."""
    return queries.asked_on_home(current_user)


@bp.app_template_global("feedback_wanted_topics")
def feedback_wanted_topics(year) -> list[str]:
    """The topics a year's participants want next (the new-year page's suggestions)."""
    return queries.wanted_topics(year)


def get_event_or_404(event_id: int):
    event = queries.event_or_none(event_id)
    if event is None:
        abort(404)
    return event


@bp.route("/events/<int:event_id>/feedback", methods=["GET", "POST"])
@librarian_required
def answer(event_id: int):
    """Her answer: given once, changed for 14 days (then read-only: 409 on a change)."""
    event = get_event_or_404(event_id)
    reg = queries.registration_of(event.id, current_user)
    if not queries.may_answer(event, reg):
        return error_response(403, NOT_ASKED)
    mine = queries.answer_of(event.id, current_user.id)
    form = FeedbackForm(obj=mine) if mine is not None else FeedbackForm()
    status = 200
    if form.is_submitted():
        if not queries.is_editable(mine):
            return error_response(409, CLOSED)
        status = 422
        if form.validate():
            try:
                save(event, current_user, reg, usefulness=form.usefulness.data, most_useful=form.most_useful.data,
                     to_improve=form.to_improve.data, topics_wanted=form.topics_wanted.data)
            except FeedbackError as e:
                if e.status != 422:
                    return error_response(e.status, e.message)
                form.usefulness.errors = [e.message]
            else:
                flash("Спасибо! Ваша оценка сохранена.", "success")
                return redirect(url_for("events.show", event_id=event.id), 303)
    return render("feedback/answer.html", status=status, event=event, form=form, answer=mine,
                  editable=queries.is_editable(mine),
                  until=queries.editable_until(mine) if mine is not None else None)


@bp.route("/events/<int:event_id>/feedback/summary")
@methodologist_required
def summary(event_id: int):
    """The event's answers out of those present, the average, the distribution, comments without names."""
    event = get_event_or_404(event_id)
    return render("feedback/summary.html", event=event, s=queries.summary(event))


@bp.route("/feedback")
@methodologist_required
def ratings():
    """The year's events by average rating, and the topics participants want next year."""
    year = selected_year()
    return render("feedback/ratings.html", year=year, years=all_years(), ratings=queries.year_ratings(year),
                  topics=queries.wanted_topics(year))

"""Events: the plan's events, sign-up with a waiting list, attendance, consultations, exports, calendars."""

from __future__ import annotations

import calendar as pycalendar
from datetime import date

from flask import abort, flash, redirect, request, url_for
from flask_login import current_user

from ..cache import cached, current_stamp
from ..dates import month_name, next_month_start, school_year_start
from ..documents import render_document
from ..documents.kept import kept_document
from ..documents.papers import sign_in_sheet_data
from ..exports import csv_response, xlsx_bytes, xlsx_download
from ..models import ConsultationRequest, Event, Registration, SchoolYear
from ..models.events import CONSULTATION_STATUSES, EVENT_KINDS, REG_CANCELLED, REG_REGISTERED, REG_WAITING
from ..paging import page_of
from ..plan.years import year_among
from ..printing import pdf_response
from ..web import (
    any_role,
    as_id,
    clamp_month,
    is_htmx,
    methodologist_required,
    month_arg,
    next_arg,
    page_arg,
    render,
    role_required,
    selected_year,
    url_pattern,
    year_arg,
    year_month_arg,
)
from . import bp, ics, queries, services
from .forms import CONSULTATION_ACTIONS, CancelEventForm, ConsultationHandleForm, ConsultationRequestForm, EventForm
from .services import SignupError

librarian_required = role_required("librarian")


# ---------------------------------------------------------------- loaders


def get_event_or_404(event_id: int) -> Event:
    """The event by id with its venue, goal and year, or 404."""
    event = queries.event(event_id)
    if event is None:
        abort(404)
    return event


def get_registration_or_404(event: Event, reg_id: int) -> Registration:
    """A sign-up of `event` with its person and school, or 404."""
    reg = queries.registration(event, reg_id)
    if reg is None:
        abort(404)
    return reg


# ---------------------------------------------------------------- the list

PER_PAGE = 50


def _filters(year: SchoolYear) -> dict:
    """The list's filters from the query string; a month outside `year` is brought into it (web.year_month_arg)."""
    args = request.args
    kind = args.get("kind", "")
    goal = args.get("goal", "")
    month_first = year_month_arg(year)
    return {
        "kind": kind if kind in EVENT_KINDS else "",
        "goal": as_id(goal),
        "month": month_first.strftime("%Y-%m") if month_first else "",
        "month_first": month_first,
        "open": args.get("open") == "1",
        "mine": args.get("mine") == "1",
    }


def _year_months(year) -> list[tuple[str, str]]:
    out = []
    for i in range(12):
        m = (8 + i) % 12 + 1
        y = year.start_year + (1 if m < 9 else 0)
        d = date(y, m, 1)
        out.append((d.strftime("%Y-%m"), month_name(d).capitalize()))
    return out


def list_context() -> dict:
    """Everything /events shows: the year's events filtered, grouped by month, with seats and my state.

    Filters, plan order and paging run in SQL on (id, is past) pairs of the whole year; the 50 shown are read
    as plain columns with their venue and seats in one more query (no ORM objects). That part is the same for
    everyone: it is kept per data stamp (mo_app/cache.py) and today's date, unless the list is «мои»; a
    librarian's own status on the shown events is one more query."""
    years, stamp = queries.years_with_goals()
    year = year_among(years)
    flt = _filters(year)
    on = services.today()

    def build():
        rows = services.list_rows(
            year, kind=flt["kind"], goal_id=flt["goal"], month=flt["month_first"], open_only=flt["open"],
            mine_of=current_user if flt["mine"] else None,
        )
        # 50 events a page, month headings kept; without ?page= the current year opens on its next events.
        default = 1
        if year.is_current and not flt["month_first"]:
            upcoming = next((i for i, (_, past) in enumerate(rows) if not past), 0)
            default = upcoming // PER_PAGE + 1
        page = page_of(rows, per_page=PER_PAGE, default=default)
        return page, services.shown_events([eid for eid, _ in page.items], year)

    key = ("events.list", year.id, flt["kind"], flt["goal"], flt["month_first"], flt["open"], on,
           page_arg(default=0))
    page, shown = cached(None if flt["mine"] else stamp, key, build, size=lambda v: 2000 * len(v[1]) + 10_000)
    shown = services.with_my_states(shown, current_user)
    return {
        "year": year,
        "years": years,
        "filters": flt,
        "groups": services.group_by_month(shown, in_order=True),
        "count": page.total,
        "page": page,
        "kinds": EVENT_KINDS,
        "months": _year_months(year),
        "urls": {
            "show": url_pattern("events.show", "event_id"),
            "register": url_pattern("events.register", "event_id"),
            "cancel": url_pattern("events.cancel_registration", "event_id"),
            "participants": url_pattern("events.participants", "event_id"),
            "consultations": url_for("events.consultations"),
        },
    }


@bp.route("/events")
@any_role
def index():
    """The school year's events by month, with filters (htmx, pushed to the URL)."""
    ctx = list_context()
    # notices are marked read only where they are shown: the htmx list fragment does not show them
    notices = [] if is_htmx() else services.take_unread_notices(current_user)
    return render("events/index.html", fragment="events/_list.html", notices=notices, **ctx)


@bp.route("/events/calendar")
@any_role
def calendar():
    """A month of the plan as a calendar grid (`?month=2026-12`)."""
    year = _calendar_year()
    first = year_month_arg(year)
    if first is None:
        t = services.today()
        first = clamp_month(date(t.year, t.month, 1), year)
    in_month = [e for e in queries.year_events(year) if services.overlaps_month(e.plan_date, first)]
    by_day: dict[int, list[Event]] = {}
    whole_month = []
    for e in sorted(in_month, key=services.event_sort_key):
        if e.plan_date.is_exact:
            by_day.setdefault(e.plan_date.start.day, []).append(e)
        else:
            whole_month.append(e)
    states = services.my_states(current_user, [e.id for e in in_month])
    weeks = pycalendar.Calendar(firstweekday=0).monthdayscalendar(first.year, first.month)
    starts = queries.plan_start_years()
    prev_first = date(first.year - (first.month == 1), (first.month - 2) % 12 + 1, 1)
    next_first = next_month_start(first)
    return render(
        "events/calendar.html", year=year, first=first, weeks=weeks, by_day=by_day, whole_month=whole_month,
        states=states, today=services.today(),
        prev_month=prev_first.strftime("%Y-%m") if school_year_start(prev_first) in starts else None,
        next_month=next_first.strftime("%Y-%m") if school_year_start(next_first) in starts else None,
    )


def _calendar_year() -> SchoolYear:
    """The calendar's school year: `?year=`, else the year holding `?month=` if there is a plan for it, else the
    current one (web.selected_year)."""
    first = month_arg()
    if year_arg() is None and first is not None:
        year = queries.year_of(school_year_start(first))
        if year is not None:
            return year
    return selected_year()


# ---------------------------------------------------------------- one event


def signup_context(event: Event, seats: services.Seats, state: services.MyState | None) -> dict:
    """The sign-up box of one event: seats, my state and what I may do."""
    return {
        "event": event,
        "seats": seats,
        "state": state,
        "refusal": services.signup_refusal(event),
        "cancel_refusal": services.self_cancel_refusal(event),
    }


def event_box_or_404(event_id: int, best_practice: bool = False) -> dict:
    """signup_context() of the event by id, read in one query, or 404."""
    found = services.event_with_box(event_id, current_user, best_practice=best_practice)
    if found is None:
        abort(404)
    return signup_context(*found)


@bp.route("/events/<int:event_id>")
@any_role
def show(event_id: int):
    """Everything about one event, with the sign-up box."""
    ctx = event_box_or_404(event_id, best_practice=True)
    notices = services.take_unread_notices(current_user)
    return render("events/show.html", notices=notices, is_past=queries.is_past(ctx["event"]), **ctx)


def _signup_reply(event_id: int, error: SignupError | None = None, message=None):
    """After a sign-up action: the refreshed box for htmx, else back to the page with a flash.

    `message` is a string, or a function of the user's registration status (read from the box's own query).
    """
    ctx = event_box_or_404(event_id)
    if is_htmx():
        # a message about the new state is left out: the box's badge says it («Вы записаны» once)
        compact = request.form.get("compact") == "1"
        return render(
            "events/_signup.html", fragment="events/_signup.html", status=error.status if error else 200,
            error=error.message if error else None, message=None if callable(message) else message,
            compact=compact, **ctx,
        )
    if callable(message):
        message = message(ctx["state"].status if ctx["state"] else None)
    if error:
        flash(error.message, "error")
    elif message:
        flash(message, "success")
    return redirect(next_arg(url_for("events.show", event_id=event_id)), 303)


def _signed_up_message(status: str | None) -> str:
    return "Вы записаны." if status == REG_REGISTERED else "Мест нет: вы в листе ожидания."


@bp.route("/events/<int:event_id>/register", methods=["POST"])
@librarian_required
def register(event_id: int):
    """Sign the current librarian up (a seat or the waiting list)."""
    try:
        services.register(event_id, current_user.id)  # a missing event: SignupError(404)
    except SignupError as e:
        if e.status == 404:
            abort(404)
        return _signup_reply(event_id, e)
    return _signup_reply(event_id, message=_signed_up_message)


@bp.route("/events/<int:event_id>/cancel", methods=["POST"])
@librarian_required
def cancel_registration(event_id: int):
    """Cancel the current librarian's own sign-up (up to the deadline)."""
    try:
        services.cancel(event_id, current_user.id)  # a missing event: SignupError(404)
    except SignupError as e:
        if e.status == 404:
            abort(404)
        return _signup_reply(event_id, e)
    return _signup_reply(event_id, message="Запись отменена.")


@bp.route("/events/<int:event_id>.ics")
@any_role
def event_ics(event_id: int):
    """One event as an iCalendar file."""
    event = get_event_or_404(event_id)
    if not event.plan_date.is_exact:
        return render("errors/error.html", status=404, code=404, title="День не назначен",
                      text="В календарь — когда будет назначен день: пока у мероприятия есть только "
                           f"срок «{event.plan_date.text()}».")
    return ics.ics_response([event], event.display_title, filename=f"event-{event.id}.ics")


# ---------------------------------------------------------------- my events, notices, calendar feed


def my_context() -> dict:
    """The librarian's sign-ups, upcoming and past, with marks; notices; the calendar feed link."""
    signups = services.my_signups(current_user)  # in plan order
    upcoming = [r for r in signups if not r.is_over]
    past = [r for r in reversed(signups) if r.is_over]
    recent = queries.recent_notices(current_user)
    unread = [n for n in recent if n.read_at is None]
    if unread:
        services.take_unread_notices(current_user)
    return {
        "upcoming": upcoming,
        "past": past,
        "recent_notices": recent,
        "unread_ids": {n.id for n in unread},
        "show_url": url_pattern("events.show", "event_id"),
        "feed_url": url_for("events.calendar_feed", token=current_user.calendar_token, _external=True)
        if current_user.calendar_token else None,
    }


@bp.route("/my/events")
@librarian_required
def my_events():
    """«Мои мероприятия»: upcoming and past sign-ups, attendance marks, notices."""
    return render("events/my_events.html", **my_context())


@bp.route("/my/calendar-token", methods=["POST"])
@librarian_required
def new_calendar_token():
    """Create (or replace) the secret link of the personal calendar feed."""
    services.new_calendar_token(current_user)
    flash("Создана новая ссылка на календарь. Старая ссылка больше не работает.", "success")
    return redirect(url_for("events.my_events"), 303)


@bp.route("/my/calendar-token/revoke", methods=["POST"])
@librarian_required
def revoke_calendar_token():
    """Revoke the personal calendar feed link."""
    services.revoke_calendar_token(current_user)
    flash("Ссылка на календарь отозвана.", "success")
    return redirect(url_for("events.my_events"), 303)


@bp.route("/calendar/<token>.ics")
def calendar_feed(token: str):
    """The personal feed of a librarian's registered events; the secret token is the only key."""
    if not token or len(token) > 64:
        abort(404)
    user = queries.feed_owner(token)
    if user is None:
        abort(404)
    return ics.ics_response(queries.registered_events(user), f"МО библиотекарей — {user.short_name}")


# ---------------------------------------------------------------- methodologist: create, edit, cancel


def _event_form(year, event: Event | None = None, **kw) -> EventForm:
    return EventForm(goals=year.goals, venues=queries.active_venues(), year_start=year.start_year, **kw)


def _form_page(form: EventForm, year, event: Event | None, status: int = 200):
    return render("events/form.html", fragment="events/_form.html", status=status, form=form, year=year,
                  event=event)


@bp.route("/events/new", methods=["GET", "POST"])
@methodologist_required
def new_event():
    """Create an event in the selected year."""
    year = selected_year()
    form = _event_form(year)
    if form.validate_on_submit():
        event = services.save_event(None, form.data_for_service(), year)
        flash("Мероприятие добавлено.", "success")
        return redirect(url_for("events.show", event_id=event.id), 303)
    return _form_page(form, year, None, 422 if form.errors else 200)


@bp.route("/events/validate", methods=["POST"])
@methodologist_required
def validate_event():
    """Inline validation of the event form: the error text of the field that changed."""
    year = selected_year()
    form = _event_form(year)
    form.validate()
    name = request.headers.get("HX-Trigger-Name") or request.args.get("field", "")
    errors = form.errors.get(name) if name in form else None
    from flask import render_template

    return render_template("events/_inline_error.html", errors=errors or [])


@bp.route("/events/<int:event_id>/edit", methods=["GET", "POST"])
@methodologist_required
def edit_event(event_id: int):
    """Edit an event; participants are notified of a new date or venue."""
    event = get_event_or_404(event_id)
    form = _event_form(event.year)
    if request.method == "GET":
        form.fill_from(event)
    elif form.validate():
        try:
            services.save_event(event, form.data_for_service(), event.year)
        except SignupError as e:
            form.capacity.errors = [*form.capacity.errors, e.message]
            return _form_page(form, event.year, event, 422)
        flash("Изменения сохранены.", "success")
        return redirect(url_for("events.show", event_id=event_id), 303)
    return _form_page(form, event.year, event, 422 if form.errors else 200)


@bp.route("/events/<int:event_id>/duplicate", methods=["POST"])
@methodologist_required
def duplicate_event(event_id: int):
    """Copy an event (closed for sign-up, no participants) and open its edit form."""
    copy = services.duplicate_event(get_event_or_404(event_id))
    flash("Создана копия мероприятия (запись закрыта). Проверьте дату и откройте запись.", "success")
    return redirect(url_for("events.edit_event", event_id=copy.id), 303)


@bp.route("/events/<int:event_id>/cancel-event", methods=["GET", "POST"])
@methodologist_required
def cancel_event(event_id: int):
    """Cancel an event: participants get a notice, registrations stay as history."""
    event = get_event_or_404(event_id)
    form = CancelEventForm()
    if form.validate_on_submit():
        try:
            n = services.cancel_event(event, (form.reason.data or "").strip())
        except SignupError as e:
            flash(e.message, "error")
            return redirect(url_for("events.show", event_id=event_id), 303)
        flash(f"Мероприятие отменено; уведомлено участников: {n}.", "success")
        return redirect(url_for("events.show", event_id=event_id), 303)
    return render("events/cancel.html", form=form, event=event, status=422 if form.errors else 200)


# ---------------------------------------------------------------- methodologist: participants, attendance


def participant_lists(event: Event, statuses=(REG_REGISTERED, REG_WAITING, REG_CANCELLED)) -> dict:
    """The event's sign-ups of `statuses` with their people and schools: registered (by name), the waiting
    list (in order), cancelled (by when)."""
    regs = queries.registrations(event, statuses)
    return {
        "registered": sorted((r for r in regs if r.status == REG_REGISTERED), key=lambda r: r.user.full_name),
        "waiting": sorted((r for r in regs if r.status == REG_WAITING), key=lambda r: (r.queued_at, r.id)),
        "cancelled": sorted((r for r in regs if r.status == REG_CANCELLED),
                            key=lambda r: r.cancelled_at or r.created_at),
    }


def participants_context(event: Event) -> dict:
    """The event's participants: registered (by surname), the waiting list (in order), cancelled; the
    librarians who may be added as walk-ins."""
    lists = participant_lists(event)
    taken = {r.user_id for r in lists["registered"] + lists["waiting"]}
    librarians = queries.active_librarians()
    return {
        "event": event,
        **lists,
        "seats": services.Seats(event.capacity, len(lists["registered"]), len(lists["waiting"])),
        "walk_in_choices": [u for u in librarians if u.id not in taken],
        "attendance_choices": services.ATTENDANCE_VALUES,
        "hx": is_htmx(),
    }


@bp.route("/events/<int:event_id>/participants")
@methodologist_required
def participants(event_id: int):
    """Participants of an event: lists, adding on their behalf, attendance marks."""
    event = get_event_or_404(event_id)
    return render("events/participants.html", fragment="events/_participants.html", **participants_context(event))


@bp.route("/events/<int:event_id>/participants/search")
@methodologist_required
def search_librarians(event_id: int):
    """Active search of librarians to add (not already on the lists)."""
    event = get_event_or_404(event_id)
    q = (request.args.get("q") or "").strip()[:200]
    beginners = request.args.get("beginners") == "1"
    users = queries.librarians_to_add(event, q, beginners) if (q or beginners) else []
    return render("events/_search_results.html", fragment="events/_search_results.html", users=users, q=q,
                  event=event, beginners=beginners)


@bp.route("/events/<int:event_id>/participants/add", methods=["POST"])
@methodologist_required
def add_participants(event_id: int):
    """Sign up several librarians at once on their behalf (seats first, then the waiting list)."""
    event = get_event_or_404(event_id)
    ids = [int(x) for x in request.form.getlist("user_id") if x.isdecimal()]
    added, problems = [], []
    for uid in ids:
        try:
            reg = services.register(event.id, uid, by=current_user)
            added.append(reg)
        except SignupError as e:
            problems.append(e.message)
    if not ids:
        problems.append("Отметьте, кого записать.")
    on_seat = sum(1 for r in added if r.status == REG_REGISTERED)
    if added:
        msg = f"Записано: {on_seat}"
        if len(added) - on_seat:
            msg += f", в лист ожидания: {len(added) - on_seat}"
        flash(msg + ".", "success")
    for p in problems:
        flash(p, "error")
    return _participants_reply(event_id)


@bp.route("/events/<int:event_id>/participants/<int:reg_id>/remove", methods=["POST"])
@methodologist_required
def remove_participant(event_id: int, reg_id: int):
    """Cancel someone's sign-up (kept as history); the first on the waiting list takes the seat."""
    event = get_event_or_404(event_id)
    reg = get_registration_or_404(event, reg_id)
    try:
        promoted = services.cancel(event.id, reg.user_id, by=current_user)
        msg = f"Запись {reg.user.short_name} отменена."
        if promoted:
            msg += " Из листа ожидания записан(а): " + ", ".join(
                p.user.short_name for p in promoted) + "."
        flash(msg, "success")
    except SignupError as e:
        flash(e.message, "error")
    return _participants_reply(event_id)


@bp.route("/events/<int:event_id>/participants/<int:reg_id>/move-up", methods=["POST"])
@methodologist_required
def move_up(event_id: int, reg_id: int):
    """Move someone from the waiting list onto a seat."""
    event = get_event_or_404(event_id)
    reg = get_registration_or_404(event, reg_id)
    try:
        services.move_up(event.id, reg.id, current_user)
        flash(f"{reg.user.short_name}: переведен(а) из листа ожидания в участники.", "success")
    except SignupError as e:
        flash(e.message, "error")
    return _participants_reply(event_id)


def _participants_reply(event_id: int):
    """The participants box for htmx, else back to the participants page."""
    if is_htmx():
        event = get_event_or_404(event_id)
        return render("events/_participants.html", fragment="events/_participants.html",
                      **participants_context(event))
    return redirect(url_for("events.participants", event_id=event_id), 303)


@bp.route("/events/<int:event_id>/attendance/<int:reg_id>", methods=["POST"])
@methodologist_required
def mark_attendance(event_id: int, reg_id: int):
    """One participant's attendance mark (one click, the row comes back)."""
    event = get_event_or_404(event_id)
    reg = get_registration_or_404(event, reg_id)
    status = 200
    error = None
    try:
        services.mark_attendance(reg, request.form.get("value", ""))
    except SignupError as e:
        status, error = e.status, e.message
    if not is_htmx():
        if error:
            flash(error, "error")
        return redirect(url_for("events.participants", event_id=event_id), 303)
    reg = get_registration_or_404(event, reg_id)
    return render("events/_attendance_row.html", fragment="events/_attendance_row.html", status=status,
                  event=event, reg=reg, error=error, attendance_choices=services.ATTENDANCE_VALUES,
                  n=request.form.get("n", ""))


@bp.route("/events/<int:event_id>/attendance/all-present", methods=["POST"])
@methodologist_required
def mark_all_present(event_id: int):
    """Mark every registered participant without a mark as present."""
    event = get_event_or_404(event_id)
    n = services.mark_all_present(event)
    flash(f"Отмечено присутствующими: {n}.", "success")
    return _participants_reply(event_id)


@bp.route("/events/<int:event_id>/walk-in", methods=["POST"])
@methodologist_required
def add_walk_in(event_id: int):
    """A librarian who came without signing up: registered and marked present."""
    event = get_event_or_404(event_id)
    uid = request.form.get("user_id", "")
    if not uid.isdecimal():
        flash("Выберите, кто пришёл.", "error")
    else:
        try:
            services.register(event.id, int(uid), by=current_user, walk_in=True)
            flash("Пришедший добавлен и отмечен присутствующим.", "success")
        except SignupError as e:
            flash(e.message, "error")
    return _participants_reply(event_id)


# ---------------------------------------------------------------- exports and the sign-in sheet

EXPORT_HEADER = ["№", "ФИО", "ОУ", "Статус", "Отметка"]


def _export_rows(event: Event) -> list[list]:
    ctx = participant_lists(event, (REG_REGISTERED, REG_WAITING))
    rows = []
    for i, r in enumerate(ctx["registered"] + ctx["waiting"], start=1):
        status = r.status_label + (" (пришёл без записи)" if r.is_walk_in else "")
        org = r.user.organization.short_name if r.user.organization else ""
        rows.append([i, r.user.full_name, org, status, r.attendance_label])
    return rows


@bp.route("/events/<int:event_id>/participants.csv")
@methodologist_required
def participants_csv(event_id: int):
    """Participants as CSV for Excel (UTF-8 with BOM, `;`)."""
    event = get_event_or_404(event_id)
    return csv_response(f"участники-{event.id}.csv", EXPORT_HEADER, _export_rows(event))


@bp.route("/events/<int:event_id>/participants.xlsx")
@methodologist_required
def participants_xlsx(event_id: int):
    """Participants as an XLSX workbook, kept per data stamp (like the sign-in sheet)."""
    stamp = current_stamp()
    event = get_event_or_404(event_id)
    data = kept_document(stamp, ("events.participants.xlsx", event.id), lambda: xlsx_bytes(
        [("Участники", EXPORT_HEADER, _export_rows(event))], widths={1: 5, 2: 36, 3: 24, 4: 20, 5: 22}))
    return xlsx_download(data, f"участники-{event.id}.xlsx")


def sheet_people(event: Event) -> list[Registration]:
    """Who the sign-in sheet lists: the registered people, by name."""
    return participant_lists(event, (REG_REGISTERED,))["registered"]


@bp.route("/events/<int:event_id>/sign-in-sheet.pdf")
@methodologist_required
def sign_in_sheet_pdf(event_id: int):
    """The sign-in sheet (лист регистрации) as a PDF (A4): the registered people and five blank rows; kept per
    data stamp."""
    stamp = current_stamp()
    event = get_event_or_404(event_id)
    data = kept_document(stamp, ("events.sign_in_sheet.pdf", event.id), lambda: render_document(
        "sign_in_sheet", lambda: sign_in_sheet_data(event, sheet_people(event), blank_rows=5, stamp=stamp)))
    return pdf_response(data, f"лист-регистрации-{event.id}.pdf")


# ---------------------------------------------------------------- consultations


def consultations_context(form: ConsultationRequestForm | None = None) -> dict:
    """The context of the consultations page (the page, and the request form with errors)."""
    year = selected_year()
    if form is None and current_user.is_librarian:
        form = ConsultationRequestForm(topics=queries.consultation_topics(year.id))
    return {
        "year": year,
        "requests": queries.consultation_requests(year, current_user),
        "form": form,
        "statuses": CONSULTATION_STATUSES,
        "actions": CONSULTATION_ACTIONS,
        "group_consultations": queries.group_consultations(year.id),
    }


def get_consultation_or_404(req_id: int, user) -> ConsultationRequest:
    """The consultation request `user` may see, else 404."""
    req = queries.consultation_request(req_id, user)
    if req is None:
        abort(404)
    return req


@bp.route("/consultations")
@any_role
def consultations():
    """Consultation requests: the librarian's own with a request form; all of them for the methodologist."""
    return render("events/consultations.html", **consultations_context())


@bp.route("/consultations/new", methods=["POST"])
@librarian_required
def request_consultation():
    """A librarian asks for an individual consultation."""
    year = selected_year()
    form = ConsultationRequestForm(topics=queries.consultation_topics(year.id))
    if form.validate_on_submit():
        try:
            services.ask_for_consultation(year, current_user, form.topic_event_id.data, form.topic.data,
                                          form.preferred_dates.data)
        except SignupError as exc:
            form.topic.errors = [*form.topic.errors, exc.message]
            return render("events/consultations.html", status=exc.status, **consultations_context(form))
        flash("Заявка на консультацию отправлена методисту.", "success")
        return redirect(url_for("events.consultations"), 303)
    return render("events/consultations.html", status=422, **consultations_context(form))


@bp.route("/consultations/<int:req_id>", methods=["POST"])
@methodologist_required
def handle_consultation(req_id: int):
    """The methodologist schedules, answers, marks held or declines a request."""
    req = get_consultation_or_404(req_id, current_user)
    form = ConsultationHandleForm(year_start=queries.consultation_year_start(req))
    if not form.validate_on_submit():
        for name, errs in form.errors.items():
            label = getattr(form, name).label.text if name in form else name
            flash(f"{label}: {' '.join(errs)}", "error")
        return redirect(url_for("events.consultations"), 303)
    try:
        services.handle_consultation(
            req, current_user, form.action.data, scheduled_date=form.scheduled_date.data,
            scheduled_time=form.scheduled_time.data, place=form.place.data, answer=form.answer.data,
            held_note=form.held_note.data,
        )
    except SignupError as exc:
        flash(exc.message, "error")
    else:
        flash("Заявка обновлена.", "success")
    return redirect(url_for("events.consultations"), 303)


@bp.app_template_global()
def signup_seats_text(seats) -> str:
    """«осталось 3 места из 20», «мест нет», «без ограничения мест»."""
    return services.seats_text(seats)

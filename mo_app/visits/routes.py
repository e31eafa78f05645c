"""Routes of the visits area: planner, list, the visit with its report, printing, recommendations.

Each parses the request, calls the read side (queries) or the write side (services) and renders; a change the
service refuses (VisitError) is answered with its message and status by the blueprint's error handler."""

from __future__ import annotations

from datetime import date

from flask import Response, flash, redirect, render_template, request, url_for
from flask_login import current_user

from .. import dates
from ..cache import current_stamp, use_stamp
from ..dates import short_date
from ..documents import render_document, render_pdf, rendering
from ..documents.kept import kept_document
from ..documents.papers import register_data, spravka_data
from ..errors import error_response
from ..exports import xlsx_bytes, xlsx_download
from ..models import Visit
from ..models.visits import VISIT_STATUSES
from ..plan.years import year_among, years_with_stamp
from ..printing import pdf_response
from ..setup.queries import EMPTY_LETTERHEAD
from ..web import (
    any_role,
    as_id,
    date_arg,
    id_arg,
    is_htmx,
    methodologist_required,
    page_arg,
    referrer_target,
    render,
    role_required,
    selected_year,
    url_pattern,
    year_month_arg,
)
from . import bp, queries, services
from .forms import (
    CellPlanForm,
    ChecklistForm,
    DateForm,
    DoneForm,
    HeldForm,
    PlanForm,
    PurposesForm,
    ReasonForm,
    ReturnForm,
    month_choices,
    plan_date_from,
)

STALE_MESSAGE = (
    "Справку уже изменили в другой вкладке или другой пользователь (или она завершена). "
    "Ваши последние изменения НЕ сохранены: обновите страницу и внесите их снова."
)

bp.add_app_template_global(queries.visit_badge)


@bp.errorhandler(services.VisitError)
def _refused(e: services.VisitError):
    """A change the rules refuse: its Russian message with its status (409, 404...)."""
    return error_response(e.status, e.message)


@bp.app_template_global()
def rec_urls() -> dict[str, str]:
    """The links of a recommendation row, as patterns for its id (the visit's id for `visit`)."""
    return {
        "visit": url_pattern("visits.show", "visit_id"),
        "done": url_pattern("visits.rec_done", "rec_id"),
        "accept": url_pattern("visits.rec_accept", "rec_id"),
        "back": url_pattern("visits.rec_return", "rec_id"),
    }


# --- the planner and the list -------------------------------------------------------------------


@bp.route("/visits")
@any_role
def index():
    """The visits planner of a school year: schools × the plan's purposes, 50 schools a page (its data and its
    table kept per data stamp: queries.planner_data and the template's {% cache %})."""
    years, stamp = years_with_stamp()
    use_stamp(stamp)
    year = year_among(years)
    q = (request.args.get("q") or "").strip()[:100]
    data = queries.planner_data(year, current_user, q, page_arg(), stamp)
    return render("visits/index.html", **data, year=year, years=years, months=month_choices(year.start_year),
                  q=q, visit_url=url_pattern("visits.show", "visit_id"))


@bp.route("/visits/plan-cell", methods=["POST"])
@methodologist_required
def plan_cell():
    """Plan a visit from a planner cell in one click; returns the updated cell."""
    form = CellPlanForm()
    purpose, school = queries.get_cell_or_404(form.purpose.data, form.school.data)
    year = purpose.year
    services.check_plannable(year)
    form.year_start = year.start_year
    form.month.choices = [("", "—")] + month_choices(year.start_year)
    ctx = {"school": school, "purpose": purpose, "months": month_choices(year.start_year), "year": year}
    if not form.validate_on_submit():
        visits = queries.cell_visits(school.id, purpose.id)
        return render_template("visits/_cell.html", form=form, visits=visits, is_target=True, **ctx), 422
    services.plan_visit(year, school, [purpose], plan_date_from(form.month.data, form.day.data), current_user)
    if not is_htmx():
        flash("Посещение запланировано.", "success")
        return redirect(url_for("visits.index", year=year.start_year), code=303)
    visits = queries.cell_visits(school.id, purpose.id)
    # the cell, and «Всего посещений» above the table swapped out-of-band (visits/_visit_count.html)
    return render_template("visits/_cell.html", form=None, visits=visits, is_target=True,
                           visit_count=queries.year_visit_count(year.id), **ctx)


@bp.route("/visits/list")
@any_role
def list_visits():
    """All visits of the year as a list, with filters: school, purpose, status, month.

    The list itself is kept per data stamp and filters ({% cache %} in visits/_list_body.html); the filters
    around it are drawn on every request."""
    years, stamp = years_with_stamp()
    use_stamp(stamp)
    year = year_among(years)
    args = {k: (request.args.get(k) or "").strip()[:20] for k in ("school", "purpose", "status")}
    month = year_month_arg(year)
    args["month"] = month.strftime("%Y-%m") if month else ""
    number = page_arg()
    own = queries.own_school_id(current_user)
    return render(
        "visits/list.html", fragment="visits/_list_body.html", year=year, years=years, args=args,
        list_key=tuple(sorted(args.items())), number=number,
        visits_page=lambda: queries.visits_page(year, current_user, args, number),
        urls={"show": url_pattern("visits.show", "visit_id"), "report": url_pattern("visits.report_pdf", "visit_id")},
        school_options=queries.school_options(stamp, as_id(args["school"])) if own is None else "",
        purposes=queries.year_purposes(year.id), statuses=VISIT_STATUSES, months=month_choices(year.start_year),
    )


@bp.route("/visits/new", methods=["GET", "POST"])
@methodologist_required
def new_visit():
    """Plan a visit: one or several of the plan's purposes, or an unplanned one."""
    year = selected_year()
    services.check_plannable(year)
    form = PlanForm(year_start=year.start_year)
    schools = queries.active_schools()
    purposes = queries.year_purposes(year.id)
    form.school.choices = [(0, "— выберите школу —")] + [(s.id, s.short_name) for s in schools]
    form.purposes.choices = [(p.id, p.title) for p in purposes]
    form.month.choices = [("", "—")] + month_choices(year.start_year)
    if request.method == "GET" and (school_id := id_arg("school")) is not None:
        form.school.data = school_id
    if form.validate_on_submit():
        school = next((s for s in schools if s.id == form.school.data), None)
        chosen = [p for p in purposes if p.id in (form.purposes.data or [])]
        if school is None:
            form.school.errors.append("Выберите школу.")
        elif not chosen and not form.unplanned.data:
            form.purposes.errors.append("Отметьте хотя бы одну цель или «Внеплановое посещение».")
        else:
            visit = services.plan_visit(year, school, chosen, plan_date_from(form.month.data, form.day.data),
                                        current_user, form.unplanned.data)
            flash("Посещение запланировано.", "success")
            return redirect(url_for("visits.show", visit_id=visit.id), code=303)
    return render("visits/new.html", form=form, year=year, status=422 if form.errors else 200)


# --- the visit ----------------------------------------------------------------------------------


def _visit_forms(visit: Visit, all_purposes: list) -> dict:
    """The methodologist's forms on the visit page, empty."""
    date_form = DateForm(formdata=None)
    date_form.month.choices = [("", "—")] + month_choices(visit.year.start_year)
    purposes_form = PurposesForm(formdata=None, purposes=[p.id for p in visit.purposes],
                                 unplanned=visit.is_unplanned)
    purposes_form.purposes.choices = [(p.id, p.title) for p in all_purposes]
    return {
        "date_form": date_form, "held_form": HeldForm(formdata=None), "cancel_form": ReasonForm(formdata=None),
        "reopen_form": ReasonForm(formdata=None), "purposes_form": purposes_form,
    }


def _show(visit: Visit, status: int = 200, stamp: str | None = None, **overrides):
    """The visit page. Its librarians, earlier visits, history, a final report's document and the
    recommendations are {% cache %} blocks of visits/show.html, kept per data `stamp` when the caller read one
    before any data (mo_app/cache.py; without it, as after a refused form, they are drawn afresh): what they
    show is passed as functions, read only when a block is drawn."""
    use_stamp(stamp)
    ctx = queries.visit_page_context(visit, current_user)
    report = ctx["report"]
    ctx.update(
        visit_recs=queries.visit_recs_once(visit, report),
        visit_history=lambda: queries.visit_history(visit, report),
        school_librarians=lambda: queries.school_librarians(visit),
        earlier_visits=lambda: queries.earlier_visits(visit),
        report_doc=services.report_doc, letterhead=EMPTY_LETTERHEAD,
    )
    if current_user.is_methodologist:
        ctx.update(_visit_forms(visit, ctx["all_purposes"]))
    ctx.update(overrides)
    return render("visits/show.html", status=status, **ctx)


@bp.route("/visits/<int:visit_id>")
@any_role
def show(visit_id: int):
    """The visit: school, date, purposes, librarians, earlier visits, open recommendations, the report."""
    visit, stamp = queries.load_visit(visit_id, current_user, full=True)
    return _show(visit, stamp=stamp)


@bp.route("/visits/<int:visit_id>/date", methods=["POST"])
@methodologist_required
def change_date(visit_id: int):
    """Set a new date (month or day); the old one is kept in the history."""
    visit = queries.get_visit_or_404(visit_id, current_user, full=True)
    services.check_dates_editable(visit)  # before the form: the page offers no date form then
    form = DateForm(year_start=visit.year.start_year)
    form.month.choices = [("", "—")] + month_choices(visit.year.start_year)
    if not form.validate_on_submit():
        return _show(visit, status=422, date_form=form)
    services.change_date(visit, plan_date_from(form.month.data, form.day.data), (form.reason.data or "").strip(),
                         current_user, postpone=form.postpone.data)
    flash("Дата посещения изменена.", "success")
    return redirect(url_for("visits.show", visit_id=visit.id), code=303)


@bp.route("/visits/<int:visit_id>/purposes", methods=["POST"])
@methodologist_required
def edit_purposes(visit_id: int):
    """Change the purposes the visit serves."""
    visit = queries.get_visit_or_404(visit_id, current_user, full=True)
    services.check_purposes_editable(visit)
    form = PurposesForm()
    purposes = queries.year_purposes(visit.year_id)
    form.purposes.choices = [(p.id, p.title) for p in purposes]
    chosen = [p for p in purposes if p.id in (form.purposes.data or [])]
    if not form.validate_on_submit() or (not chosen and not form.unplanned.data):
        form.purposes.errors = list(form.purposes.errors) + ["Отметьте хотя бы одну цель или «Внеплановое»."]
        return _show(visit, status=422, purposes_form=form)
    services.set_purposes(visit, chosen, form.unplanned.data)
    flash("Цели посещения сохранены.", "success")
    return redirect(url_for("visits.show", visit_id=visit.id), code=303)


@bp.route("/visits/<int:visit_id>/held", methods=["POST"])
@methodologist_required
def mark_held(visit_id: int):
    """Mark the visit held (optionally on a given day) and start its report."""
    visit = queries.get_visit_or_404(visit_id, current_user, full=True)
    services.check_holdable(visit)
    form = HeldForm(year_start=visit.year.start_year)
    if not form.validate_on_submit():
        return _show(visit, status=422, held_form=form)
    services.mark_held(visit, form.day.data, current_user)
    flash("Посещение отмечено проведённым. Заполните справку.", "success")
    return redirect(url_for("visits.show", visit_id=visit.id, _anchor="report"), code=303)


@bp.route("/visits/<int:visit_id>/cancel", methods=["POST"])
@methodologist_required
def cancel(visit_id: int):
    """Cancel the visit with a reason."""
    visit = queries.get_visit_or_404(visit_id, current_user, full=True)
    services.check_cancellable(visit)
    form = ReasonForm()
    if not form.validate_on_submit():
        return _show(visit, status=422, cancel_form=form)
    services.cancel_visit(visit, form.reason.data.strip())
    flash("Посещение отменено.", "success")
    return redirect(url_for("visits.show", visit_id=visit.id), code=303)


@bp.route("/visits/<int:visit_id>/restore", methods=["POST"])
@methodologist_required
def restore(visit_id: int):
    """Put a cancelled visit back into the plan."""
    visit = queries.get_visit_or_404(visit_id, current_user)
    services.restore_visit(visit)
    flash("Посещение возвращено в план.", "success")
    return redirect(url_for("visits.show", visit_id=visit.id), code=303)


# --- the report ---------------------------------------------------------------------------------


def _posted_version() -> int | None:
    raw = request.form.get("version", "")
    return int(raw) if raw.isdecimal() else None


def _report_refused(status: int, message: str):
    """A draft not saved: the autosave's status line (htmx) or the error page."""
    if is_htmx():
        return render_template("visits/_save_status.html", error=message), status
    return error_response(status, message)


@bp.route("/visits/<int:visit_id>/report/save", methods=["POST"])
@methodologist_required
def save_report(visit_id: int):
    """Autosave of the draft (htmx on change): saved only if the posted version is still current."""
    report = queries.get_report_or_404(visit_id, current_user)
    try:
        report, new_ids = services.save_draft(report.id, _posted_version(), request.form, current_user)
    except services.StaleReport:
        return _report_refused(409, STALE_MESSAGE)
    except services.ReportInvalid as e:
        return _report_refused(422, "Не сохранено: " + " ".join(dict.fromkeys(e.errors.values())))
    if is_htmx():
        return render_template(
            "visits/_save_status.html", saved_at=dates.local_datetime(report.updated_at, "HH:mm"),
            version=report.version, new_ids=new_ids,
        )
    flash(f"Черновик сохранён в {dates.local_datetime(report.updated_at, 'HH:mm')}.", "success")
    return redirect(url_for("visits.show", visit_id=visit_id, _anchor="report"), code=303)


@bp.route("/visits/<int:visit_id>/report/finalise", methods=["POST"])
@methodologist_required
def finalise_report(visit_id: int):
    """Save the form and finalise the report: it is locked, who and when are recorded."""
    report = queries.get_report_or_404(visit_id, current_user)
    try:
        services.finalise(report.id, _posted_version(), request.form, current_user)
    except services.StaleReport:
        return _report_refused(409, STALE_MESSAGE)
    except services.ReportInvalid as e:
        return _report_refused(422, " ".join(dict.fromkeys(e.errors.values())))
    flash("Справка завершена и закрыта для изменений.", "success")
    target = url_for("visits.show", visit_id=visit_id)
    if is_htmx():
        return Response(status=200, headers={"HX-Redirect": target})
    return redirect(target, code=303)


@bp.route("/visits/<int:visit_id>/report/reopen", methods=["POST"])
@methodologist_required
def reopen_report(visit_id: int):
    """Reopen a finalised report with a reason; the finalised version is kept in the history."""
    visit = queries.get_visit_or_404(visit_id, current_user, full=True)
    services.check_reopenable(visit)
    form = ReasonForm()
    if not form.validate_on_submit():
        return _show(visit, status=422, reopen_form=form)
    try:
        services.reopen(visit, form.reason.data.strip(), current_user)
    except services.StaleReport:
        return error_response(409, "Справку уже переоткрыли.")
    flash("Справка переоткрыта; завершённая версия сохранена в истории.", "success")
    return redirect(url_for("visits.show", visit_id=visit_id, _anchor="report"), code=303)


@bp.route("/visits/<int:visit_id>/acknowledge", methods=["POST"])
@role_required("librarian")
def acknowledge(visit_id: int):
    """The school's librarian confirms «Ознакомлен(а)» with the finalised report."""
    services.acknowledge(queries.get_visit_or_404(visit_id, current_user), current_user)
    flash("Отмечено: со справкой ознакомлен(а).", "success")
    return redirect(url_for("visits.show", visit_id=visit_id, _anchor="report"), code=303)


@bp.route("/visits/checklist", methods=["GET", "POST"])
@methodologist_required
def checklist():
    """The year's checklist for visit reports (reports already started keep their own items)."""
    year = selected_year()
    form = ChecklistForm()
    if form.validate_on_submit():
        titles = [t.strip() for t in form.items.data.splitlines() if t.strip()]
        if not titles:
            form.items.errors.append("Перечень не может быть пустым.")
        elif any(len(t) > 1000 for t in titles):
            form.items.errors.append("Пункт не длиннее 1000 символов.")
        else:
            services.replace_checklist(year, titles)
            flash("Перечень вопросов сохранён.", "success")
            return redirect(url_for("visits.checklist", year=year.start_year), code=303)
    elif request.method == "GET":
        form.items.data = "\n".join(queries.checklist_titles(year))
    return render("visits/checklist.html", form=form, year=year, status=422 if form.errors else 200)


# --- printing -----------------------------------------------------------------------------------


def _report_name(visit: Visit, number: int | None = None) -> str:
    suffix = f" версия {number}" if number else ""
    return f"Справка {visit.organization.short_name} {short_date(visit.date_start)}{suffix}.pdf"


@bp.route("/visits/<int:visit_id>/report.pdf")
@any_role
def report_pdf(visit_id: int):
    """The report as a PDF: a final one exactly as issued (its stored bytes); a draft (or a report final since
    before papers were kept) made from its data, kept per data stamp (every edit renews the stamp)."""
    stamp = current_stamp()
    report = queries.get_report_or_404(visit_id, current_user, full=True)
    version = queries.current_version(report)
    if version is not None:
        return pdf_response(version.pdf, _report_name(report.visit))
    data = kept_document(stamp, ("visits.report.pdf", report.id), lambda: render_document(
        "spravka", lambda: spravka_data([services.report_doc(report)], stamp=stamp)))
    return pdf_response(data, _report_name(report.visit))


@bp.route("/visits/<int:visit_id>/versions/<int:number>.pdf")
@any_role
def version_pdf(visit_id: int, number: int):
    """Issued version `number` of the report, byte for byte as issued (same access as the report)."""
    report = queries.get_report_or_404(visit_id, current_user, full=True)
    version = queries.get_version_or_404(report, number)
    if version.sha256 is None:  # kept before papers were stored: printed from its data as kept
        return pdf_response(render_document("spravka", spravka_data([version.data])),
                            _report_name(report.visit, number))
    return pdf_response(version.pdf, _report_name(report.visit, number))


@bp.route("/visits/reports.pdf")
@any_role
def reports_pdf():
    """All finalised reports of a period (and of a school) in one PDF, each as issued; kept per data stamp."""
    stamp = current_stamp()
    start, end = date_arg("from"), date_arg("to")
    school_id = id_arg("school")
    own = queries.own_school_id(current_user)
    if own is not None:
        school_id = own
    reports = queries.reports_in_period(start, end, school_id)
    if not reports:
        return error_response(404, "За этот период завершённых справок нет.")
    data = kept_document(stamp, ("visits.reports.pdf", start, end, school_id), lambda: render_document(
        "spravka", lambda: spravka_data(services.period_papers(reports), stamp=stamp)))
    return pdf_response(data, "Справки по итогам посещений.pdf")


def _register_period() -> tuple[date, date]:
    start, end = date_arg("from"), date_arg("to")
    if start is None or end is None:
        year = selected_year()
        start = start or date(year.start_year, 9, 1)
        end = end or date(year.start_year + 1, 8, 31)
    return start, end


def _register_table(register: list[queries.RegisterRow]) -> list[list]:
    rows = []
    for n, (v, purposes, report_status, acknowledged, recommendations) in enumerate(register, start=1):
        report_text = "—"
        if report_status is not None:
            report_text = "завершена" if report_status == "final" else "черновик"
            if acknowledged:
                report_text += ", ознакомлен(а)"
        rows.append([
            n, v.plan_date.text(), v.organization.short_name,
            "; ".join(purposes) or ("внеплановое" if v.is_unplanned else ""),
            v.status_label + (f" ({v.status_reason})" if v.status_reason else ""), report_text,
            recommendations,
        ])
    return rows


REGISTER_HEADER = ["№", "Дата", "Школа", "Цель посещения", "Статус", "Справка", "Рекомендаций"]


@bp.route("/visits/register.pdf")
@methodologist_required
def register_pdf():
    """The visits register (журнал посещений) for a period, as PDF (kept per data stamp)."""
    stamp = current_stamp()
    start, end = _register_period()

    def build() -> bytes:
        with rendering():
            rows = _register_table(queries.register_rows(start, end))
            return render_pdf("register", register_data(REGISTER_HEADER, rows, start, end, stamp))

    return pdf_response(kept_document(stamp, ("visits.register.pdf", start, end), build), "Журнал посещений.pdf")


@bp.route("/visits/register.xlsx")
@methodologist_required
def register_xlsx():
    """The visits register (журнал посещений) for a period, as XLSX (kept per data stamp)."""
    stamp = current_stamp()
    start, end = _register_period()

    def build() -> bytes:
        rows = _register_table(queries.register_rows(start, end))
        return xlsx_bytes([("Журнал посещений", REGISTER_HEADER, rows)])

    return xlsx_download(kept_document(stamp, ("visits.register.xlsx", start, end), build), "Журнал посещений.xlsx")


# --- recommendations ----------------------------------------------------------------------------


@bp.route("/recommendations")
@any_role
def recommendations():
    """Open and overdue recommendations: across schools (methodologist) or of one's own school. The counters are
    kept per data stamp (queries.recommendation_counts), the list in visits/_rec_list.html's {% cache %}."""
    today = dates.today()
    status = request.args.get("status", "active")
    if status not in ("active", "done", "all"):
        status = "active"
    overdue_only = request.args.get("overdue") == "1"
    own = queries.own_school_id(current_user)
    school_id = own if own is not None else id_arg("school")
    number = page_arg()
    stamp = use_stamp(current_stamp())  # before the data: the list, its counters and the schools are kept per stamp
    return render(
        "visits/recommendations.html", fragment="visits/_rec_list.html", today=today, rec_status=status,
        overdue_only=overdue_only, school_id=school_id, number=number,
        rec_page=lambda: queries.recommendations_page(school_id, status, overdue_only, today, number,
                                                      queries.PER_PAGE, stamp)[0],
        # the page around the list (not in an htmx reply): the counters and the school filter
        counts=None if is_htmx() else queries.recommendation_counts(school_id, status, overdue_only, today, stamp),
        school_options=queries.school_options(stamp, school_id) if own is None and not is_htmx() else "",
    )


def _current_rec_counts() -> dict | None:
    """The recommendations page's counters for the filters of the page the htmx request came from (None from
    another page: the visit page has no counters)."""
    from urllib.parse import parse_qs, urlsplit

    url = urlsplit(request.headers.get("HX-Current-URL", ""))
    if url.path != url_for("visits.recommendations"):
        return None
    args = {k: v[0] for k, v in parse_qs(url.query).items()}
    status = args.get("status", "active") if args.get("status") in ("active", "done", "all") else "active"
    own = queries.own_school_id(current_user)
    school_id = own if own is not None else (int(args["school"]) if args.get("school", "").isdigit() else None)
    return queries.recommendation_counts(school_id, status, args.get("overdue") == "1", dates.today(),
                                         use_stamp(current_stamp()))


def _rec_row(rec_id: int, status: int = 200, message: str | None = None, **forms):
    """The recommendation's row (htmx; without htmx a page with the row, for a form with errors), or back to
    the list with a flash message."""
    if is_htmx() or status >= 400:
        row = queries.listed_rec(rec_id)
        if is_htmx():
            # the row, and the counters above the list swapped out-of-band (visits/_rec_counts.html) on a change
            return render_template("visits/_rec_rows.html", recs=[row], today=dates.today(),
                                   oob_counts=None if status >= 400 else _current_rec_counts(), **forms), status
        return render_template("visits/rec_one.html", rec=row, today=dates.today(), **forms), status
    if message:
        flash(message, "success")
    return redirect(referrer_target(url_for("visits.recommendations")), code=303)


@bp.route("/recommendations/<int:rec_id>/done", methods=["POST"])
@role_required("librarian")
def rec_done(rec_id: int):
    """The librarian marks a recommendation done, with a comment."""
    rec = queries.get_recommendation_or_404(rec_id, current_user)
    services.check_reportable(rec)
    form = DoneForm()
    if not form.validate_on_submit():
        return _rec_row(rec.id, 422, done_form=form)
    services.report_done(rec, form.comment.data.strip(), current_user)
    return _rec_row(rec.id, message="Рекомендация отмечена выполненной.")


@bp.route("/recommendations/<int:rec_id>/accept", methods=["POST"])
@methodologist_required
def rec_accept(rec_id: int):
    """The methodologist accepts the recommendation as done."""
    rec = queries.get_recommendation_or_404(rec_id, current_user)
    services.review(rec, accept=True, note=None, by=current_user)
    return _rec_row(rec.id, message="Выполнение принято.")


@bp.route("/recommendations/<int:rec_id>/return", methods=["POST"])
@methodologist_required
def rec_return(rec_id: int):
    """The methodologist returns a reported recommendation with a note."""
    rec = queries.get_recommendation_or_404(rec_id, current_user)
    services.check_reviewable(rec, accept=False)
    form = ReturnForm()
    if not form.validate_on_submit():
        return _rec_row(rec.id, 422, return_form=form)
    services.review(rec, accept=False, note=form.note.data.strip(), by=current_user)
    return _rec_row(rec.id, message="Рекомендация возвращена.")

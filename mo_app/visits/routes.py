"""Routes of the visits area: planner, list, the visit with its report, printing, recommendations."""

from __future__ import annotations

from datetime import date
from typing import NamedTuple

from flask import (
    Response,
    abort,
    current_app,
    flash,
    get_template_attribute,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user
from markupsafe import Markup
from sqlalchemy import func
from sqlalchemy.orm import joinedload, selectinload

from ..cache import cached, current_stamp, render_forms, with_csrf
from ..dates import PlanDate, local_datetime, short_date
from ..errors import error_response
from ..exports import xlsx_response
from ..extensions import db
from ..models import Organization, Recommendation, Visit, VisitPurpose, VisitReport, VisitTarget
from ..models.visits import VISIT_STATUSES, visit_purpose_link
from ..paging import page_of
from ..plan.years import year_among, years_with_stamp
from ..printing import pdf_response
from ..web import is_htmx, methodologist_required, render, role_required, selected_year, url_pattern
from . import bp, services
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
)

ANY_ROLE = ("methodologist", "librarian")
PER_PAGE = 50
STALE_MESSAGE = (
    "Справку уже изменили в другой вкладке или другой пользователь (или она завершена). "
    "Ваши последние изменения НЕ сохранены: обновите страницу и внесите их снова."
)
ARCHIVE_MESSAGE = "Архивный год хранится так, как был записан: планировать в нём посещения нельзя."


# --- template helpers ---------------------------------------------------------------------------


_BADGES = {
    "finalised": Markup('<span class="badge ok">справка готова</span>'),
    "held": Markup('<span class="badge warn">проведено</span>'),
    "cancelled": Markup('<span class="badge bad">отменено</span>'),
    "postponed": Markup('<span class="badge warn">перенесено</span>'),
    "planned": Markup('<span class="badge">запланировано</span>'),
}
_HELD_DRAFT = Markup('<span class="badge warn">проведено, справка — черновик</span>')


def state_badge(status: str, has_report: bool) -> Markup:
    """A visit's state as a badge: a fixed piece of markup for each state."""
    if status == "held" and has_report:
        return _HELD_DRAFT
    return _BADGES.get(status, _BADGES["planned"])


@bp.app_template_global()
def visit_badge(visit: Visit) -> Markup:
    """The visit's state badge (a function, not a macro, as the lists show one for every visit)."""
    return state_badge(visit.status, visit.status == "held" and visit.report is not None)


class PlannerVisit(NamedTuple):
    """A visit as a planner cell shows it (read as a plain row: a page has some 200)."""

    id: int
    organization_id: int
    date_text: str
    badge: Markup


@bp.app_template_global()
def rec_urls() -> dict[str, str]:
    """The links of a recommendation row, as patterns for its id (the visit's id for `visit`)."""
    return {
        "visit": url_pattern("visits.show", "visit_id"),
        "done": url_pattern("visits.rec_done", "rec_id"),
        "accept": url_pattern("visits.rec_accept", "rec_id"),
        "back": url_pattern("visits.rec_return", "rec_id"),
    }


# --- shared pieces -------------------------------------------------------------------------------


def _schools():
    return db.session.scalars(
        db.select(Organization).where(Organization.kind == "school", Organization.is_active.is_(True))
        .order_by(Organization.short_name)
    ).all()


def school_options(stamp: str | None, selected: int | None) -> Markup:
    """The `<option>`s of the active schools for a filter's school select, `selected` marked.

    A city has 700 schools: the options are rendered once per data stamp (mo_app/cache.py; nothing per user
    in them) and the selected one is marked in the kept text, so a request costs neither the query nor the
    loop. Empty when there is no active school."""
    html = cached(stamp, ("visits.school_options",), _render_school_options)
    if selected is not None:
        html = html.replace(f'<option value="{selected}">', f'<option value="{selected}" selected>', 1)
    return Markup(html)  # noqa: S704 - the output of an autoescaped template


def _render_school_options() -> str:
    org = Organization.__table__
    schools = db.session.execute(
        db.select(org.c.id, org.c.short_name)
        .where(org.c.kind == "school", org.c.is_active.is_(True))
        .order_by(org.c.short_name)
    ).all()
    return render_template("visits/_school_options.html", schools=schools)


def _year_purposes(year_id: int) -> list[VisitPurpose]:
    return db.session.scalars(
        db.select(VisitPurpose).where(VisitPurpose.year_id == year_id).order_by(VisitPurpose.position)
    ).all()


def _parse_date(name: str) -> date | None:
    raw = (request.args.get(name) or "").strip()
    if not raw:
        return None
    try:
        return date.fromisoformat(raw)
    except ValueError:
        abort(400)


# --- the planner and the list -------------------------------------------------------------------


class PlannerSchool(NamedTuple):
    """A planner row's school (plain data: the planner's page data is kept, mo_app/cache.py)."""

    id: int
    short_name: str


class PlannerPurpose(NamedTuple):
    """A planner column's purpose (plain data, as PlannerSchool)."""

    id: int
    title: str


def planner_context(years: list, year, stamp: str | None) -> dict:
    """Rows are schools, columns the year's purposes; cells hold the visits for that purpose.

    The schools (the plan's targets, then those visited, in visit order) are paged 50 a page and can be
    searched by name (`?q=`); only the page's schools and visits are read, as plain rows, so a city's 700
    schools cost what 50 do. The page's data, and its table as drawn for the viewer's role, are kept per data
    stamp (mo_app/cache.py) and viewer's school; the table's forms get the request's CSRF token (with_csrf)."""
    own = services.own_school_id()
    q = (request.args.get("q") or "").strip()[:100]
    key = ("visits.planner", year.id, own, q, request.args.get("page", type=int))
    data = cached(stamp, key, lambda: _planner_data(year, own, q), size=_planner_size)
    ctx = {**data, "year": year, "years": years, "months": services.month_choices(year.start_year), "q": q,
           "visit_url": url_pattern("visits.show", "visit_id")}
    table = cached(stamp, ("visits.planner_table", *key[1:], current_user.role, request.script_root),
                   lambda: render_forms("visits/_planner_table.html", **ctx))
    return {**ctx, "table_html": with_csrf(table)}


def _planner_size(data: dict) -> int:
    """About the memory of a planner page's data (for the cache's budget)."""
    visits = sum(len(v) for v in data["cells"].values()) + sum(len(v) for v in data["other"].values())
    return 4096 + 200 * (visits + len(data["schools"]) + len(data["targets"]))


def _planner_data(year, own: int | None, q: str) -> dict:
    """The planner page's schools, purposes, targets and cells, as plain data (see planner_context)."""
    purposes = [PlannerPurpose(p.id, p.title) for p in _year_purposes(year.id)]
    targets_by_purpose: dict[int, list[int]] = {}
    for purpose_id, org_id in db.session.execute(
        db.select(VisitTarget.purpose_id, VisitTarget.organization_id)
        .join(VisitPurpose, VisitPurpose.id == VisitTarget.purpose_id)
        .where(VisitPurpose.year_id == year.id)
        .order_by(VisitTarget.position, VisitTarget.id)
    ):
        targets_by_purpose.setdefault(purpose_id, []).append(org_id)
    order: dict[int, None] = {}  # school ids in planner order (a dict keeps the first place)
    targets = set()
    for purpose in purposes:
        for org_id in targets_by_purpose.get(purpose.id, ()):
            targets.add((org_id, purpose.id))
            if own is None or org_id == own:
                order.setdefault(org_id)
    table = Visit.__table__  # the year's ~2,000 visits: plain rows, from the (year, date, id) index
    visited_query = (
        db.select(table.c.organization_id).where(table.c.year_id == year.id).order_by(table.c.date_start, table.c.id)
    )
    if own is not None:  # as services.visible_visits(): a librarian sees their own school's visits only
        visited_query = visited_query.where(table.c.organization_id == own)
    visited = db.session.execute(visited_query).scalars().all()
    for org_id in visited:
        order.setdefault(org_id)
    ids = list(order)
    if q:
        pattern = f"%{q.lower()}%"
        found = set(db.session.scalars(
            db.select(Organization.id).where(
                Organization.id.in_(ids),
                db.or_(func.lower(Organization.short_name).like(pattern), func.lower(Organization.name).like(pattern)),
            )
        ))
        ids = [i for i in ids if i in found]
    page = page_of(ids)
    shown = set(page.items)
    names: dict[int, str] = {}
    cells: dict[tuple[int, int], list[PlannerVisit]] = {}
    other: dict[int, list[PlannerVisit]] = {}
    if shown:
        org = Organization.__table__
        names = dict(db.session.execute(db.select(org.c.id, org.c.short_name).where(org.c.id.in_(shown))).all())
        report = VisitReport.__table__
        visits_query = (
            db.select(table.c.id, table.c.organization_id, table.c.date_kind, table.c.date_start, table.c.date_end,
                      table.c.status, report.c.id.is_not(None))
            .outerjoin(report, report.c.visit_id == table.c.id)
            .where(table.c.year_id == year.id, table.c.organization_id.in_(shown))
            .order_by(table.c.date_start, table.c.id)
        )
        if own is not None:
            visits_query = visits_query.where(table.c.organization_id == own)
        visits = [
            PlannerVisit(visit_id, org_id, PlanDate(kind, start, end).text(), state_badge(status, has_report))
            for visit_id, org_id, kind, start, end, status, has_report in db.session.execute(visits_query)
        ]
        served: dict[int, list[int]] = {}  # visit id → the purposes it serves
        if visits:
            for visit_id, purpose_id in db.session.execute(
                db.select(visit_purpose_link.c.visit_id, visit_purpose_link.c.purpose_id)
                .where(visit_purpose_link.c.visit_id.in_([v.id for v in visits]))
            ):
                served.setdefault(visit_id, []).append(purpose_id)
        for visit in visits:
            if visit.id not in served:
                other.setdefault(visit.organization_id, []).append(visit)
            for purpose_id in served.get(visit.id, ()):
                cells.setdefault((visit.organization_id, purpose_id), []).append(visit)
    return {
        "purposes": purposes, "schools": [PlannerSchool(i, names[i]) for i in page.items], "cells": cells,
        "other": other, "targets": targets, "visit_count": len(visited), "page": page,
    }


@bp.route("/visits")
@role_required(*ANY_ROLE)
def index():
    """The visits planner of a school year: schools × the plan's purposes, 50 schools a page."""
    years, stamp = years_with_stamp()
    return render("visits/index.html", **planner_context(years, year_among(years), stamp))


@bp.route("/visits/plan-cell", methods=["POST"])
@methodologist_required
def plan_cell():
    """Plan a visit from a planner cell in one click; returns the updated cell."""
    form = CellPlanForm()
    purpose = db.session.get(VisitPurpose, int(form.purpose.data)) if (form.purpose.data or "").isdecimal() else None
    school = db.session.get(Organization, int(form.school.data)) if (form.school.data or "").isdecimal() else None
    if purpose is None or school is None:
        abort(404)
    year = purpose.year
    if year.is_archive:
        return error_response(409, ARCHIVE_MESSAGE)
    form.month.choices = [("", "—")] + services.month_choices(year.start_year)
    ctx = {"school": school, "purpose": purpose, "months": services.month_choices(year.start_year), "year": year}
    if not form.validate_on_submit():
        visits = _cell_visits(school.id, purpose.id)
        return render_template("visits/_cell.html", form=form, visits=visits, is_target=True, **ctx), 422
    services.plan_visit(year, school, [purpose], services.plan_date_from(form.month.data, form.day.data))
    if not is_htmx():
        flash("Посещение запланировано.", "success")
        return redirect(url_for("visits.index", year=year.start_year), code=303)
    visits = _cell_visits(school.id, purpose.id)
    return render_template("visits/_cell.html", form=None, visits=visits, is_target=True, **ctx)


def _cell_visits(school_id: int, purpose_id: int) -> list[Visit]:
    return db.session.scalars(
        db.select(Visit)
        .join(Visit.purposes)
        .where(Visit.organization_id == school_id, VisitPurpose.id == purpose_id)
        .options(selectinload(Visit.report))
        .order_by(Visit.date_start, Visit.id)
    ).all()


@bp.route("/visits/list")
@role_required(*ANY_ROLE)
def list_visits():
    """All visits of the year as a list, with filters: school, purpose, status, month.

    The list itself (no form in it) is kept as rendered per data stamp (mo_app/cache.py), viewer's school and
    query string; the filters around it are drawn on every request."""
    years, stamp = years_with_stamp()
    year = year_among(years)
    args = {k: (request.args.get(k) or "").strip() for k in ("school", "purpose", "status", "month")}
    own = services.own_school_id()
    key = ("visits.list", year.id, own, current_user.role, request.script_root, tuple(sorted(args.items())),
           request.args.get("page", ""))
    body = cached(stamp, key, lambda: render_template("visits/_list.html", **_list_context(year, args)))
    return render(
        "visits/list.html", fragment="visits/_list_body.html", body=Markup(body),  # noqa: S704 - autoescaped
        year=year, years=years, args=args,
        school_options=school_options(stamp, _number(args["school"])) if own is None else "",
        purposes=_year_purposes(year.id), statuses=VISIT_STATUSES,
        months=services.month_choices(year.start_year),
    )


def _list_context(year, args: dict) -> dict:
    """The filtered page of the year's visits (visits/_list.html)."""
    query = (
        services.visible_visits()
        .where(Visit.year_id == year.id)
        .options(
            joinedload(Visit.organization), selectinload(Visit.purposes),
            joinedload(Visit.report).load_only(VisitReport.status, VisitReport.acknowledged_at),
        )
        .order_by(Visit.date_start, Visit.id)
    )
    if args["school"].isdecimal():
        query = query.where(Visit.organization_id == int(args["school"]))
    if args["purpose"].isdecimal():
        query = query.where(Visit.purposes.any(VisitPurpose.id == int(args["purpose"])))
    elif args["purpose"] == "none":
        query = query.where(~Visit.purposes.any())
    if args["status"] in VISIT_STATUSES:
        query = query.where(Visit.status == args["status"])
    when = services.plan_date_from(args["month"], None) if args["month"] else None
    if when is not None:
        last = when.last_day
        query = query.where(Visit.date_start >= when.start, Visit.date_start <= last)
    urls = {"show": url_pattern("visits.show", "visit_id"), "report": url_pattern("visits.print_report", "visit_id")}
    return {"page": db.paginate(query, per_page=PER_PAGE, error_out=False), "year": year, "args": args, "urls": urls}


def _number(raw: str) -> int | None:
    """`raw` as a number if it is one written plainly ("12", not "012"), else None."""
    return int(raw) if raw.isascii() and raw.isdigit() and str(int(raw)) == raw else None


@bp.route("/visits/new", methods=["GET", "POST"])
@methodologist_required
def new_visit():
    """Plan a visit: one or several of the plan's purposes, or an unplanned one."""
    year = selected_year()
    if year.is_archive:
        return error_response(409, ARCHIVE_MESSAGE)
    form = PlanForm()
    schools = _schools()
    purposes = _year_purposes(year.id)
    form.school.choices = [(0, "— выберите школу —")] + [(s.id, s.short_name) for s in schools]
    form.purposes.choices = [(p.id, p.title) for p in purposes]
    form.month.choices = [("", "—")] + services.month_choices(year.start_year)
    if request.method == "GET" and request.args.get("school", "").isdecimal():
        form.school.data = int(request.args["school"])
    if form.validate_on_submit():
        school = next((s for s in schools if s.id == form.school.data), None)
        chosen = [p for p in purposes if p.id in (form.purposes.data or [])]
        if school is None:
            form.school.errors.append("Выберите школу.")
        elif not chosen and not form.unplanned.data:
            form.purposes.errors.append("Отметьте хотя бы одну цель или «Внеплановое посещение».")
        else:
            visit = services.plan_visit(
                year, school, chosen, services.plan_date_from(form.month.data, form.day.data), form.unplanned.data
            )
            flash("Посещение запланировано.", "success")
            return redirect(url_for("visits.show", visit_id=visit.id), code=303)
    return render("visits/new.html", form=form, year=year, status=422 if form.errors else 200)


# --- the visit ----------------------------------------------------------------------------------


def _visit_forms(visit: Visit) -> dict:
    months = [("", "—")] + services.month_choices(visit.year.start_year)
    date_form = DateForm(formdata=None)
    date_form.month.choices = months
    purposes_form = PurposesForm(formdata=None, purposes=[p.id for p in visit.purposes],
                                 unplanned=visit.is_unplanned)
    return {
        "date_form": date_form, "held_form": HeldForm(formdata=None), "cancel_form": ReasonForm(formdata=None),
        "reopen_form": ReasonForm(formdata=None), "purposes_form": purposes_form,
    }


def _show(visit: Visit, status: int = 200, stamp: str | None = None, **overrides):
    """The visit page. Its librarians, earlier visits, history, a final report's document and the
    recommendations are kept rendered per data `stamp` when the caller read one before any data
    (mo_app/cache.py); without it they are drawn afresh. The recommendations' forms get the request's CSRF
    token (cache.with_csrf); the other forms are drawn on every request."""
    ctx = services.visit_page_context(visit)
    report = ctx["report"]
    today = date.today()  # overdue or not
    report_recs, open_recs = cached(
        stamp, ("visits.recs", visit.id, current_user.role, today, request.script_root),
        lambda: _visit_recs_html(visit, report, today), size=lambda html: len(html[0]) + len(html[1]),
    )
    ctx["report_recs_html"], ctx["open_recs_html"] = with_csrf(report_recs), with_csrf(open_recs)
    ctx["history_html"] = Markup(cached(  # noqa: S704 - the output of an autoescaped template
        stamp, ("visits.history", visit.id, current_user.is_methodologist, request.script_root),
        lambda: render_template("visits/_history.html", **services.visit_history(visit, report)),
    ))
    if report is not None and report.status == "final":
        ctx["doc_html"] = cached(stamp, ("visits.report_doc", report.id), lambda: _report_doc_html(report))
    ctx["school_html"] = Markup(cached(  # noqa: S704 - the output of an autoescaped template
        stamp, ("visits.librarians", visit.organization_id, visit.year_id),
        lambda: render_template("visits/_librarians.html", **services.school_librarians(visit)),
    ))
    ctx["earlier_html"] = Markup(cached(  # noqa: S704 - the output of an autoescaped template
        stamp, ("visits.earlier", visit.id, request.script_root),
        lambda: render_template("visits/_earlier.html", earlier=services.earlier_visits(visit)),
    ))
    if current_user.is_methodologist:
        forms = _visit_forms(visit)
        forms["purposes_form"].purposes.choices = [(p.id, p.title) for p in ctx["all_purposes"]]
        ctx.update(forms)
    ctx.update(overrides)
    return render("visits/show.html", status=status, **ctx)


def _visit_recs_html(visit: Visit, report: VisitReport | None, today: date) -> tuple[str, str]:
    """The visit page's two recommendation tables (the final report's own, the school's open ones), their
    forms holding cache.CSRF_SLOT."""
    report_recs, open_recs = services.visit_recs(visit, report)
    return (render_forms("visits/_report_recs.html", recs=report_recs, today=today),
            render_forms("visits/_open_recs.html", recs=open_recs, today=today))


def _report_doc_html(report: VisitReport) -> Markup:
    """A final report's document as the page shows it (the macro of the print view)."""
    macro = get_template_attribute("visits/_report_doc.html", "report_doc")
    return macro(services.report_doc(report), current_app.config["ASSOCIATION_NAME"])


@bp.route("/visits/<int:visit_id>")
@role_required(*ANY_ROLE)
def show(visit_id: int):
    """The visit: school, date, purposes, librarians, earlier visits, open recommendations, the report."""
    visit, stamp = services.load_visit(visit_id, full=True)
    return _show(visit, stamp=stamp)


@bp.route("/visits/<int:visit_id>/date", methods=["POST"])
@methodologist_required
def change_date(visit_id: int):
    """Set a new date (month or day); the old one is kept in the history."""
    visit = services.get_visit_or_404(visit_id, full=True)
    if visit.status in ("finalised", "cancelled"):  # before the form: the page offers no date form then
        return error_response(409, "Дату завершённого или отменённого посещения изменить нельзя.")
    form = DateForm()
    form.month.choices = [("", "—")] + services.month_choices(visit.year.start_year)
    if not form.validate_on_submit():
        return _show(visit, status=422, date_form=form)
    services.change_date(visit, services.plan_date_from(form.month.data, form.day.data),
                         (form.reason.data or "").strip(), postpone=form.postpone.data)
    flash("Дата посещения изменена.", "success")
    return redirect(url_for("visits.show", visit_id=visit.id), code=303)


@bp.route("/visits/<int:visit_id>/purposes", methods=["POST"])
@methodologist_required
def edit_purposes(visit_id: int):
    """Change the purposes the visit serves."""
    visit = services.get_visit_or_404(visit_id, full=True)
    if visit.status in ("finalised", "cancelled"):
        return error_response(409, "Цели завершённого или отменённого посещения изменить нельзя.")
    form = PurposesForm()
    purposes = _year_purposes(visit.year_id)
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
    visit = services.get_visit_or_404(visit_id, full=True)
    if visit.status not in ("planned", "postponed"):
        return error_response(409, "Это посещение нельзя отметить проведённым (оно уже проведено или отменено).")
    form = HeldForm()
    if not form.validate_on_submit():
        return _show(visit, status=422, held_form=form)
    services.mark_held(visit, form.day.data)
    flash("Посещение отмечено проведённым. Заполните справку.", "success")
    return redirect(url_for("visits.show", visit_id=visit.id, _anchor="report"), code=303)


@bp.route("/visits/<int:visit_id>/cancel", methods=["POST"])
@methodologist_required
def cancel(visit_id: int):
    """Cancel the visit with a reason."""
    visit = services.get_visit_or_404(visit_id, full=True)
    if visit.status == "finalised":
        return error_response(409, "По посещению готова справка: отменить его нельзя.")
    if visit.status == "cancelled":
        return error_response(409, "Посещение уже отменено.")
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
    visit = services.get_visit_or_404(visit_id)
    if visit.status != "cancelled":
        return error_response(409, "Посещение не отменено.")
    services.restore_visit(visit)
    flash("Посещение возвращено в план.", "success")
    return redirect(url_for("visits.show", visit_id=visit.id), code=303)


# --- the report ---------------------------------------------------------------------------------


def _posted_version() -> int | None:
    raw = request.form.get("version", "")
    return int(raw) if raw.isdecimal() else None


def _draft_report(visit_id: int) -> VisitReport:
    visit = services.get_visit_or_404(visit_id)
    if visit.report is None:
        abort(404)
    return visit.report


@bp.route("/visits/<int:visit_id>/report/save", methods=["POST"])
@methodologist_required
def save_report(visit_id: int):
    """Autosave of the draft (htmx on change): saved only if the posted version is still current."""
    report = _draft_report(visit_id)
    try:
        report, new_ids = services.save_draft(report.id, _posted_version(), request.form)
    except services.StaleReport:
        if is_htmx():
            return render_template("visits/_save_status.html", error=STALE_MESSAGE), 409
        return error_response(409, STALE_MESSAGE)
    except services.ReportInvalid as e:
        message = "Не сохранено: " + " ".join(dict.fromkeys(e.errors.values()))
        if is_htmx():
            return render_template("visits/_save_status.html", error=message), 422
        return error_response(422, message)
    if is_htmx():
        return render_template(
            "visits/_save_status.html", saved_at=local_datetime(report.updated_at, "HH:mm"), version=report.version,
            new_ids=new_ids,
        )
    flash(f"Черновик сохранён в {local_datetime(report.updated_at, 'HH:mm')}.", "success")
    return redirect(url_for("visits.show", visit_id=visit_id, _anchor="report"), code=303)


@bp.route("/visits/<int:visit_id>/report/finalise", methods=["POST"])
@methodologist_required
def finalise_report(visit_id: int):
    """Save the form and finalise the report: it is locked, who and when are recorded."""
    report = _draft_report(visit_id)
    try:
        services.finalise(report.id, _posted_version(), request.form)
    except services.StaleReport:
        if is_htmx():
            return render_template("visits/_save_status.html", error=STALE_MESSAGE), 409
        return error_response(409, STALE_MESSAGE)
    except services.ReportInvalid as e:
        message = " ".join(dict.fromkeys(e.errors.values()))
        if is_htmx():
            return render_template("visits/_save_status.html", error=message), 422
        return error_response(422, message)
    flash("Справка завершена и закрыта для изменений.", "success")
    target = url_for("visits.show", visit_id=visit_id)
    if is_htmx():
        return Response(status=200, headers={"HX-Redirect": target})
    return redirect(target, code=303)


@bp.route("/visits/<int:visit_id>/report/reopen", methods=["POST"])
@methodologist_required
def reopen_report(visit_id: int):
    """Reopen a finalised report with a reason; the finalised version is kept in the history."""
    visit = services.get_visit_or_404(visit_id, full=True)
    form = ReasonForm()
    if visit.report is None or visit.report.status != "final":
        return error_response(409, "Справка не завершена.")
    if not form.validate_on_submit():
        return _show(visit, status=422, reopen_form=form)
    try:
        services.reopen(visit.report, form.reason.data.strip())
    except services.StaleReport:
        return error_response(409, "Справку уже переоткрыли.")
    flash("Справка переоткрыта; завершённая версия сохранена в истории.", "success")
    return redirect(url_for("visits.show", visit_id=visit_id, _anchor="report"), code=303)


@bp.route("/visits/<int:visit_id>/acknowledge", methods=["POST"])
@role_required("librarian")
def acknowledge(visit_id: int):
    """The school's librarian confirms «Ознакомлен(а)» with the finalised report."""
    visit = services.get_visit_or_404(visit_id)
    if visit.report is None or visit.report.status != "final":
        abort(404)
    services.acknowledge(visit.report)
    flash("Отмечено: со справкой ознакомлен(а).", "success")
    return redirect(url_for("visits.show", visit_id=visit_id, _anchor="report"), code=303)


@bp.route("/visits/checklist", methods=["GET", "POST"])
@methodologist_required
def checklist():
    """The year's checklist for visit reports (reports already started keep their own items)."""
    from ..models import ChecklistItem

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
        items = db.session.scalars(
            db.select(ChecklistItem).where(ChecklistItem.year_id == year.id).order_by(ChecklistItem.position)
        ).all()
        form.items.data = "\n".join(i.title for i in items)
    return render("visits/checklist.html", form=form, year=year, status=422 if form.errors else 200)


# --- printing -----------------------------------------------------------------------------------


def _printable(visit_id: int) -> VisitReport:
    visit = services.get_visit_or_404(visit_id, full=True)
    if not services.report_visible(visit):
        abort(404)
    return visit.report


def _print_ctx(docs: list[dict], title: str) -> dict:
    return {"docs": docs, "title": title, "association": current_app.config["ASSOCIATION_NAME"]}


@bp.route("/visits/<int:visit_id>/report")
@role_required(*ANY_ROLE)
def print_report(visit_id: int):
    """The report as an A4 print view (справка)."""
    report = _printable(visit_id)
    return render_template("visits/print_report.html", visit=report.visit,
                           **_print_ctx([services.report_doc(report)], "Справка по итогам посещения"))


@bp.route("/visits/<int:visit_id>/report.pdf")
@role_required(*ANY_ROLE)
def report_pdf(visit_id: int):
    """The report as a PDF (WeasyPrint)."""
    report = _printable(visit_id)
    visit = report.visit
    name = f"Справка {visit.organization.short_name} {short_date(visit.date_start)}.pdf"
    return pdf_response("visits/print_report.html", name,
                        **_print_ctx([services.report_doc(report)], "Справка по итогам посещения"))


@bp.route("/visits/<int:visit_id>/versions/<int:number>")
@methodologist_required
def print_version(visit_id: int, number: int):
    """A kept finalised version of the report, as it was printed."""
    report = _printable(visit_id)
    version = next((v for v in report.versions if v.number == number), None)
    if version is None:
        abort(404)
    return render_template("visits/print_report.html", visit=report.visit, version=version,
                           **_print_ctx([version.data], f"Справка, версия {number}"))


@bp.route("/visits/reports.pdf")
@role_required(*ANY_ROLE)
def reports_pdf():
    """All finalised reports of a period (and of a school) in one PDF."""
    start, end = _parse_date("from"), _parse_date("to")
    raw_school = request.args.get("school", "")
    school_id = int(raw_school) if raw_school.isdecimal() else None
    own = services.own_school_id()
    if own is not None:
        school_id = own
    reports = services.reports_in_period(start, end, school_id)
    if not reports:
        return error_response(404, "За этот период завершённых справок нет.")
    return pdf_response("visits/print_report.html", "Справки по итогам посещений.pdf",
                        **_print_ctx([services.report_doc(r) for r in reports], "Справки по итогам посещений"))


def _register_rows(start: date | None, end: date | None) -> list[Visit]:
    query = (
        db.select(Visit)
        .options(joinedload(Visit.organization), selectinload(Visit.purposes),
                 selectinload(Visit.report).selectinload(VisitReport.recommendations))
        .order_by(Visit.date_start, Visit.id)
    )
    if start:
        query = query.where(Visit.date_start >= start)
    if end:
        query = query.where(Visit.date_start <= end)
    return list(db.session.scalars(query))


def _register_period() -> tuple[date, date]:
    start, end = _parse_date("from"), _parse_date("to")
    if start is None or end is None:
        year = selected_year()
        start = start or date(year.start_year, 9, 1)
        end = end or date(year.start_year + 1, 8, 31)
    return start, end


def _register_table(visits: list[Visit]) -> list[list]:
    rows = []
    for n, v in enumerate(visits, start=1):
        report = v.report
        report_text = "—"
        if report is not None:
            report_text = "завершена" if report.status == "final" else "черновик"
            if report.acknowledged_at:
                report_text += ", ознакомлен(а)"
        rows.append([
            n, v.plan_date.text(), v.organization.short_name,
            "; ".join(p.title for p in v.purposes) or ("внеплановое" if v.is_unplanned else ""),
            v.status_label + (f" ({v.status_reason})" if v.status_reason else ""), report_text,
            len(report.recommendations) if report else 0,
        ])
    return rows


REGISTER_HEADER = ["№", "Дата", "Школа", "Цель посещения", "Статус", "Справка", "Рекомендаций"]


@bp.route("/visits/register.pdf")
@methodologist_required
def register_pdf():
    """The visits register (журнал посещений) for a period, as PDF."""
    start, end = _register_period()
    rows = _register_table(_register_rows(start, end))
    return pdf_response("visits/print_register.html", "Журнал посещений.pdf", rows=rows, header=REGISTER_HEADER,
                        start=start, end=end, association=current_app.config["ASSOCIATION_NAME"])


@bp.route("/visits/register.xlsx")
@methodologist_required
def register_xlsx():
    """The visits register (журнал посещений) for a period, as XLSX."""
    start, end = _register_period()
    rows = _register_table(_register_rows(start, end))
    return xlsx_response("Журнал посещений.xlsx", [("Журнал посещений", REGISTER_HEADER, rows)])


# --- recommendations ----------------------------------------------------------------------------


@bp.route("/recommendations")
@role_required(*ANY_ROLE)
def recommendations():
    """Open and overdue recommendations: across schools (methodologist) or of one's own school."""
    today = date.today()
    status = request.args.get("status", "active")
    if status not in ("active", "done", "all"):
        status = "active"
    overdue_only = request.args.get("overdue") == "1"
    own = services.own_school_id()
    raw_school = request.args.get("school", "")
    school_id = own if own is not None else (int(raw_school) if raw_school.isdecimal() else None)
    number = _page_number()
    stamp = current_stamp()  # before the data: the list, its counters and the schools are kept per stamp

    def build() -> tuple[str, dict]:
        page, counts = services.recommendations_page(school_id, status, overdue_only, today, number, PER_PAGE, stamp)
        return render_forms("visits/_recommendations.html", page=page, today=today, rec_status=status,
                            overdue_only=overdue_only, school_id=school_id), counts

    key = ("visits.rec_list", school_id, status, overdue_only, today, number, current_user.role, request.script_root)
    list_html, counts = cached(stamp, key, build, size=lambda kept: len(kept[0]) + 512)
    if is_htmx():
        return with_csrf(list_html)
    return render(
        "visits/recommendations.html", list_html=with_csrf(list_html), rec_status=status, overdue_only=overdue_only,
        school_options=school_options(stamp, school_id) if own is None else "", counts=counts,
    )


def _page_number() -> int:
    """`?page=N` as db.paginate reads it: a number from 1 (anything else is the first page)."""
    try:
        return max(int(request.args.get("page", 1)), 1)
    except ValueError:
        return 1


def _rec_row(rec: Recommendation, status: int = 200, message: str | None = None, **forms):
    """The recommendation's row (htmx; without htmx a page with the row, for a form with errors), or back to
    the list with a flash message."""
    if is_htmx() or status >= 400:
        row = services.listed_rec(rec.id)
        if is_htmx():
            return render_template("visits/_rec_rows.html", recs=[row], today=date.today(), **forms), status
        return render_template("visits/rec_one.html", rec=row, today=date.today(), **forms), status
    if message:
        flash(message, "success")
    return redirect(request.referrer if _local(request.referrer) else url_for("visits.recommendations"), code=303)


def _local(url: str | None) -> bool:
    from urllib.parse import urlsplit

    if not url:
        return False
    parts = urlsplit(url)
    return parts.netloc in ("", request.host)


@bp.route("/recommendations/<int:rec_id>/done", methods=["POST"])
@role_required("librarian")
def rec_done(rec_id: int):
    """The librarian marks a recommendation done, with a comment."""
    rec = services.get_recommendation_or_404(rec_id)
    if rec.status not in ("open", "returned"):
        return error_response(409, "Рекомендация уже отмечена.")
    form = DoneForm()
    if not form.validate_on_submit():
        return _rec_row(rec, 422, done_form=form)
    services.report_done(rec, form.comment.data.strip())
    return _rec_row(rec, message="Рекомендация отмечена выполненной.")


@bp.route("/recommendations/<int:rec_id>/accept", methods=["POST"])
@methodologist_required
def rec_accept(rec_id: int):
    """The methodologist accepts the recommendation as done."""
    rec = services.get_recommendation_or_404(rec_id)
    if rec.status == "done":
        return error_response(409, "Рекомендация уже принята.")
    services.review(rec, accept=True, note=None)
    return _rec_row(rec, message="Выполнение принято.")


@bp.route("/recommendations/<int:rec_id>/return", methods=["POST"])
@methodologist_required
def rec_return(rec_id: int):
    """The methodologist returns a reported recommendation with a note."""
    rec = services.get_recommendation_or_404(rec_id)
    if rec.status != "reported":
        return error_response(409, "Вернуть можно только отмеченную выполненной рекомендацию.")
    form = ReturnForm()
    if not form.validate_on_submit():
        return _rec_row(rec, 422, return_form=form)
    services.review(rec, accept=False, note=form.note.data.strip())
    return _rec_row(rec, message="Рекомендация возвращена.")


"""Year results (page, print, PDF, XLSX) and a person's profile with their whole history.

What a librarian sees of the results: their own school and their own figures in detail, the plan's events
(public anyway) and the district totals; other schools and other librarians are not shown."""

from __future__ import annotations

from dataclasses import replace

from flask import abort, render_template, request
from flask_login import current_user
from markupsafe import Markup

from ..cache import cached
from ..dates import today
from ..exports import xlsx_response
from ..extensions import db
from ..models import SchoolYear, User
from ..paging import page_of
from ..printing import pdf_response
from ..web import render, role_required
from . import bp
from .charts import attendance_by_month, participation_by_school, plan_vs_actual
from .results import Results, compute_results, person_history, restrict, results_size
from .years import year_among, years_with_stamp

any_user = role_required("methodologist", "librarian")


def _district_results(year: SchoolYear, stamp: str | None) -> Results:
    """The year's results for the whole district, computed once per data stamp and day and shared by every
    viewer and view (plain rows, no ORM objects; the year is this request's)."""
    res = cached(stamp, ("plan.results.data", year.id, today().isoformat()), lambda: compute_results(year),
                 size=results_size)
    return replace(res, year=year)


def _results_context(year: SchoolYear, stamp: str | None, paged: bool = False) -> dict:
    """The context of every results view, the same for page, print and PDF (the page: long tables paged)."""
    res = _district_results(year, stamp)
    if not current_user.is_methodologist:
        res = restrict(res, current_user)
    ctx = {"year": year, "res": res}
    schools = res.schools
    if paged:
        ctx["schools_page"] = page_of(res.schools, "page")
        ctx["people_page"] = page_of(res.people, "people_page")
        ctx["events_page"] = page_of(res.events, "events_page")
        schools = ctx["schools_page"].items
    charts = [attendance_by_month(res.months)]
    if not res.restricted:
        charts.append(participation_by_school(schools))
    charts.append(plan_vs_actual(res.outcome_counts(), res.target_counts()))
    ctx["charts"] = charts
    return ctx


def _year_and_stamp() -> tuple[SchoolYear, str | None]:
    years, stamp = years_with_stamp()
    return year_among(years), stamp


def _viewer() -> tuple:
    """Whose view of the results: the methodologist's whole district, or one librarian's school and self."""
    if current_user.is_methodologist:
        return ("methodologist",)
    return ("librarian", current_user.id, current_user.organization_id)


@bp.route("/results")
@any_user
def results():
    """Year results: per school, per librarian, plan vs actual, with charts (long tables 50 rows a page).

    The body is kept per data stamp (mo_app/cache.py), day, viewer and query string (the pagers' links carry it)."""
    years, stamp = years_with_stamp()
    year = year_among(years)
    key = ("plan.results", year.id, _viewer(), today().isoformat(), request.script_root,
           tuple(sorted(request.args.items(multi=True))))
    body = cached(stamp, key,
                  lambda: render_template("plan/_results_body.html", **_results_context(year, stamp, paged=True)))
    return render("plan/results.html", year=year, years=years, body=Markup(body))  # noqa: S704 - autoescaped


@bp.route("/results/print")
@any_user
def results_print():
    """Year results as an A4 landscape print view."""
    return render("plan/results_print.html", **_results_context(*_year_and_stamp()))


@bp.route("/results.pdf")
@any_user
def results_pdf():
    """Year results as a PDF."""
    ctx = _results_context(*_year_and_stamp())
    return pdf_response("plan/results_print.html", f"Итоги года {ctx['year'].title}.pdf", **ctx)


@bp.route("/results.xlsx")
@any_user
def results_xlsx():
    """Year results as a workbook, one sheet per table."""
    ctx = _results_context(*_year_and_stamp())
    res = ctx["res"]
    schools = [
        (r.org.short_name, ", ".join(u.short_name for u in r.librarians), r.signups, r.present, r.absent, r.excused,
         r.courses, r.hosted, r.visits_held, r.visits_planned, r.rec_done, r.rec_overdue, r.best_practice,
         "; ".join(x for x in ("нет участия" if r.no_participation else "",
                               "нет посещения" if r.no_visit else "") if x))
        for r in res.schools
    ]
    people = [
        (p.user.short_name, p.user.organization.short_name if p.user.organization else "", p.signups, p.present,
         p.absent, p.excused, p.courses, p.consultations, p.best_practice)
        for p in res.people
    ]
    events = [
        (r.event.kind_label, r.event.display_title, r.planned, r.actual, r.outcome_label) for r in res.events
    ]
    targets = [(t.purpose, t.org.short_name, t.state_label) for t in res.targets]
    return xlsx_response(f"Итоги года {ctx['year'].title}.xlsx", [
        ("Школы", ["Школа", "Библиотекари", "Записи", "Присутствовали", "Отсутствовали", "Уважительная причина",
                   "Курсы пройдены", "Мероприятия на базе", "Посещения проведены", "Посещения по плану",
                   "Рекомендации выполнены", "Рекомендации просрочены", "Передовой опыт", "Отметка"], schools),
        ("Библиотекари", ["Библиотекарь", "Школа", "Записи", "Присутствовал(а)", "Отсутствовал(а)",
                          "Уважительная причина", "Курсы пройдены", "Консультации", "Передовой опыт"], people),
        ("Мероприятия", ["Форма", "Тема", "По плану", "Фактически", "Итог"], events),
        ("Посещения", ["Цель посещения", "ОУ", "Итог"], targets),
    ])


@bp.route("/people/<int:user_id>")
@any_user
def person(user_id: int):
    """A librarian's profile: courses, seminars, consultations, visits, recommendations, best practice."""
    user = db.session.get(User, user_id)
    if user is None or (not current_user.is_methodologist and user.id != current_user.id):
        abort(404)
    return render("plan/person.html", person=user, history=person_history(user))

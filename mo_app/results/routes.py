"""Year results (page, PDF, XLSX).

What a librarian sees of the results: their own school and their own figures in detail, the plan's events
(public anyway) and the district totals; other schools and other librarians are not shown."""

from __future__ import annotations

from dataclasses import replace

from flask import request
from flask_login import current_user

from ..cache import cached, use_stamp
from ..dates import today
from ..documents import render_document
from ..documents.kept import kept_document
from ..documents.papers import results_data
from ..exports import xlsx_bytes, xlsx_download
from ..models import SchoolYear
from ..paging import page_of
from ..plan.years import year_among, years_with_stamp
from ..printing import pdf_response
from ..web import any_role, render
from . import bp
from .charts import attendance_by_month, participation_by_school, plan_vs_actual
from .queries import Results, compute_results, restrict, results_size


def _district_results(year: SchoolYear, stamp: str | None) -> Results:
    """The year's results for the whole district, computed once per data stamp and day and shared by every
    viewer and view (plain rows, no ORM objects; the year is this request's)."""
    res = cached(stamp, ("results.data", year.id, today().isoformat()), lambda: compute_results(year),
                 size=results_size)
    return replace(res, year=year)


def _results_context(year: SchoolYear, stamp: str | None, paged: bool = False) -> dict:
    """The context of every results view, the same for page and PDF (the page: long tables paged)."""
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
@any_role
def index():
    """Year results: per school, per librarian, plan vs actual, with charts (long tables 50 rows a page).

    The body is a `{% cache %}` block kept per data stamp, day, viewer and query string (the pagers' links carry
    it); its data is read only when it is drawn."""
    years, stamp = years_with_stamp()
    year = year_among(years)
    use_stamp(stamp)
    return render("results/show.html", year=year, years=years, viewer=_viewer(), day=today().isoformat(),
                  query=tuple(sorted(request.args.items(multi=True))),
                  results_context=lambda: _results_context(year, stamp, paged=True))


@bp.route("/results.pdf")
@any_role
def pdf():
    """Year results as a PDF (A4 landscape), kept per data stamp, day and viewer."""
    year, stamp = _year_and_stamp()

    def build() -> bytes:
        ctx = _results_context(year, stamp)
        return render_document("results", results_data(year, ctx["res"], ctx["charts"], stamp))

    data = kept_document(stamp, ("results.pdf", year.id, _viewer(), today().isoformat()), build)
    return pdf_response(data, f"Итоги года {year.title}.pdf")


@bp.route("/results.xlsx")
@any_role
def xlsx():
    """Year results as a workbook, one sheet per table, kept per data stamp, day and viewer."""
    year, stamp = _year_and_stamp()
    data = kept_document(stamp, ("results.xlsx", year.id, _viewer(), today().isoformat()),
                  lambda: _results_workbook(_results_context(year, stamp)["res"]))
    return xlsx_download(data, f"Итоги года {year.title}.xlsx")


def _results_workbook(res: Results) -> bytes:
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
    return xlsx_bytes([
        ("Школы", ["Школа", "Библиотекари", "Записи", "Присутствовали", "Отсутствовали", "Уважительная причина",
                   "Курсы пройдены", "Мероприятия на базе", "Посещения проведены", "Посещения по плану",
                   "Рекомендации выполнены", "Рекомендации просрочены", "Передовой опыт", "Отметка"], schools),
        ("Библиотекари", ["Библиотекарь", "Школа", "Записи", "Присутствовал(а)", "Отсутствовал(а)",
                          "Уважительная причина", "Курсы пройдены", "Консультации", "Передовой опыт"], people),
        ("Мероприятия", ["Форма", "Тема", "По плану", "Фактически", "Итог"], events),
        ("Посещения", ["Цель посещения", "ОУ", "Итог"], targets),
    ])

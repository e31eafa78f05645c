"""The annual plan: the document (page, PDF, DOCX), editing goals and visit purposes, a new year."""

from __future__ import annotations

from flask import abort, flash, redirect, request, url_for
from flask_login import current_user

from ..cache import use_stamp
from ..documents import render_document
from ..documents.kept import kept_document
from ..documents.papers import plan_data
from ..extensions import db
from ..models import Goal, SchoolYear, VisitPurpose
from ..printing import document_slot, pdf_response, send_download
from ..setup.queries import letterhead
from ..web import (
    all_years,
    any_role,
    is_htmx,
    methodologist_required,
    render,
    selected_year,
)
from . import bp, queries, services
from .document import build_plan, plan_docx
from .forms import GoalForm, NewYearForm, PurposeForm, choices
from .services import PlanError, ensure_editable
from .years import year_among, years_with_stamp


def _plan_view() -> tuple[list[SchoolYear], SchoolYear, str | None]:
    years, stamp = years_with_stamp()
    return years, year_among(years), stamp


def use_plan_view() -> tuple[list[SchoolYear], SchoolYear, str | None]:
    """_plan_view() with its stamp noted for the page's `{% cache %}` blocks."""
    years, year, stamp = _plan_view()
    use_stamp(stamp)
    return years, year, stamp


@bp.route("/plan")
@any_role
def show():
    """The year's plan laid out as the document, with a year selector. The document is a `{% cache %}` block kept
    per data stamp and year: it reads the plan only when it is drawn."""
    years, year, stamp = use_plan_view()
    return render("plan/show.html", year=year, years=years, plan_document=lambda: build_plan(year),
                  letterhead=lambda: letterhead(stamp))


@bp.route("/plan.pdf")
@any_role
def pdf():
    """The plan as a PDF (A4 landscape), kept per data stamp."""
    _, year, stamp = _plan_view()
    data = kept_document(stamp, ("plan.pdf", year.id, current_user.role),
                  lambda: render_document("plan", lambda: plan_data(build_plan(year), stamp)))
    return pdf_response(data, f"План МО {year.title}.pdf")


@bp.route("/plan.docx")
@any_role
def docx():
    """The plan as a Word document with real tables."""
    _, year, stamp = _plan_view()
    def build() -> bytes:
        with document_slot():  # one document at a time per process (mo_app/printing.py)
            return plan_docx(build_plan(year), letterhead(stamp))

    data = kept_document(stamp, ("plan.docx", year.id, current_user.role), build)
    return send_download(data, f"План МО {year.title}.docx",
                         "application/vnd.openxmlformats-officedocument.wordprocessingml.document")


# ---- editing ---------------------------------------------------------------------------------------------------

def get_goal_or_404(goal_id: int) -> Goal:
    """A goal of any year's plan, or 404 (the plan's editing is the methodologist's: no ownership to check)."""
    return db.get_or_404(Goal, goal_id)


def get_year_or_404(year_id: int) -> SchoolYear:
    """A school year by id, or 404."""
    return db.get_or_404(SchoolYear, year_id)


def get_purpose_or_404(purpose_id: int) -> VisitPurpose:
    """A visit purpose by id, or 404."""
    return db.get_or_404(VisitPurpose, purpose_id)


def _editable_year_or_409(year: SchoolYear):
    try:
        ensure_editable(year)
    except PlanError as exc:
        return render("plan/readonly.html", status=409, year=year, message=str(exc))
    return None


def _edit_context(year: SchoolYear, goal_errors: dict | None = None, new_goal: GoalForm | None = None) -> dict:
    """The context of the edit page and its goals fragment."""
    return {
        "year": year, "years": all_years(), "goals": queries.goals(year),
        "purposes": queries.purposes_with_schools(year),
        "goal_errors": goal_errors or {}, "new_goal": new_goal or GoalForm(formdata=None),
    }


def _goals_response(year: SchoolYear, status: int = 200, **errors):
    """The goals fragment for htmx, else back to the edit page."""
    if is_htmx() or status != 200:
        return render("plan/edit.html", fragment="plan/_goals.html", status=status, **_edit_context(year, **errors))
    return redirect(url_for("plan.edit", year=year.start_year), code=303)


@bp.route("/plan/edit")
@methodologist_required
def edit():
    """Edit the year's goals and visit purposes (events are attached to goals from the events screens)."""
    year = selected_year()
    refused = _editable_year_or_409(year)
    if refused:
        return refused
    return render("plan/edit.html", **_edit_context(year))


@bp.route("/plan/years/<int:year_id>/goals", methods=["POST"])
@methodologist_required
def add_goal(year_id: int):
    """Add a goal to the year's plan."""
    year = get_year_or_404(year_id)
    refused = _editable_year_or_409(year)
    if refused:
        return refused
    form = GoalForm()
    if not form.validate():
        return _goals_response(year, 422, new_goal=form)
    services.add_goal(year, form.title.data)
    return _goals_response(year)


@bp.route("/plan/goals/<int:goal_id>", methods=["POST"])
@methodologist_required
def rename_goal(goal_id: int):
    """Change a goal's wording."""
    goal = get_goal_or_404(goal_id)
    refused = _editable_year_or_409(goal.year)
    if refused:
        return refused
    form = GoalForm()
    if not form.validate():
        return _goals_response(goal.year, 422, goal_errors={goal.id: (form.title.data, form.title.errors)})
    services.rename_goal(goal, form.title.data)
    return _goals_response(goal.year)


@bp.route("/plan/goals/<int:goal_id>/move", methods=["POST"])
@methodologist_required
def move_goal(goal_id: int):
    """Move a goal up or down in the plan."""
    goal = get_goal_or_404(goal_id)
    refused = _editable_year_or_409(goal.year)
    if refused:
        return refused
    step = {"up": -1, "down": 1}.get(request.form.get("direction", ""))
    if step is None:
        abort(400)
    services.move_goal(goal, step)
    return _goals_response(goal.year)


@bp.route("/plan/goals/<int:goal_id>/delete", methods=["POST"])
@methodologist_required
def delete_goal(goal_id: int):
    """Remove a goal without events."""
    goal = get_goal_or_404(goal_id)
    year = goal.year
    try:
        services.delete_goal(goal)
    except PlanError as exc:
        return _goals_response(year, 409, goal_errors={goal.id: (goal.title, [str(exc)])})
    return _goals_response(year)


def _purpose_form(year: SchoolYear, purpose: VisitPurpose | None):
    form = PurposeForm(obj=None if request.method == "POST" else purpose)
    form.schools.choices = choices(services.school_choices())
    if request.method == "GET" and purpose is not None:
        form.schools.data = [t.organization_id for t in purpose.targets]
    return form


def _save_purpose_view(year: SchoolYear, purpose: VisitPurpose | None):
    refused = _editable_year_or_409(year)
    if refused:
        return refused
    form = _purpose_form(year, purpose)
    if form.validate_on_submit():
        services.save_purpose(year, purpose, form.title.data, form.schools.data or [])
        flash("Цель посещения сохранена.", "success")
        return redirect(url_for("plan.edit", year=year.start_year), code=303)
    return render("plan/purpose_form.html", status=422 if form.errors else 200, form=form, year=year, purpose=purpose)


@bp.route("/plan/years/<int:year_id>/purposes/new", methods=["GET", "POST"])
@methodologist_required
def new_purpose(year_id: int):
    """Add a visit purpose with its target schools."""
    return _save_purpose_view(get_year_or_404(year_id), None)


@bp.route("/plan/purposes/<int:purpose_id>", methods=["GET", "POST"])
@methodologist_required
def edit_purpose(purpose_id: int):
    """Change a visit purpose and its target schools."""
    purpose = get_purpose_or_404(purpose_id)
    return _save_purpose_view(purpose.year, purpose)


@bp.route("/plan/purposes/<int:purpose_id>/delete", methods=["POST"])
@methodologist_required
def delete_purpose(purpose_id: int):
    """Remove a visit purpose."""
    purpose = get_purpose_or_404(purpose_id)
    year = purpose.year
    refused = _editable_year_or_409(year)
    if refused:
        return refused
    services.delete_purpose(purpose)
    if is_htmx():
        return "", 200
    flash("Цель посещения удалена.", "success")
    return redirect(url_for("plan.edit", year=year.start_year), code=303)


# ---- a new year from last year's -------------------------------------------------------------------------------

@bp.route("/plan/new-year", methods=["GET", "POST"])
@methodologist_required
def new_year():
    """Preview what the next year will take from the chosen one, then create it and make it current."""
    source = selected_year()
    preview = services.year_preview(source)
    form = NewYearForm(formdata=request.form if request.method == "POST" else None)
    form.entries.choices = choices((e.id, e.topic) for e in preview.entries)
    if request.method == "GET":
        form.entries.data = preview.default_entries
    status = 200
    if request.method == "POST":
        if form.validate():
            try:
                target = services.create_next_year(source, form.entries.data or [])
            except PlanError as exc:
                form.entries.errors = [str(exc)]
                status = 409
            else:
                flash(f"План на {target.title} учебный год создан и стал текущим.", "success")
                return redirect(url_for("plan.show", year=target.start_year), code=303)
        else:
            status = 422
    return render("plan/new_year.html", status=status, preview=preview, form=form, year=source, years=all_years())

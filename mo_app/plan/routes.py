"""The annual plan: the document (page, print, PDF, DOCX), editing goals and visit purposes, a new year."""

from __future__ import annotations

from flask import Response, abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user
from markupsafe import Markup
from sqlalchemy.orm import selectinload

from ..cache import cached
from ..extensions import db
from ..models import Goal, SchoolYear, VisitPurpose, VisitTarget
from ..printing import document_slot, download_headers, render_pdf
from ..web import all_years, is_htmx, methodologist_required, render, role_required, selected_year
from . import bp
from .document import build_plan, plan_docx
from .forms import GoalForm, NewYearForm, PurposeForm, choices
from .services import (
    PlanError,
    add_goal,
    create_next_year,
    delete_goal,
    delete_purpose,
    ensure_editable,
    move_goal,
    rename_goal,
    save_purpose,
    school_choices,
    year_preview,
)
from .years import year_among, years_with_stamp

any_user = role_required("methodologist", "librarian")


def _plan_document(year: SchoolYear, stamp: str | None) -> Markup:
    """The plan's document body (plan/_document.html), rendered once per data stamp and kept (mo_app/cache.py).

    It is the same for every viewer today; the role is in the key all the same, so a variant per role can
    never leak to the other."""
    html = cached(stamp, ("plan.document", year.id, current_user.role),
                  lambda: render_template("plan/_document.html", doc=build_plan(year)))
    return Markup(html)  # noqa: S704 - the output of an autoescaped template, kept as rendered


def _plan_view() -> tuple[list[SchoolYear], SchoolYear, str | None]:
    years, stamp = years_with_stamp()
    return years, year_among(years), stamp


@bp.route("/plan")
@any_user
def show():
    """The year's plan laid out as the document, with a year selector."""
    years, year, stamp = _plan_view()
    return render("plan/show.html", year=year, years=years, document=_plan_document(year, stamp))


@bp.route("/plan/print")
@any_user
def print_plan():
    """The plan as an A4 landscape print view."""
    _, year, stamp = _plan_view()
    return render("plan/print.html", year=year, document=_plan_document(year, stamp))


@bp.route("/plan.pdf")
@any_user
def pdf():
    """The plan as a PDF (A4 landscape)."""
    _, year, stamp = _plan_view()
    data = cached(stamp, ("plan.pdf", year.id, current_user.role),
                  lambda: render_pdf("plan/print.html", year=year, document=_plan_document(year, stamp)))
    return Response(data, mimetype="application/pdf",
                    headers=download_headers(f"План МО {year.title}.pdf", inline=True))


@bp.route("/plan.docx")
@any_user
def docx():
    """The plan as a Word document with real tables."""
    _, year, stamp = _plan_view()
    def build() -> bytes:
        with document_slot():  # one document at a time per process (mo_app/printing.py)
            return plan_docx(build_plan(year), current_app.config["ASSOCIATION_NAME"])

    data = cached(stamp, ("plan.docx", year.id, current_user.role), build)
    return Response(
        data,
        mimetype="application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        headers=download_headers(f"План МО {year.title}.docx"),
    )


# ---- editing ---------------------------------------------------------------------------------------------------

def _editable_year_or_409(year: SchoolYear):
    try:
        ensure_editable(year)
    except PlanError as exc:
        return render("plan/readonly.html", status=409, year=year, message=str(exc))
    return None


def _edit_context(year: SchoolYear, goal_errors: dict | None = None, new_goal: GoalForm | None = None) -> dict:
    purposes = db.session.scalars(
        db.select(VisitPurpose)
        .options(selectinload(VisitPurpose.targets).joinedload(VisitTarget.organization))
        .where(VisitPurpose.year_id == year.id).order_by(VisitPurpose.position)
    ).all()
    goals = db.session.scalars(db.select(Goal).where(Goal.year_id == year.id).order_by(Goal.position, Goal.id)).all()
    from .document import schools_text  # local: keeps the import list short

    rows = [(p, schools_text([t.organization for t in p.targets])) for p in purposes]
    return {
        "year": year, "years": all_years(), "goals": goals, "purposes": rows,
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
def add_goal_view(year_id: int):
    """Add a goal to the year's plan."""
    year = db.get_or_404(SchoolYear, year_id)
    refused = _editable_year_or_409(year)
    if refused:
        return refused
    form = GoalForm()
    if not form.validate():
        return _goals_response(year, 422, new_goal=form)
    add_goal(year, form.title.data)
    return _goals_response(year)


def _goal_or_404(goal_id: int) -> Goal:
    return db.get_or_404(Goal, goal_id)


@bp.route("/plan/goals/<int:goal_id>", methods=["POST"])
@methodologist_required
def rename_goal_view(goal_id: int):
    """Change a goal's wording."""
    goal = _goal_or_404(goal_id)
    refused = _editable_year_or_409(goal.year)
    if refused:
        return refused
    form = GoalForm()
    if not form.validate():
        return _goals_response(goal.year, 422, goal_errors={goal.id: (form.title.data, form.title.errors)})
    rename_goal(goal, form.title.data)
    return _goals_response(goal.year)


@bp.route("/plan/goals/<int:goal_id>/move", methods=["POST"])
@methodologist_required
def move_goal_view(goal_id: int):
    """Move a goal up or down in the plan."""
    goal = _goal_or_404(goal_id)
    refused = _editable_year_or_409(goal.year)
    if refused:
        return refused
    step = {"up": -1, "down": 1}.get(request.form.get("direction", ""))
    if step is None:
        abort(400)
    move_goal(goal, step)
    return _goals_response(goal.year)


@bp.route("/plan/goals/<int:goal_id>/delete", methods=["POST"])
@methodologist_required
def delete_goal_view(goal_id: int):
    """Remove a goal without events."""
    goal = _goal_or_404(goal_id)
    year = goal.year
    try:
        delete_goal(goal)
    except PlanError as exc:
        db.session.rollback()
        return _goals_response(year, 409, goal_errors={goal.id: (goal.title, [str(exc)])})
    return _goals_response(year)


def _purpose_form(year: SchoolYear, purpose: VisitPurpose | None):
    form = PurposeForm(obj=None if request.method == "POST" else purpose)
    form.schools.choices = choices(school_choices())
    if request.method == "GET" and purpose is not None:
        form.schools.data = [t.organization_id for t in purpose.targets]
    return form


def _save_purpose_view(year: SchoolYear, purpose: VisitPurpose | None):
    refused = _editable_year_or_409(year)
    if refused:
        return refused
    form = _purpose_form(year, purpose)
    if form.validate_on_submit():
        save_purpose(year, purpose, form.title.data, form.schools.data or [])
        flash("Цель посещения сохранена.", "success")
        return redirect(url_for("plan.edit", year=year.start_year), code=303)
    return render("plan/purpose_form.html", status=422 if form.errors else 200, form=form, year=year, purpose=purpose)


@bp.route("/plan/years/<int:year_id>/purposes/new", methods=["GET", "POST"])
@methodologist_required
def new_purpose(year_id: int):
    """Add a visit purpose with its target schools."""
    return _save_purpose_view(db.get_or_404(SchoolYear, year_id), None)


@bp.route("/plan/purposes/<int:purpose_id>", methods=["GET", "POST"])
@methodologist_required
def edit_purpose(purpose_id: int):
    """Change a visit purpose and its target schools."""
    purpose = db.get_or_404(VisitPurpose, purpose_id)
    return _save_purpose_view(purpose.year, purpose)


@bp.route("/plan/purposes/<int:purpose_id>/delete", methods=["POST"])
@methodologist_required
def delete_purpose_view(purpose_id: int):
    """Remove a visit purpose."""
    purpose = db.get_or_404(VisitPurpose, purpose_id)
    year = purpose.year
    refused = _editable_year_or_409(year)
    if refused:
        return refused
    delete_purpose(purpose)
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
    preview = year_preview(source)
    form = NewYearForm(formdata=request.form if request.method == "POST" else None)
    form.entries.choices = choices((e.id, e.topic) for e in preview.entries)
    if request.method == "GET":
        form.entries.data = preview.default_entries
    status = 200
    if request.method == "POST":
        if form.validate():
            try:
                target = create_next_year(source, form.entries.data or [])
            except PlanError as exc:
                form.entries.errors = [str(exc)]
                status = 409
            else:
                flash(f"План на {target.title} учебный год создан и стал текущим.", "success")
                return redirect(url_for("plan.show", year=target.start_year), code=303)
        else:
            status = 422
    return render("plan/new_year.html", status=status, preview=preview, form=form, year=source, years=all_years())


def object_url(endpoint: str, object_id: int, **args) -> str | None:
    """URL of another area's screen for one object, or None while that screen is not merged yet.

    The id goes into the rule's only argument whatever it is called (`id`, `event_id`...)."""
    if endpoint not in current_app.view_functions:
        return None
    for rule in current_app.url_map.iter_rules(endpoint):
        free = [a for a in rule.arguments if a not in args]
        if len(free) == 1:
            return url_for(endpoint, **{free[0]: object_id}, **args)
    return None


@bp.app_context_processor
def _plan_helpers():
    """`has_endpoint('events.index')`, `object_url('events.show', id)`: links to areas merged or not."""
    return {"has_endpoint": lambda name: name in current_app.view_functions, "object_url": object_url}

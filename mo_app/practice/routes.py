"""Best-practice register (передовой опыт): the list, proposals by librarians, review, files."""

from __future__ import annotations

from flask import abort, flash, redirect, request, send_file, url_for
from flask_login import current_user

from ..errors import error_response
from ..models import BestPractice, BestPracticeFile, SchoolYear
from ..plan.forms import choices
from ..plan.services import PlanError, ensure_editable
from ..web import all_years, any_role, methodologist_required, render, selected_year
from . import bp, queries, services
from .forms import AcceptForm, PracticeForm, ProposalForm, ReturnForm, UploadForm
from .services import ALLOWED_FILES, PracticeError, can_edit_entry, files_refusal


def get_entry_or_404(entry_id: int, user) -> BestPractice:
    """The entry if this user may see it; 404 otherwise (reveals nothing)."""
    entry = queries.visible_entry(entry_id, user)
    if entry is None:
        abort(404)
    return entry


def get_file_or_404(file_id: int, user) -> BestPracticeFile:
    """An attached file of an entry this user may see; 404 otherwise."""
    record = queries.visible_file(file_id, user)
    if record is None:
        abort(404)
    return record


@bp.route("/best-practice")
@any_role
def index():
    """The year's best-practice register; proposals waiting for review on top for the methodologist."""
    year = selected_year()
    entries = queries.register_entries(year, current_user)
    return render(
        "practice/list.html", year=year, years=all_years(),
        accepted=[e for e in entries if e.status == "accepted"],
        pending=[e for e in entries if e.status != "accepted"],
    )


def _practice_form(year: SchoolYear, entry: BestPractice | None):
    """The methodologist's full form or the librarian's proposal form, filled from `entry` on GET."""
    cls = PracticeForm if current_user.is_methodologist else ProposalForm
    form = cls(formdata=request.form if request.method == "POST" else None)
    if request.method == "GET" and entry is not None:
        form.topic.data, form.form.data = entry.topic, entry.form or ""
        form.goals.data = "\n".join(entry.goals or [])
    if isinstance(form, PracticeForm):
        form.author.choices = choices([(0, "— выберите —"), *queries.author_choices()])
        form.event.choices = choices([(0, "—"), *queries.event_choices(year)])
        if request.method == "GET" and entry is not None:
            form.author.data = entry.author_id or 0
            form.stage.data = entry.stage
            form.event.data = entry.event_id or 0
    return form


def _save(year: SchoolYear, entry: BestPractice | None):
    try:
        ensure_editable(year)
    except PlanError as exc:
        return render("plan/readonly.html", status=409, year=year, message=str(exc))
    form = _practice_form(year, entry)
    if request.method == "POST" and form.validate():
        if isinstance(form, PracticeForm):
            author = queries.librarian(form.author.data)
            if author is None:
                form.author.errors.append("Выберите автора.")
            else:
                entry = services.save_entry(
                    year, entry, topic=form.topic.data, goals=form.goal_list(), form=form.form.data, author=author,
                    stage=form.stage.data, event_id=form.event.data or None,
                )
                flash("Запись сохранена.", "success")
                return redirect(url_for("practice.show", entry_id=entry.id), code=303)
        elif entry is None:
            entry = services.propose(year, current_user, form.topic.data, form.goal_list(), form.form.data)
            flash("Опыт предложен: методист рассмотрит его.", "success")
            return redirect(url_for("practice.show", entry_id=entry.id), code=303)
        else:
            services.update_proposal(entry, form.topic.data, form.goal_list(), form.form.data)
            flash("Изменения сохранены.", "success")
            return redirect(url_for("practice.show", entry_id=entry.id), code=303)
    status = 422 if form.errors else 200
    return render("practice/form.html", status=status, form=form, year=year, entry=entry)


@bp.route("/best-practice/new", methods=["GET", "POST"])
@any_role
def new():
    """A new register entry (methodologist) or a proposal of one's own experience (librarian)."""
    return _save(selected_year(), None)


def _show_page(entry: BestPractice, status: int = 200, accept_form=None, return_form=None, upload_form=None,
               error: str | None = None):
    """One entry with its files and, for the methodologist, the review forms (each page of an entry)."""
    return render(
        "practice/show.html", status=status, entry=entry, can_edit=can_edit_entry(entry, current_user),
        can_upload=files_refusal(entry, current_user) is None,
        accept_form=accept_form or AcceptForm(formdata=None, stage=entry.stage),
        return_form=return_form or ReturnForm(formdata=None), upload_form=upload_form or UploadForm(formdata=None),
        allowed=", ".join(sorted(ALLOWED_FILES)), error=error,
    )


@bp.route("/best-practice/<int:entry_id>")
@any_role
def show(entry_id: int):
    """One entry with its files; review actions for the methodologist."""
    return _show_page(get_entry_or_404(entry_id, current_user))


@bp.route("/best-practice/<int:entry_id>/edit", methods=["GET", "POST"])
@any_role
def edit(entry_id: int):
    """Edit an entry: the methodologist any, the author their proposal until accepted."""
    entry = get_entry_or_404(entry_id, current_user)
    if not can_edit_entry(entry, current_user):
        abort(403)
    return _save(entry.year, entry)


@bp.route("/best-practice/<int:entry_id>/accept", methods=["POST"])
@methodologist_required
def accept(entry_id: int):
    """Accept a proposal into the register, at a stage."""
    entry = get_entry_or_404(entry_id, current_user)
    form = AcceptForm()
    if not form.validate():
        return _show_page(entry, 422, accept_form=form)
    try:
        services.accept(entry, form.stage.data)
    except PracticeError as exc:
        return _show_page(entry, exc.status, error=exc.message)
    flash("Запись принята в реестр.", "success")
    return redirect(url_for("practice.show", entry_id=entry.id), code=303)


@bp.route("/best-practice/<int:entry_id>/return", methods=["POST"])
@methodologist_required
def return_entry(entry_id: int):
    """Return a proposal to its author with a comment."""
    entry = get_entry_or_404(entry_id, current_user)
    form = ReturnForm()
    if not form.validate():
        return _show_page(entry, 422, return_form=form)
    try:
        services.return_entry(entry, form.comment.data)
    except PracticeError as exc:
        return _show_page(entry, exc.status, error=exc.message)
    flash("Запись возвращена автору на доработку.", "success")
    return redirect(url_for("practice.show", entry_id=entry.id), code=303)


@bp.route("/best-practice/<int:entry_id>/delete", methods=["POST"])
@methodologist_required
def delete(entry_id: int):
    """Remove an entry with its files."""
    entry = get_entry_or_404(entry_id, current_user)
    year = entry.year
    services.delete_entry(entry)
    flash("Запись удалена.", "success")
    return redirect(url_for("practice.index", year=year.start_year), code=303)


@bp.route("/best-practice/<int:entry_id>/files", methods=["POST"])
@any_role
def upload(entry_id: int):
    """Attach a file (presentation, method notes) to an entry: its author or the methodologist."""
    entry = get_entry_or_404(entry_id, current_user)
    if refusal := files_refusal(entry, current_user):
        return error_response(403, refusal)
    form = UploadForm()
    if form.validate():
        try:
            services.store_file(entry, form.file.data, current_user)
        except PracticeError as exc:
            form.file.errors = [exc.message]
        else:
            flash("Файл приложен.", "success")
            return redirect(url_for("practice.show", entry_id=entry.id), code=303)
    return _show_page(entry, 422, upload_form=form)


@bp.route("/best-practice/files/<int:file_id>")
@any_role
def download_file(file_id: int):
    """Download an attached file (always as an attachment, under its original name)."""
    record = get_file_or_404(file_id, current_user)
    path = services.upload_path(record.stored_name)
    if not path.is_file():
        abort(404)
    response = send_file(path, mimetype=record.content_type, as_attachment=True, download_name=record.original_name)
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


@bp.route("/best-practice/files/<int:file_id>/delete", methods=["POST"])
@any_role
def delete_file(file_id: int):
    """Remove an attached file: its entry's author or the methodologist."""
    record = get_file_or_404(file_id, current_user)
    entry_id = record.entry_id
    if refusal := files_refusal(record.entry, current_user):
        return error_response(403, refusal)
    services.delete_file(record, current_user)
    flash("Файл удалён.", "success")
    return redirect(url_for("practice.show", entry_id=entry_id), code=303)

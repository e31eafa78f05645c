"""Best-practice register (передовой опыт): the list, proposals by librarians, review, files."""

from __future__ import annotations

from flask import abort, flash, redirect, request, send_file, url_for
from flask_login import current_user
from sqlalchemy import or_
from sqlalchemy.orm import joinedload, selectinload

from ..extensions import db
from ..models import BestPractice, BestPracticeFile, Event, SchoolYear, User
from ..printing import download_headers
from ..web import all_years, methodologist_required, render, role_required, selected_year
from . import bp
from .forms import AcceptForm, PracticeForm, ProposalForm, ReturnForm, UploadForm, choices
from .services import (
    ALLOWED_FILES,
    PlanError,
    accept,
    can_edit_entry,
    delete_entry,
    delete_file,
    ensure_editable,
    get_entry_or_404,
    propose,
    return_entry,
    save_entry,
    store_file,
    update_proposal,
    upload_path,
)

any_user = role_required("methodologist", "librarian")


def register_entries(year: SchoolYear, user: User) -> list[BestPractice]:
    """The year's entries this user may see, in register order (one query + files)."""
    query = (
        db.select(BestPractice)
        .options(
            joinedload(BestPractice.author), joinedload(BestPractice.organization), joinedload(BestPractice.event),
            selectinload(BestPractice.files),
        )
        .where(BestPractice.year_id == year.id)
        .order_by(BestPractice.position, BestPractice.id)
    )
    if not user.is_methodologist:
        query = query.where(or_(BestPractice.status == "accepted", BestPractice.author_id == user.id))
    return list(db.session.scalars(query).unique())


@bp.route("/best-practice")
@any_user
def best_practice():
    """The year's best-practice register; proposals waiting for review on top for the methodologist."""
    year = selected_year()
    entries = register_entries(year, current_user)
    return render(
        "plan/practice_list.html", year=year, years=all_years(),
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
        librarians = db.session.scalars(
            db.select(User).options(joinedload(User.organization))
            .where(User.role == "librarian", User.active.is_(True)).order_by(User.last_name, User.initials)
        ).all()
        form.author.choices = choices([(0, "— выберите —")] + [
            (u.id, f"{u.short_name} — {u.organization.short_name}" if u.organization else u.short_name)
            for u in librarians
        ])
        events = db.session.scalars(
            db.select(Event).where(Event.year_id == year.id).order_by(Event.date_start, Event.id)
        ).all()
        form.event.choices = choices([(0, "—")] + [(e.id, f"{e.kind_label}: {e.display_title}") for e in events])
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
            author = db.session.get(User, form.author.data)
            if author is None or not author.is_librarian:
                form.author.errors.append("Выберите автора.")
            else:
                entry = save_entry(
                    year, entry, topic=form.topic.data, goals=form.goal_list(), form=form.form.data, author=author,
                    stage=form.stage.data, event_id=form.event.data or None,
                )
                flash("Запись сохранена.", "success")
                return redirect(url_for("plan.practice_show", entry_id=entry.id), code=303)
        elif entry is None:
            entry = propose(year, current_user, form.topic.data, form.goal_list(), form.form.data)
            flash("Опыт предложен: методист рассмотрит его.", "success")
            return redirect(url_for("plan.practice_show", entry_id=entry.id), code=303)
        else:
            update_proposal(entry, form.topic.data, form.goal_list(), form.form.data)
            flash("Изменения сохранены.", "success")
            return redirect(url_for("plan.practice_show", entry_id=entry.id), code=303)
    status = 422 if form.errors else 200
    return render("plan/practice_form.html", status=status, form=form, year=year, entry=entry)


@bp.route("/best-practice/new", methods=["GET", "POST"])
@any_user
def practice_new():
    """A new register entry (methodologist) or a proposal of one's own experience (librarian)."""
    return _save(selected_year(), None)


@bp.route("/best-practice/<int:entry_id>")
@any_user
def practice_show(entry_id: int):
    """One entry with its files; review actions for the methodologist."""
    entry = get_entry_or_404(entry_id, current_user)
    return render(
        "plan/practice_show.html", entry=entry, can_edit=can_edit_entry(entry, current_user),
        can_upload=current_user.is_methodologist or entry.author_id == current_user.id,
        accept_form=AcceptForm(formdata=None, stage=entry.stage), return_form=ReturnForm(formdata=None),
        upload_form=UploadForm(formdata=None), allowed=", ".join(sorted(ALLOWED_FILES)),
    )


@bp.route("/best-practice/<int:entry_id>/edit", methods=["GET", "POST"])
@any_user
def practice_edit(entry_id: int):
    """Edit an entry: the methodologist any, the author their proposal until accepted."""
    entry = get_entry_or_404(entry_id, current_user)
    if not can_edit_entry(entry, current_user):
        abort(403)
    return _save(entry.year, entry)


def _review_page(entry: BestPractice, status: int, accept_form=None, return_form=None, error: str | None = None):
    return render(
        "plan/practice_show.html", status=status, entry=entry, can_edit=True, can_upload=True,
        accept_form=accept_form or AcceptForm(formdata=None, stage=entry.stage),
        return_form=return_form or ReturnForm(formdata=None), upload_form=UploadForm(formdata=None),
        allowed=", ".join(sorted(ALLOWED_FILES)), error=error,
    )


@bp.route("/best-practice/<int:entry_id>/accept", methods=["POST"])
@methodologist_required
def practice_accept(entry_id: int):
    """Accept a proposal into the register, at a stage."""
    entry = get_entry_or_404(entry_id, current_user)
    form = AcceptForm()
    if not form.validate():
        return _review_page(entry, 422, accept_form=form)
    try:
        accept(entry, form.stage.data)
    except PlanError as exc:
        return _review_page(entry, 409, error=str(exc))
    flash("Запись принята в реестр.", "success")
    return redirect(url_for("plan.practice_show", entry_id=entry.id), code=303)


@bp.route("/best-practice/<int:entry_id>/return", methods=["POST"])
@methodologist_required
def practice_return(entry_id: int):
    """Return a proposal to its author with a comment."""
    entry = get_entry_or_404(entry_id, current_user)
    form = ReturnForm()
    if not form.validate():
        return _review_page(entry, 422, return_form=form)
    try:
        return_entry(entry, form.comment.data)
    except PlanError as exc:
        return _review_page(entry, 409, error=str(exc))
    flash("Запись возвращена автору на доработку.", "success")
    return redirect(url_for("plan.practice_show", entry_id=entry.id), code=303)


@bp.route("/best-practice/<int:entry_id>/delete", methods=["POST"])
@methodologist_required
def practice_delete(entry_id: int):
    """Remove an entry with its files."""
    entry = get_entry_or_404(entry_id, current_user)
    year = entry.year
    delete_entry(entry)
    flash("Запись удалена.", "success")
    return redirect(url_for("plan.best_practice", year=year.start_year), code=303)


@bp.route("/best-practice/<int:entry_id>/files", methods=["POST"])
@any_user
def practice_upload(entry_id: int):
    """Attach a file (presentation, method notes) to an entry: its author or the methodologist."""
    entry = get_entry_or_404(entry_id, current_user)
    if not (current_user.is_methodologist or entry.author_id == current_user.id):
        abort(403)
    form = UploadForm()
    if form.validate():
        try:
            store_file(entry, form.file.data, current_user)
        except PlanError as exc:
            form.file.errors = [str(exc)]
        else:
            flash("Файл приложен.", "success")
            return redirect(url_for("plan.practice_show", entry_id=entry.id), code=303)
    return render(
        "plan/practice_show.html", status=422, entry=entry, can_edit=can_edit_entry(entry, current_user),
        can_upload=True, accept_form=AcceptForm(formdata=None, stage=entry.stage),
        return_form=ReturnForm(formdata=None),
        upload_form=form, allowed=", ".join(sorted(ALLOWED_FILES)),
    )


def _file_or_404(file_id: int) -> BestPracticeFile:
    record = db.session.get(BestPracticeFile, file_id)
    if record is None:
        abort(404)
    get_entry_or_404(record.entry_id, current_user)  # 404 when the entry is not visible
    return record


@bp.route("/best-practice/files/<int:file_id>")
@any_user
def practice_file(file_id: int):
    """Download an attached file (always as an attachment, under its original name)."""
    record = _file_or_404(file_id)
    path = upload_path(record.stored_name)
    if not path.is_file():
        abort(404)
    response = send_file(path, mimetype=record.content_type, as_attachment=True, download_name=record.original_name)
    response.headers.update(download_headers(record.original_name))
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


@bp.route("/best-practice/files/<int:file_id>/delete", methods=["POST"])
@any_user
def practice_file_delete(file_id: int):
    """Remove an attached file: its entry's author or the methodologist."""
    record = _file_or_404(file_id)
    entry_id = record.entry_id
    if not (current_user.is_methodologist or record.entry.author_id == current_user.id):
        abort(403)
    delete_file(record)
    flash("Файл удалён.", "success")
    return redirect(url_for("plan.practice_show", entry_id=entry_id), code=303)

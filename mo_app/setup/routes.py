"""/setup on the first run (every page leads there until it is done) and /settings for the methodologist."""

from __future__ import annotations

from flask import abort, flash, redirect, request, url_for
from flask_login import current_user

from ..auth.sessions import log_in
from ..dates import today
from ..web import methodologist_required, render
from . import bp, services
from .forms import SettingsForm, SetupForm
from .queries import SetupState, app_settings, is_demo, setup_done, state
from .services import ALREADY_SET_UP, SetupData, SetupError

#: what an empty database still answers: static files and the health check (and /setup itself)
OPEN_BEFORE_SETUP = {"static", "main.healthz"}


@bp.record_once
def _process_state(setup_state) -> None:
    """What this process knows about the database's setup (see queries.SetupState)."""
    setup_state.app.extensions["mo_setup"] = SetupState()


@bp.before_app_request
def _send_to_setup():
    """Until the database is set up, every URL but /setup, static files and /healthz leads to /setup."""
    if state().done or request.endpoint in OPEN_BEFORE_SETUP:
        return None
    if setup_done() or request.endpoint == "setup.setup":
        return None
    return redirect(url_for("setup.setup"), code=303)


@bp.app_context_processor
def _demo_banner() -> dict:
    return {"demo_data": is_demo()}


@bp.route("/setup", methods=["GET", "POST"])
def setup():
    """The first run: the association, its centre and the methodologist's account; 404 once set up."""
    if setup_done():
        if request.method == "POST":  # another browser finished first
            return render("setup/already.html", message=ALREADY_SET_UP, status=409)
        abort(404)
    form = SetupForm()
    if form.validate_on_submit():
        data = SetupData(**{name: form[name].data or "" for name in SetupData.__dataclass_fields__})
        try:
            user = services.complete_setup(data, today())
        except SetupError as e:
            return render("setup/already.html", message=e.message, status=e.status)
        state().done = True
        log_in(user)  # a server-side session, as the login page opens one
        flash("Приложение настроено. Добро пожаловать! Добавьте школы и библиотекарей в разделах «Организации» "
              "и «Пользователи», а план года — в разделе «План».", "success")
        return redirect(url_for("main.index"), code=303)
    return render("setup/setup.html", form=form, status=422 if form.errors else 200)


@bp.route("/settings", methods=["GET", "POST"])
@methodologist_required
def settings():
    """The association's full name, its centre and who signs documents."""
    current = app_settings()
    form = SettingsForm(obj=current, signatories=services.signatory_choices())
    if form.validate_on_submit():
        try:
            services.save_settings(current_user, form.association_name.data, form.centre_name.data,
                                   form.signatory_id.data)
        except SetupError as e:
            if e.field is None:
                abort(e.status)
            form[e.field].errors.append(e.message)
        else:
            flash("Настройки сохранены.", "success")
            return redirect(url_for("setup.settings"), code=303)
    return render("setup/settings.html", form=form, settings=current, status=422 if form.errors else 200)

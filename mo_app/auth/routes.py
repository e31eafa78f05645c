"""Login, logout, own password."""

from flask import flash, redirect, request, url_for
from flask_login import current_user, login_required, login_user, logout_user

from ..extensions import db
from ..models import User
from ..models.base import utcnow
from ..passwords import hash_password, password_matches
from ..security import login_failed, login_succeeded, login_throttled
from ..web import is_safe_next, render
from . import bp
from .forms import LoginForm, PasswordChangeForm

BAD_LOGIN = "Неверный логин или пароль."
_dummy_hash: str | None = None


def _spend_a_hash_check(password: str) -> None:
    """Take as long for an unknown login as for a wrong password, so timing does not reveal logins."""
    global _dummy_hash
    if _dummy_hash is None:
        _dummy_hash = hash_password("not-a-password")
    password_matches(_dummy_hash, password)


@bp.route("/login", methods=["GET", "POST"])
def login():
    """Log in by login name and password."""
    if current_user.is_authenticated:
        return redirect(url_for("main.index"))
    form = LoginForm()
    if form.validate_on_submit():
        if throttled := login_throttled(form.login.data):
            form.password.errors.append(throttled)
            return render("auth/login.html", form=form, status=429)
        user = db.session.scalar(db.select(User).where(User.login == form.login.data.strip().lower()))
        if user is None:
            _spend_a_hash_check(form.password.data)
        if user is None or not user.check_password(form.password.data) or not user.active:
            login_failed(form.login.data)
            form.password.errors.append(BAD_LOGIN)
            return render("auth/login.html", form=form, status=422)
        login_succeeded(form.login.data)
        user.previous_login_at, user.last_login_at = user.last_login_at, utcnow()
        db.session.commit()
        login_user(user, remember=form.remember.data)
        target = request.args.get("next")
        return redirect(target if is_safe_next(target) else url_for("main.index"), code=303)
    status = 422 if form.errors else 200
    return render("auth/login.html", form=form, status=status)


@bp.route("/logout", methods=["POST"])
def logout():
    """Log out (POST only, with CSRF)."""
    logout_user()
    flash("Вы вышли из приложения.", "info")
    return redirect(url_for("auth.login"), code=303)


@bp.route("/password", methods=["GET", "POST"])
@login_required
def change_password():
    """Change one's own password; other sessions of the user end."""
    form = PasswordChangeForm()
    if form.validate_on_submit():
        if not current_user.check_password(form.current.data):
            form.current.errors.append("Текущий пароль введён неверно.")
            return render("auth/password.html", form=form, status=422)
        current_user.set_password(form.new.data)
        current_user.must_change_password = False
        db.session.commit()
        login_user(current_user._get_current_object())  # re-issue this session with the new version
        flash("Пароль изменён.", "success")
        return redirect(url_for("main.index"), code=303)
    return render("auth/password.html", form=form, status=422 if form.errors else 200)


@bp.before_app_request
def _force_password_change():
    """A user whose password was reset must choose a new one before anything else."""
    if (
        current_user.is_authenticated
        and current_user.must_change_password
        and request.endpoint not in ("auth.change_password", "auth.logout", "static", "main.healthz")
    ):
        flash("Пароль был сброшен методистом: задайте новый пароль.", "warning")
        return redirect(url_for("auth.change_password"))
    return None

"""Login, logout, the profile with its sessions, own password."""

from flask import abort, flash, redirect, request, url_for
from flask_login import current_user, login_required

from ..extensions import db
from ..models import User
from ..models.base import utcnow
from ..passwords import hash_password, password_matches
from ..security import login_attempt, login_refused_message, login_succeeded
from ..web import render, safe_next
from . import bp, reset, sessions
from .forms import ForgotPasswordForm, LoginForm, PasswordChangeForm, ResetPasswordForm

BAD_LOGIN = "Неверный логин или пароль."
_dummy_hash: str | None = None


def _password_ok(password_hash: str | None, password: str) -> bool:
    """Check a password; for an unknown or inactive login spend as long on a dummy hash, so timing reveals nothing."""
    global _dummy_hash
    if not password_hash:
        if _dummy_hash is None:
            _dummy_hash = hash_password("not-a-password")
        password_matches(_dummy_hash, password)
        return False
    return password_matches(password_hash, password)


@bp.route("/login", methods=["GET", "POST"])
def login():
    """Log in by login name and password (throttled: an attempt is counted before the password is checked)."""
    if current_user.is_authenticated:
        return redirect(url_for("main.index"))
    form = LoginForm()
    if form.validate_on_submit():
        attempt = login_attempt(form.login.data)
        if not attempt.allowed:
            form.password.errors.append(login_refused_message(attempt))
            return render("auth/login.html", form=form, status=429)
        user = db.session.scalar(db.select(User).where(User.login == form.login.data.strip().lower()))
        password_hash = user.password_hash if user is not None and user.active else None
        db.session.commit()  # end the read: SQLite would hold a writing request's lock through the check
        if not _password_ok(password_hash, form.password.data):
            form.password.errors.append(BAD_LOGIN)
            return render("auth/login.html", form=form, status=422)
        login_succeeded(attempt)
        user.previous_login_at, user.last_login_at = user.last_login_at, utcnow()
        sessions.log_in(user, remember=form.remember.data)
        return redirect(safe_next(request.args.get("next"), url_for("main.index")), code=303)
    status = 422 if form.errors else 200
    return render("auth/login.html", form=form, status=status)


@bp.route("/logout", methods=["POST"])
def logout():
    """Log out (POST only, with CSRF): the session ends on the server, its cookies open nothing any more."""
    sessions.log_out(current_user)
    flash("Вы вышли из приложения.", "info")
    return redirect(url_for("auth.login"), code=303)


@bp.route("/profile")
@login_required
def profile():
    """One's own account: name, login, e-mail, the password link and the sessions open on every device."""
    return render("auth/profile.html", sessions=sessions.live_sessions(current_user),
                  current_session_id=current_user.login_session.id, device_label=sessions.device_label)


@bp.route("/profile/sessions/end-all", methods=["POST"])
@login_required
def end_all_sessions():
    """«Выйти на всех устройствах»: every session of the user ends, this one too."""
    sessions.end_all_sessions(current_user._get_current_object())
    flash("Вы вышли на всех устройствах.", "info")
    return redirect(url_for("auth.login"), code=303)


@bp.route("/profile/sessions/<int:session_id>/end", methods=["POST"])
@login_required
def end_session(session_id: int):
    """End one of one's own sessions on another device."""
    if session_id == current_user.login_session.id or not sessions.end_session(current_user, session_id):
        abort(404)
    flash("Сеанс завершён.", "success")
    return redirect(url_for("auth.profile"), code=303)


@bp.route("/password", methods=["GET", "POST"])
@login_required
def change_password():
    """Change one's own password; the other sessions of the user end, this one goes on."""
    form = PasswordChangeForm()
    if form.validate_on_submit():
        if not current_user.check_password(form.current.data):
            form.current.errors.append("Текущий пароль введён неверно.")
            return render("auth/password.html", form=form, status=422)
        user = current_user._get_current_object()
        remember = user.login_session.remember
        user.set_password(form.new.data)
        user.must_change_password = False
        sessions.log_in(user, remember=remember)  # the flush ends every session; this browser gets a new one
        flash("Пароль изменён.", "success")
        return redirect(url_for("main.index"), code=303)
    return render("auth/password.html", form=form, status=422 if form.errors else 200)


FORGOT_SENT = ("Если такая учётная запись есть и в ней указан адрес электронной почты, на него отправлено письмо "
               "со ссылкой для смены пароля. Ссылка действует один час.")


@bp.route("/password/forgot", methods=["GET", "POST"])
def forgot_password():
    """«Забыли пароль?»: a login or e-mail → a letter with a reset link; the same answer whether or not it exists."""
    if current_user.is_authenticated:
        return redirect(url_for("auth.change_password"))
    form = ForgotPasswordForm()
    if form.validate_on_submit():
        if not reset.request_reset(form.login.data):
            form.login.errors.append("Слишком много запросов смены пароля. Попробуйте снова через час "
                                     "или обратитесь к методисту.")
            return render("auth/forgot.html", form=form, sent=False, status=429)
        return render("auth/forgot.html", form=form, sent=True)
    return render("auth/forgot.html", form=form, sent=False, status=422 if form.errors else 200)


@bp.route("/password/reset/<token>", methods=["GET", "POST"])
def reset_password(token: str):
    """A new password through the signed link of a reset letter (valid one hour, once)."""
    try:
        user = reset.user_for_token(token)
    except reset.ResetRefused as e:
        return render("auth/reset.html", form=None, refused=e.message, status=e.status)
    form = ResetPasswordForm()
    if form.validate_on_submit():
        reset.reset_password(token, form.new.data)
        if current_user.is_authenticated:
            sessions.log_out(current_user)
        flash(f"Пароль изменён. Войдите с новым паролем (логин «{user.login}»).", "success")
        return redirect(url_for("auth.login"), code=303)
    return render("auth/reset.html", form=form, refused=None, login=user.login,
                  status=422 if form.errors else 200)


@bp.before_app_request
def _force_password_change():
    """A user whose password was reset must choose a new one before anything else."""
    if (
        current_user.is_authenticated
        and current_user.must_change_password
        and request.endpoint not in ("auth.change_password", "auth.logout", "auth.end_all_sessions", "static",
                                     "main.healthz")
    ):
        flash("Пароль был сброшен методистом: задайте новый пароль.", "warning")
        return redirect(url_for("auth.change_password"))
    return None

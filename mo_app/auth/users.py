"""Flask-Login wiring: the session carries "id:session_version", so bumping the version ends sessions."""

from flask import redirect, request, url_for

from ..errors import error_response
from ..extensions import db, login_manager
from ..models import User
from ..web import is_htmx

login_manager.login_view = "auth.login"
login_manager.login_message = "Войдите, чтобы открыть эту страницу."
login_manager.login_message_category = "info"
login_manager.session_protection = "basic"


@login_manager.user_loader
def load_user(user_id: str):
    """Load the user if the session's version still matches and the account is active."""
    ident, _, version = user_id.partition(":")
    if not ident.isdecimal() or not version.isdecimal():
        return None
    user = db.session.get(User, int(ident))
    if user is None or not user.active or user.session_version != int(version):
        return None
    return user


@login_manager.unauthorized_handler
def unauthorized():
    """Anonymous users go to the login page; htmx requests are told to redirect the whole page."""
    target = url_for("auth.login", next=request.full_path.rstrip("?"))
    if is_htmx():
        response, _ = error_response(401, "Сеанс завершён. Войдите снова.")
        return response, 401, {"HX-Redirect": target}
    return redirect(target)

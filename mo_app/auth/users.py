"""Flask-Login wiring: the session and the remember-me cookie carry a server-side session's key (sessions.py)."""

from flask import redirect, request, url_for

from ..errors import error_response
from ..extensions import login_manager
from ..web import is_htmx
from . import sessions

login_manager.login_view = "auth.login"
login_manager.login_message = "Войдите, чтобы открыть эту страницу."
login_manager.login_message_category = "info"
login_manager.session_protection = "basic"


@login_manager.user_loader
def load_user(user_id: str):
    """The active user whose session (by the key in the cookie) is still open on the server."""
    return sessions.load_user(user_id)


@login_manager.unauthorized_handler
def unauthorized():
    """Anonymous users go to the login page; htmx requests are told to redirect the whole page."""
    target = url_for("auth.login", next=request.full_path.rstrip("?"))
    if is_htmx():
        response, _ = error_response(401, "Сеанс завершён. Войдите снова.")
        return response, 401, {"HX-Redirect": target}
    return redirect(target)

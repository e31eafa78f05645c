"""Error pages in Russian, fragment-sized for htmx requests; database errors roll back and are logged."""

from flask import Flask, g, render_template
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import DataError, DBAPIError, OperationalError
from werkzeug.exceptions import HTTPException

from .dates import OutsideSchoolYear
from .documents.slots import DocumentBusy
from .extensions import db, login_manager
from .web import is_htmx

MESSAGES = {
    400: ("Неверный запрос", "Запрос не удалось обработать. Обновите страницу и попробуйте ещё раз."),
    403: ("Доступ запрещён", "У вас нет прав для этой страницы или действия."),
    404: ("Страница не найдена", "Такой страницы нет или она недоступна для вас."),
    405: ("Действие недоступно", "Этот адрес не принимает такой запрос."),
    413: ("Слишком большой запрос", "Файл или текст слишком велик. Уменьшите его и попробуйте снова."),
    422: ("Ошибка в данных", "Проверьте введённые данные."),
    429: ("Слишком много попыток", "Слишком много попыток. Подождите немного и попробуйте снова."),
    500: ("Внутренняя ошибка", "Что-то пошло не так. Мы уже записали ошибку; попробуйте ещё раз позже."),
    503: ("Сервис временно недоступен", "База данных сейчас недоступна. Попробуйте через минуту."),
}


NUMERIC_OUT_OF_RANGE = "22003"  #: SQLSTATE numeric_value_out_of_range


def error_response(code: int, message: str | None = None, title: str | None = None):
    """Render the Russian error page (or just its box for htmx) with the given status."""
    default_title, text = MESSAGES.get(code, MESSAGES[500])
    template = "errors/_error.html" if is_htmx() else "errors/error.html"
    return render_template(template, code=code, title=title or default_title, text=message or text), code


def init_app(app: Flask) -> None:
    @app.errorhandler(CSRFError)
    def _csrf(e):
        return error_response(400, "Форма устарела или отправлена не из приложения. Обновите страницу и повторите.")

    @app.errorhandler(HTTPException)
    def _http(e):
        if e.code is None or e.code < 400:
            return e
        # a message given where it was raised (web.py's parsers: in Russian), else the code's own
        own = e.description if e.description != type(e).description else None
        return error_response(e.code, own)

    @app.errorhandler(OutsideSchoolYear)
    def _outside_year(e):
        # a service's guard: the forms refuse such a date beside its field first; nothing was written
        db.session.rollback()
        return error_response(422, str(e))

    @app.errorhandler(DocumentBusy)
    def _busy(e):
        response, code = error_response(429, e.message)
        return response, code, {"Retry-After": "1"}

    @app.errorhandler(OverflowError)
    def _overflow(e):
        # an id too large for the database's integers (`/events/99999999999999999999`) names nothing
        db.session.rollback()
        return error_response(404)

    @app.errorhandler(DataError)
    def _data(e):
        if getattr(e.orig, "sqlstate", None) == NUMERIC_OUT_OF_RANGE:  # PostgreSQL's side of the same
            db.session.rollback()
            return error_response(404)
        return _db(e)

    @app.errorhandler(OperationalError)
    @app.errorhandler(DBAPIError)
    def _db(e):
        db.session.rollback()
        app.logger.exception("database error")
        # The page must not need the database: show it as to a guest (no user loading, no menu).
        g._login_user = login_manager.anonymous_user()
        return error_response(503)

    @app.errorhandler(Exception)
    def _any(e):
        db.session.rollback()
        app.logger.exception("unhandled error")
        return error_response(500)

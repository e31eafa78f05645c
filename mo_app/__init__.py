"""mo_app: the intranet app of a district methodological association of school librarians."""

from __future__ import annotations

import logging
from pathlib import Path

from flask import Flask
from flask_talisman import Talisman

from . import cache, dates
from .config import ROOT, Config
from .extensions import babel, csrf, db, limiter, login_manager

CSP = {
    "default-src": "'self'",
    "img-src": "'self' data:",
    "style-src": "'self'",
    "script-src": "'self'",
    "object-src": "'none'",
    "base-uri": "'self'",
    "form-action": "'self'",
    "frame-ancestors": "'none'",
}


def create_app(config: dict | None = None, migrations: bool = True) -> Flask:
    """Build the app: configuration, extensions, blueprints, error pages, CLI.

    `migrations=False` (the WSGI servers: mo_app.serve, wsgi.py) leaves out Flask-Migrate and the `flask db`
    commands: Alembic and what it imports would cost each worker ~10 MB it never uses."""
    cfg = Config()
    app = Flask(
        __name__,
        instance_path=cfg.INSTANCE_PATH,
        template_folder=str(ROOT / "templates"),
        static_folder=str(ROOT / "static"),
    )
    app.config.from_object(cfg)
    if config:
        app.config.update(config)
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    app.logger.setLevel(logging.INFO)

    db.init_app(app)
    if migrations:
        from flask_migrate import Migrate

        Migrate(app, db, directory=str(ROOT / "migrations"), render_as_batch=True)
    csrf.init_app(app)
    babel.init_app(app)
    limiter.init_app(app)
    login_manager.init_app(app)
    cache.init_app(app)
    Talisman(
        app,
        force_https=False,
        content_security_policy=CSP,
        session_cookie_secure=app.config["SESSION_COOKIE_SECURE"],
        session_cookie_http_only=True,
        frame_options="DENY",
        referrer_policy="same-origin",
    )

    from . import audit, auth, errors, events, main, people, plan, security, visits
    from .auth import users as _users  # noqa: F401  (user loader)

    for module in (main, auth, people, events, visits, plan, audit):
        app.register_blueprint(module.bp)
    errors.init_app(app)
    security.init_app(app)

    from .cli import register_cli

    register_cli(app)
    _template_helpers(app)

    @app.after_request
    def _vary(response):
        response.vary.add("HX-Request")
        return response

    return app


def _template_helpers(app: Flask) -> None:
    app.jinja_env.filters.update(
        plural=lambda n, one, few, many: dates.nplural(n, one, few, many),
        long_date=dates.long_date,
        short_date=dates.short_date,
        month_name=dates.month_name,
        local_dt=dates.local_datetime,
        local_time=dates.local_time,
    )
    app.jinja_env.globals.update(plural_word=dates.plural)

    from .nav import nav_items

    @app.context_processor
    def _nav():
        return {"nav_items": nav_items}

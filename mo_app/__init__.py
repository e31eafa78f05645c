"""mo_app: the intranet app of a district methodological association of school librarians."""

from __future__ import annotations

import logging
import os
import stat
from pathlib import Path

from flask import Flask, has_request_context, request
from flask_talisman import Talisman
from sqlalchemy.engine import make_url

from . import backup, cache, dates, restore_gate
from .config import ROOT, Config
from .extensions import babel, csrf, db, login_manager

#: files the app creates are its own: 0600, folders 0700 (the database, its -wal/-shm, the secret key, uploads,
#: backups hold password hashes, calendar tokens and people's documents)
PRIVATE_UMASK = 0o077

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
    os.umask(PRIVATE_UMASK)  # before anything is created: see _keep_private
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
    if make_url(app.config["SQLALCHEMY_DATABASE_URI"]).get_backend_name() == "sqlite":
        # a file on this machine never drops a connection: no liveness ping at every checkout (each request's)
        options = dict(app.config.get("SQLALCHEMY_ENGINE_OPTIONS") or {})
        options.pop("pool_pre_ping", None)
        app.config["SQLALCHEMY_ENGINE_OPTIONS"] = options
    Path(app.instance_path).mkdir(mode=0o700, parents=True, exist_ok=True)
    _keep_private(app)
    app.logger.setLevel(logging.INFO)

    db.init_app(app)
    if migrations:
        from flask_migrate import Migrate

        Migrate(app, db, directory=str(ROOT / "migrations"), render_as_batch=True)
    csrf.init_app(app)
    babel.init_app(app)
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

    from . import (
        audit,
        auth,
        certificates,
        errors,
        events,
        feedback,
        mail,
        main,
        materials,
        people,
        plan,
        portfolio,
        practice,
        results,
        security,
        setup,
        visits,
    )
    from .auth import users as _users  # noqa: F401  (user loader)
    from .documents import verify

    for module in (setup, main, auth, people, events, certificates, portfolio, materials, feedback, visits, plan,
                   practice, results, audit, mail, verify):
        app.register_blueprint(module.bp)
    errors.init_app(app)
    security.init_app(app)
    restore_gate.init_app(app)

    from .cli import register_cli

    register_cli(app)
    _template_helpers(app)

    @app.after_request
    def _vary(response):
        response.vary.add("HX-Request")
        return response

    return app


def _keep_private(app: Flask) -> None:
    """Make the instance's data private to the app's user. Every entry point (the server, the worker, the flask
    CLI, wsgi.py) builds the app, and create_app sets the process umask 077 first: whatever the process creates
    from then on — by our code, SQLite (the -wal and -shm files take the database's mode), pg_dump, tarfile — is
    0600, folders 0700. This tightens what an earlier version created more open (0644 databases, 0755 folders)."""
    folders = [app.instance_path, app.config["UPLOAD_FOLDER"], app.config["BACKUP_DIR"]]
    if app.config.get("DOCUMENT_CACHE_DIR"):
        folders.append(app.config["DOCUMENT_CACHE_DIR"])
    files = [Path(app.instance_path) / "secret_key"]
    url = make_url(app.config["SQLALCHEMY_DATABASE_URI"])
    if url.get_backend_name() == "sqlite" and url.database and url.database != ":memory:":
        files += [Path(url.database + suffix) for suffix in ("", "-wal", "-shm")]
    for path, private in [(Path(p), 0o700) for p in folders] + [(p, 0o600) for p in files]:
        try:
            mode = stat.S_IMODE(path.stat().st_mode)
            if mode & 0o077:
                path.chmod(mode & private)
        except OSError:  # absent, or not ours to change
            continue


def _static_urls(app: Flask) -> None:
    """Templates' `url_for('static', filename=...)` built once per file and script root: every page links the same
    six files (base.html), and each url_for walks werkzeug's URL map. Templates name static files only as literals,
    so the memo stays small; any other call goes to Flask's url_for."""
    build = app.url_for
    urls: dict[tuple[str, str], str] = {}

    def url_for(endpoint: str, **values) -> str:
        if endpoint == "static" and values.keys() == {"filename"} and has_request_context():
            key = (request.script_root, values["filename"])
            url = urls.get(key)
            if url is None:
                url = urls[key] = build(endpoint, **values)
            return url
        return build(endpoint, **values)

    app.jinja_env.globals["url_for"] = url_for


def _template_helpers(app: Flask) -> None:
    app.jinja_env.filters.update(
        plural=lambda n, one, few, many: dates.nplural(n, one, few, many),
        long_date=dates.long_date,
        short_date=dates.short_date,
        month_name=dates.month_name,
        local_dt=dates.local_datetime,
        local_time=dates.local_time,
    )
    from .certificates.queries import is_due as certificate_due

    app.jinja_env.globals.update(plural_word=dates.plural, last_backup=backup.last_backup,
                                 year_limits=dates.year_limits, certificate_due=certificate_due)

    _static_urls(app)

    from .nav import nav_items

    @app.context_processor
    def _nav():
        return {"nav_items": nav_items}

"""Browser tests: Playwright drives Debian's Chromium against the app served by waitress on 127.0.0.1.

Without /usr/bin/chromium the tests are skipped with a clear reason, unless E2E_REQUIRED=1 (CI), where
that is an error."""

from __future__ import annotations

import os
import shutil
import threading
from datetime import date
from pathlib import Path

import pytest
from waitress.server import create_server

from mo_app.extensions import db

from ..conftest import make_app

CHROMIUM = shutil.which("chromium") or ("/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else None)


def pytest_collection_modifyitems(config, items):
    for item in items:
        if "/e2e/" in str(item.fspath):
            item.add_marker(pytest.mark.e2e)
    if CHROMIUM:
        return
    if os.environ.get("E2E_REQUIRED") == "1":
        raise pytest.UsageError("E2E_REQUIRED=1 but /usr/bin/chromium is missing: install Debian's chromium")
    skip = pytest.mark.skip(reason="browser tests skipped: /usr/bin/chromium not found (apt-get install chromium)")
    for item in items:
        if "/e2e/" in str(item.fspath):
            item.add_marker(skip)


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    return {
        **browser_type_launch_args,
        "executable_path": CHROMIUM,
        "args": ["--disable-background-networking", "--disable-component-update", "--no-first-run",
                 "--disable-sync", "--disable-gpu"],
    }


@pytest.fixture(scope="session")
def live_app(tmp_path_factory):
    """The app on a SQLite file built by the migrations, with the demo plan, served by waitress."""
    tmp = tmp_path_factory.mktemp("e2e")
    app = make_app(tmp, SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp / 'e2e.sqlite3'}", TESTING=False)
    with app.app_context():
        from flask_migrate import upgrade

        from mo_app.demo import load_demo

        upgrade()
        load_demo(today=date.today())
    server = create_server(app, host="127.0.0.1", port=0, threads=4)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    app.config["LIVE_URL"] = f"http://127.0.0.1:{server.effective_port}"
    yield app
    server.close()
    with app.app_context():
        db.engine.dispose()


@pytest.fixture(scope="session")
def base_url(live_app):
    return live_app.config["LIVE_URL"]


@pytest.fixture
def login(page, base_url):
    """Log in through the real form."""

    def _login(user: str, password: str):
        page.goto(f"{base_url}/login")
        page.fill("input[name=login]", user)
        page.fill("input[name=password]", password)
        page.click("button[type=submit]")
        page.wait_for_url(f"{base_url}/")
        return page

    return _login


@pytest.fixture
def console_errors(page):
    """Console errors and CSP violations seen by the page (HTTP error statuses are not script errors)."""
    errors: list[str] = []

    def on_console(message):
        if message.type == "error" and not message.text.startswith("Failed to load resource"):
            errors.append(message.text)

    page.on("console", on_console)
    page.on("pageerror", lambda e: errors.append(str(e)))
    return errors

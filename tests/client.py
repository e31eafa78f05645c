"""A test client that sends a valid CSRF token with every state-changing request, as htmx does.

The token is made exactly as Flask-WTF makes it (signed raw token kept in the session), and the
server validates it for real. Pass ``csrf=False`` to send a request without one.

Each request runs in a fresh context, as in production: its own app context, ``g`` and database
session. The test's own session is committed first, so what a test wrote is visible to the request
and what the request wrote is visible to the test's next query."""

from __future__ import annotations

import contextvars
import secrets

from flask import has_app_context
from flask.testing import FlaskClient
from itsdangerous import URLSafeTimedSerializer

SAFE = {"GET", "HEAD", "OPTIONS"}


class CSRFClient(FlaskClient):
    def csrf_token(self) -> str:
        with self.session_transaction() as sess:
            raw = sess.get("csrf_token")
            if not raw:
                raw = sess["csrf_token"] = secrets.token_hex(20)
        app = self.application
        s = URLSafeTimedSerializer(app.config["SECRET_KEY"], salt="wtf-csrf-token")
        return s.dumps(raw)

    def open(self, *args, **kwargs):
        send_token = kwargs.pop("csrf", True)
        method = (kwargs.get("method") or "GET").upper()
        if send_token and method not in SAFE:
            headers = dict(kwargs.pop("headers", None) or {})
            headers.setdefault("X-CSRFToken", self.csrf_token())
            kwargs["headers"] = headers
        if has_app_context():
            from mo_app.extensions import db

            db.session.commit()
        # read whole and closed, as a WSGI server does (a download sent from a file closes the file)
        kwargs.setdefault("buffered", True)
        return contextvars.Context().run(super().open, *args, **kwargs)

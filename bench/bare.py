"""The bare reference: Flask + Flask-SQLAlchemy and nothing else, on the bench's database.

No login, no extension, no code of mo_app: four tables declared here by name (only the columns it reads), 50
sign-ups joined with their librarian, her school and the event, rendered into a 50-row table on a plain HTML
page. It is what the stack itself costs on this machine, under the same server and worker count as the app
(`make bench` measures it before and after the pages; every page's `ratio_bare` is page ÷ this).

Serve: `gunicorn 'bench.bare:create_app()'` or `python -m bench.serve bare` (waitress); DATABASE_URL names the
database.
"""

from __future__ import annotations

import os
from datetime import date

from flask import Flask, render_template
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import ForeignKey, String, select
from sqlalchemy.orm import DeclarativeBase, Mapped, contains_eager, mapped_column, relationship

PATH = "/"
ROWS = 50


class Base(DeclarativeBase):
    pass


db = SQLAlchemy(model_class=Base)


class Organization(db.Model):
    __tablename__ = "organization"

    id: Mapped[int] = mapped_column(primary_key=True)
    short_name: Mapped[str] = mapped_column(String(120))


class User(db.Model):
    __tablename__ = "user"

    id: Mapped[int] = mapped_column(primary_key=True)
    last_name: Mapped[str] = mapped_column(String(80))
    initials: Mapped[str] = mapped_column(String(10))
    organization_id: Mapped[int | None] = mapped_column(ForeignKey("organization.id"))
    organization: Mapped[Organization | None] = relationship()


class Event(db.Model):
    __tablename__ = "event"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(300))
    date_start: Mapped[date | None]


class Registration(db.Model):
    __tablename__ = "registration"

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("event.id"))
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    status: Mapped[str] = mapped_column(String(20))
    event: Mapped[Event] = relationship()
    user: Mapped[User] = relationship()


def database_url() -> str:
    url = os.environ["DATABASE_URL"]
    for prefix in ("postgres://", "postgresql://"):  # as the app reads it: psycopg 3 is the driver
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


def create_app(url: str | None = None) -> Flask:
    """The reference page and /healthz (the bench's servers wait for it); nothing else."""
    app = Flask(__name__)
    app.config["SQLALCHEMY_DATABASE_URI"] = url or database_url()
    db.init_app(app)

    @app.route(PATH)
    def reference():
        """50 sign-ups with librarian, school and event (one joined query) in a 50-row table."""
        query = (
            select(Registration)
            .join(Registration.user)
            .outerjoin(User.organization)
            .join(Registration.event)
            .options(contains_eager(Registration.user).contains_eager(User.organization),
                     contains_eager(Registration.event))
            .order_by(Registration.id)
            .limit(ROWS)
        )
        return render_template("bench/bare.html", rows=db.session.scalars(query).all())

    @app.route("/healthz")
    def healthz():
        return "ok"

    return app

"""Reading the settings: whether the database is set up (asked once per process), the documents' letterhead.

Every request asks «is setup done?» (setup.routes sends everyone to /setup until it is). A process asks the
database until the answer is yes and then never again: setup cannot be undone from the app, and a restored
backup of a real database is set up too (its settings row comes back with it). The demo marker (is_demo) is
read in the same query and kept with it, for the banner every page shows.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask import current_app
from sqlalchemy.orm import joinedload

from ..cache import cached
from ..extensions import db
from ..models import AppSettings, User
from ..models.settings import SETTINGS_ID


@dataclass
class SetupState:
    """What this process knows about the database's setup (app.extensions["mo_setup"])."""

    done: bool = False
    is_demo: bool = False


def state() -> SetupState:
    return current_app.extensions["mo_setup"]


def database_state() -> tuple[bool, bool | None]:
    """(has the database any account, the settings row's is_demo or None without a row), in one query."""
    has_users, is_demo = db.session.execute(
        db.select(
            db.select(User.id).exists(),
            db.select(AppSettings.is_demo).where(AppSettings.id == SETTINGS_ID).scalar_subquery(),
        )
    ).one()
    return bool(has_users), is_demo


def is_set_up(has_users: bool, is_demo: bool | None) -> bool:
    """Set up: the settings row exists, or accounts do (a database in use since before settings existed)."""
    return is_demo is not None or has_users


def setup_done() -> bool:
    """True once the database is set up; this process asks the database only until it first says yes."""
    known = state()
    if known.done:
        return True
    has_users, is_demo = database_state()
    if is_set_up(has_users, is_demo):
        known.is_demo = bool(is_demo)
        known.done = True
    return known.done


def is_demo() -> bool:
    """True when this process has seen that its database is the demonstration (no query)."""
    return state().is_demo


def app_settings() -> AppSettings | None:
    """The settings row with its signatory (one query); None before setup."""
    return db.session.scalar(
        db.select(AppSettings).options(joinedload(AppSettings.signatory)).where(AppSettings.id == SETTINGS_ID)
    )


EMPTY_LETTERHEAD = {"association": "", "centre": "", "signatory_name": "", "signatory_position": ""}


def _read_letterhead() -> dict:
    settings = app_settings()
    if settings is None:
        return dict(EMPTY_LETTERHEAD)
    signatory = settings.signatory
    if signatory is not None and not signatory.active:
        signatory = None  # a deactivated account signs nothing: the line is left for a hand-written name
    return {
        "association": settings.association_name,
        "centre": settings.centre_name or "",
        "signatory_name": signatory.full_name if signatory else "",
        "signatory_position": _capitalised(signatory.position or "методист") if signatory else "",
    }


def _capitalised(text: str) -> str:
    """«методист ИМЦ» → «Методист ИМЦ» (a signature line starts with a capital; the rest stays as written)."""
    return text[:1].upper() + text[1:]


def letterhead(stamp: str | None = None) -> dict:
    """What documents are headed and signed with, as plain strings: {"association", "centre",
    "signatory_name" (full name), "signatory_position" (first letter capital)}; empty strings where nothing
    is set (no settings row, no signatory, or a deactivated one).

    One query; with a data stamp the caller has read (mo_app/cache.py) it is kept for that stamp, which
    renews whenever the settings or the signatory's account change."""
    return dict(cached(stamp, ("letterhead",), _read_letterhead, size=lambda value: 2048))

"""E-mail: the outbox (outbox.py: letters written in the caller's transaction), the letters (letters.py, templates
under templates/mail/), sending (sender.py: the worker's «mail» job), /mail, preferences and unsubscribe."""

from flask import Blueprint

bp = Blueprint("mail", __name__)

from . import routes  # noqa: E402,F401

"""First-run setup (/setup) and the association's settings (/settings)."""

from flask import Blueprint

bp = Blueprint("setup", __name__)

from . import routes  # noqa: E402,F401

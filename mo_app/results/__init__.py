from flask import Blueprint

bp = Blueprint("results", __name__)

from . import routes  # noqa: E402,F401

from flask import Blueprint

bp = Blueprint("plan", __name__)

from . import practice, results_views, routes  # noqa: E402,F401

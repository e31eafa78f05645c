"""The audit log screen (methodologist, read-only); importing it installs the automatic log listener."""

from flask import Blueprint

from .. import audit_log  # noqa: F401  (installs the before/after flush listeners)

bp = Blueprint("audit", __name__, url_prefix="/audit")

from . import routes  # noqa: E402,F401

"""Routes of the plan area."""

from . import bp  # noqa: F401

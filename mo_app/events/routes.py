"""Routes of the events area."""

from . import bp  # noqa: F401

"""Routes of the visits area."""

from . import bp  # noqa: F401

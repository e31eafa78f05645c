"""Sample visits activity on the demo's current year (marked is_sample), so every screen has something to show."""

from __future__ import annotations

from datetime import date


def load(year, people: dict, today: date) -> None:
    """Add sample visits activity to `year`; `people` maps demo logins to users."""

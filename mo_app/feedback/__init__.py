"""Feedback after an event: each participant marked present rates it («Оцените мероприятие»: usefulness 1–5,
what was most useful, what to improve, topics wanted next year), once, editable for 14 days; the methodologist
sees each event's answers without names and the year's events by average rating with the topics wanted."""

from .routes import bp

__all__ = ["bp"]

"""An event's materials: files and links the methodologist and the event's speakers attach, each with a title.
Registered librarians see them before the event, every librarian after it; removing one is audited."""

from .routes import bp

__all__ = ["bp"]

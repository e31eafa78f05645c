"""Participation certificates: a librarian marked present (or a speaker) at an event that has taken place
downloads «Сертификат участника»; the methodologist marks speakers, downloads an event's certificates in one
PDF and revokes one. Each is kept as issued and confirmed at /verify/<code>."""

from .routes import bp

__all__ = ["bp"]

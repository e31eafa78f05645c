"""The portfolio: everything a librarian did in the association, by school year, with the hours — for her
attestation (`/my/portfolio`, and `/people/<id>/portfolio` for the methodologist), on screen and as a PDF."""

from .routes import bp

__all__ = ["bp"]

"""What every paper's header and signature say: the settings (setup.queries.letterhead)."""

from __future__ import annotations


def letterhead(stamp: str | None = None) -> dict:
    """The association and centre names and the signatory's full name and position, for every paper; with no
    signatory set, the line reads «Методист» and is signed by hand."""
    from ..setup.queries import letterhead as settings_letterhead  # the setup package imports its routes

    head = settings_letterhead(stamp)
    return {**head, "signatory_position": head["signatory_position"] or "Методист"}

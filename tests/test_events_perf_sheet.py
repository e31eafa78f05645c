"""The sign-in sheet lists only registered people, by name."""

from __future__ import annotations

from mo_app.events.routes import get_event_or_404, sheet_people
from mo_app.extensions import db
from mo_app.models import User

from .events_helpers import coming_event


def test_sheet_lists_registered_people_by_name(app, f):
    ev = coming_event(f)
    for name in ("Яковлева", "Алексеева", "Миронова"):
        f.registration(ev, f.librarian(last_name=name))
    f.registration(ev, f.librarian(last_name="Ожидающая"), status="waiting")
    f.registration(ev, f.librarian(last_name="Отменившая"), status="cancelled")
    with app.test_request_context("/"):
        people = sheet_people(get_event_or_404(ev.id))
    assert [r.user.last_name for r in people] == ["Алексеева", "Миронова", "Яковлева"]
    assert all(isinstance(r.user, User) for r in people)
    db.session.rollback()

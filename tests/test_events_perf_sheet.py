"""The sign-in sheet's tables are laid out fixed (cheap in WeasyPrint) and still fit the page as the automatic
layout did: columns at their percentages of the table, padding included; the sheet lists only registered
people."""

from __future__ import annotations

from flask import render_template

from mo_app.events.routes import get_event_or_404, sheet_context
from mo_app.extensions import db
from mo_app.models import User

from .events_helpers import coming_event


def _tables(box, found):
    if type(box).__name__ == "TableBox":
        found.append(box)
    for child in getattr(box, "children", []):
        _tables(child, found)
    return found


def _laid_out(app, event_id: int):
    from weasyprint import CSS, HTML

    from mo_app import printing

    with app.test_request_context("/"):
        html = render_template("events/sign_in_sheet.html", pdf=True, **sheet_context(get_event_or_404(event_id)))
    fetcher = printing._static_fetcher()
    return HTML(string=html, base_url=str(printing.ROOT / "static") + "/", url_fetcher=fetcher).render(
        stylesheets=[CSS(filename=str(printing.PDF_CSS), url_fetcher=fetcher)])


def test_sheet_tables_fit_the_page_with_their_column_shares(app, f):
    ev = coming_event(f, title="Семинар")
    for k in range(30):
        f.registration(ev, f.librarian(last_name=f"Участникова{k:02d}"))
    f.registration(ev, f.librarian(last_name="Ожидающая"), status="waiting")
    doc = _laid_out(app, ev.id)
    page = doc.pages[0]._page_box
    body = page.children[0].children[0]
    assert body.element_tag == "body"
    content_left, content_width = body.content_box_x(), body.width
    head, sheet = _tables(page, [])[:2]
    for table in (head, sheet):
        left = table.border_box_x()
        assert abs(left - content_left) < 0.5
        assert left + table.border_width() <= content_left + content_width + 0.5, "the table runs into the margin"
    shares = [w / sum(sheet.column_widths) for w in sheet.column_widths]
    assert [round(s, 2) for s in shares] == [0.08, 0.40, 0.24, 0.28]
    assert round(head.column_widths[0] / sum(head.column_widths), 2) == 0.30
    assert len(doc.pages) == 2  # 30 people and 5 blank rows of 9 mm: two A4 pages, as before


def test_sheet_lists_registered_people_by_name(app, f):
    ev = coming_event(f)
    for name in ("Яковлева", "Алексеева", "Миронова"):
        f.registration(ev, f.librarian(last_name=name))
    f.registration(ev, f.librarian(last_name="Ожидающая"), status="waiting")
    f.registration(ev, f.librarian(last_name="Отменившая"), status="cancelled")
    with app.test_request_context("/"):
        people = sheet_context(get_event_or_404(ev.id))["people"]
    assert [r.user.last_name for r in people] == ["Алексеева", "Миронова", "Яковлева"]
    assert all(isinstance(r.user, User) for r in people)
    db.session.rollback()

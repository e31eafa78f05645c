"""Who may see and change what in the events area."""

import pytest

from mo_app.extensions import db
from mo_app.models import ConsultationRequest

from .events_helpers import coming_event, status_of

METHODOLOGIST_GETS = ["/events/{id}/participants", "/events/{id}/participants.csv", "/events/{id}/participants.xlsx",
                      "/events/{id}/sign-in-sheet.pdf", "/events/{id}/edit",
                      "/events/new", "/events/{id}/cancel-event", "/events/{id}/participants/search?q=a"]


@pytest.mark.parametrize("url", METHODOLOGIST_GETS)
def test_librarian_cannot_see_participants_or_exports(client, f, login_as, url):
    ev = coming_event(f)
    f.registration(ev, f.librarian(last_name="Секретова"))
    login_as(f.librarian())
    r = client.get(url.format(id=ev.id))
    assert r.status_code == 403
    assert "Секретова" not in r.get_data(as_text=True)


def test_event_pages_do_not_list_other_participants_to_librarians(client, f, login_as):
    ev = coming_event(f)
    f.registration(ev, f.librarian(last_name="Секретова"))
    login_as(f.librarian())
    for url in (f"/events/{ev.id}", "/events", "/my/events"):
        assert "Секретова" not in client.get(url).get_data(as_text=True)


def test_librarian_cannot_touch_another_registration(client, f, login_as):
    ev = coming_event(f, capacity=1)
    other = f.librarian()
    waiting = f.librarian()
    f.registration(ev, other)
    reg = f.registration(ev, waiting, status="waiting")
    login_as(f.librarian())
    for url in (f"/events/{ev.id}/attendance/{reg.id}", f"/events/{ev.id}/participants/{reg.id}/move-up",
                f"/events/{ev.id}/participants/{reg.id}/remove"):
        assert client.post(url, data={"value": "present"}).status_code == 403
    assert status_of(ev.id, waiting.id) == "waiting"


def test_registration_of_another_event_is_404_for_the_methodologist(client, f, login_as):
    ev, other = coming_event(f), coming_event(f)
    reg = f.registration(other, f.librarian())
    login_as(f.methodologist())
    assert client.post(f"/events/{ev.id}/attendance/{reg.id}", data={"value": "present"}).status_code == 404
    assert client.post(f"/events/{ev.id}/participants/{reg.id}/remove").status_code == 404


def test_consultations_librarian_sees_only_own(client, f, login_as):
    year = f.year()
    mine, other = f.librarian(), f.librarian()
    db.session.add_all([
        ConsultationRequest(year_id=year.id, user_id=mine.id, topic="Моя тема о списании"),
        ConsultationRequest(year_id=year.id, user_id=other.id, topic="Чужая тема о каталоге"),
    ])
    db.session.commit()
    login_as(mine)
    page = client.get("/consultations").get_data(as_text=True)
    assert "Моя тема о списании" in page and "Чужая тема о каталоге" not in page
    req = db.session.scalar(db.select(ConsultationRequest).where(ConsultationRequest.user_id == other.id))
    assert client.post(f"/consultations/{req.id}", data={"action": "held"}).status_code == 403
    login_as(f.methodologist())
    page = client.get("/consultations").get_data(as_text=True)
    assert "Моя тема о списании" in page and "Чужая тема о каталоге" in page


def test_my_events_is_for_librarians(client, f, login_as):
    f.year()
    login_as(f.methodologist())
    assert client.get("/my/events").status_code == 403
    assert client.get("/events").status_code == 200


def test_list_filters_htmx_fragment_and_full_page(client, f, login_as):
    coming_event(f, title="Семинар А", kind="seminar")
    coming_event(f, title="Совещание Б", kind="meeting")
    login_as(f.librarian())
    r = client.get("/events?kind=meeting", headers={"HX-Request": "true"})
    body = r.get_data(as_text=True)
    assert "<html" not in body and 'id="event-list"' in body
    assert "Совещание Б" in body and "Семинар А" not in body
    full = client.get("/events?kind=meeting").get_data(as_text=True)
    assert "<html" in full and "Совещание Б" in full and "Семинар А" not in full
    assert '<option value="meeting" selected>' in full
    restore = client.get("/events?kind=meeting", headers={"HX-Request": "true", "HX-History-Restore-Request": "true"})
    assert "<html" in restore.get_data(as_text=True)

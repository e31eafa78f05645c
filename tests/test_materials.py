"""An event's materials (#18 §3): the methodologist and the event's speakers attach files (the best-practice
upload rules) and http(s) links with a title; registered librarians see them before the event, every librarian
after it; removing one asks first and is audited; the files go into backups."""

from __future__ import annotations

import io
import tarfile
from datetime import timedelta
from pathlib import Path

import pytest

from mo_app import backup
from mo_app.dates import today
from mo_app.extensions import db
from mo_app.models import AuditEntry, EventMaterial

HOSTILE = '<script>alert("x")</script><img src=x onerror=alert(1)>'


def _post(client, url, **kw):
    db.session.commit()  # end this test's read transaction
    return client.post(url, **kw)


def _file(name="план.pdf", body=b"%PDF-1.4 slides"):
    return (io.BytesIO(body), name)


@pytest.fixture
def world(f):
    """A seminar next week (Анна registered, Белла a speaker, Вера waiting) and one held last week (Анна present),
    Галина signed up for neither."""
    year = f.year()
    school = f.school("79")
    people = {n: f.librarian(school, last_name=n, first_name="Мария") for n in ("Анна", "Белла", "Вера", "Галина")}
    soon = f.event(year, title="Скоро", when=today() + timedelta(days=7))
    past = f.event(year, title="Прошло", when=today() - timedelta(days=7))
    f.registration(soon, people["Анна"])
    f.registration(soon, people["Белла"], talk_title="Мой опыт")
    f.registration(soon, people["Вера"], status="waiting")
    f.registration(past, people["Анна"], attendance="present")
    return {"boss": f.methodologist(), "soon": soon, "past": past, **people}


def _materials():
    return list(db.session.scalars(db.select(EventMaterial).order_by(EventMaterial.id)))


def test_methodologist_attaches_a_file_served_as_an_attachment_under_a_random_name(world, client, login_as, app):
    login_as(world["boss"])
    r = _post(client, f"/events/{world['soon'].id}/materials/file",
              data={"title": "Презентация", "file": _file()}, content_type="multipart/form-data")
    assert r.status_code == 303
    (m,) = _materials()
    assert m.title == "Презентация" and m.original_name == "план.pdf" and m.content_type == "application/pdf"
    stored = Path(app.config["UPLOAD_FOLDER"]) / "materials" / m.stored_name
    assert stored.read_bytes() == b"%PDF-1.4 slides" and "план" not in m.stored_name and len(m.stored_name) > 30
    r = client.get(f"/materials/{m.id}/file")
    assert r.status_code == 200 and r.data == b"%PDF-1.4 slides"
    assert r.headers["Content-Disposition"].startswith("attachment") and "filename*=UTF-8''" in r.headers[
        "Content-Disposition"]
    assert r.headers["X-Content-Type-Options"] == "nosniff"


def test_speaker_attaches_a_link_and_others_may_not_add(world, client, login_as):
    login_as(world["Анна"])  # registered, no materials yet, not a speaker: no section
    assert "/materials" not in client.get(f"/events/{world['soon'].id}").get_data(as_text=True)
    login_as(world["Белла"])
    page = client.get(f"/events/{world['soon'].id}").get_data(as_text=True)
    assert f"/events/{world['soon'].id}/materials" in page and "Добавить или удалить материалы" in page
    page = client.get(f"/events/{world['soon'].id}/materials").get_data(as_text=True)
    assert 'id="material-file-form"' in page and 'id="material-link-form"' in page
    r = _post(client, f"/events/{world['soon'].id}/materials/link",
              data={"title": "Статья", "url": "https://example.org/a?b=1"})
    assert r.status_code == 303
    assert [(m.title, m.url) for m in _materials()] == [("Статья", "https://example.org/a?b=1")]
    for who in ("Анна", "Вера", "Галина"):  # registered but not a speaker, waiting, not registered
        login_as(world[who])
        r = _post(client, f"/events/{world['soon'].id}/materials/link", data={"title": "Х", "url": "https://x.ru"})
        assert r.status_code == 403 and "выступающие" in r.get_data(as_text=True)
        r = _post(client, f"/events/{world['soon'].id}/materials/file", data={"title": "Х", "file": _file()},
                  content_type="multipart/form-data")
        assert r.status_code == 403
    assert len(_materials()) == 1


@pytest.mark.parametrize(("data", "field", "message"), [
    ({"title": "", "url": "https://example.org"}, "title", "Укажите название."),
    ({"title": "   ", "url": "https://example.org"}, "title", "Укажите название."),
    ({"title": "Я" * 201, "url": "https://example.org"}, "title", "Не длиннее 200 символов."),
    ({"title": "Ссылка", "url": ""}, "url", "Укажите ссылку."),
    ({"title": "Ссылка", "url": "javascript:alert(1)"}, "url", "http://"),
    ({"title": "Ссылка", "url": "ftp://example.org/x"}, "url", "http://"),
    ({"title": "Ссылка", "url": "https://"}, "url", "http://"),
    ({"title": "Ссылка", "url": "https://exa mple.org"}, "url", "http://"),
    ({"title": "Ссылка", "url": "//example.org"}, "url", "http://"),
    ({"title": "Ссылка", "url": "https://example.org/" + "a" * 2000}, "url", "Не длиннее 2000"),
])
def test_bad_link_is_refused_next_to_its_field_and_nothing_is_saved(world, client, login_as, data, field, message):
    login_as(world["boss"])
    r = _post(client, f"/events/{world['soon'].id}/materials/link", data=data)
    text = r.get_data(as_text=True)
    assert r.status_code == 422
    assert f'id="{field}-error"' in text and message in text.split(f'id="{field}-error"')[1][:300]
    assert _materials() == []


@pytest.mark.parametrize(("upload", "message", "status"), [
    (("script.exe", b"MZ"), "Этот тип файла не принимается", 422),
    (("без-расширения", b"x"), "Этот тип файла не принимается", 422),
    (("пусто.pdf", b""), "Файл пустой.", 422),
    (("большой.pdf", b"x" * 2049), "Файл больше 2 КБ.", 413),
])
def test_bad_file_is_refused_next_to_its_field_and_nothing_is_stored(world, client, login_as, app, upload, message,
                                                                     status):
    app.config["UPLOAD_MAX_BYTES"] = 2048
    login_as(world["boss"])
    name, body = upload
    r = _post(client, f"/events/{world['soon'].id}/materials/file", data={"title": "Т", "file": _file(name, body)},
              content_type="multipart/form-data")
    text = r.get_data(as_text=True)
    assert r.status_code == status and message in text.split('id="file-error"')[1][:300]
    assert _materials() == []
    folder = Path(app.config["UPLOAD_FOLDER"]) / "materials"
    assert not folder.exists() or not any(folder.iterdir())


def test_file_form_without_a_file_or_title(world, client, login_as):
    login_as(world["boss"])
    r = _post(client, f"/events/{world['soon'].id}/materials/file", data={"title": ""},
              content_type="multipart/form-data")
    text = r.get_data(as_text=True)
    assert r.status_code == 422 and "Выберите файл." in text and "Укажите название." in text
    assert _materials() == []


def _attach_both(event, boss, f):
    link = f._save(EventMaterial(event_id=event.id, title="Ссылка-материал", url="https://example.org",
                                 added_by_id=boss.id))
    return link


def test_before_the_event_only_registered_librarians_see_its_materials(world, client, login_as, f, app):
    link = _attach_both(world["soon"], world["boss"], f)
    for who, sees in (("Анна", True), ("Белла", True), ("Вера", False), ("Галина", False), ("boss", True)):
        login_as(world[who])
        page = client.get(f"/events/{world['soon'].id}")
        assert page.status_code == 200
        assert ("Ссылка-материал" in page.get_data(as_text=True)) is sees, who
        r = client.get(f"/events/{world['soon'].id}/materials")
        assert r.status_code == (200 if sees else 403), who
        if not sees:
            assert "записавшиеся" in r.get_data(as_text=True)
            assert "Ссылка-материал" not in r.get_data(as_text=True)
    # a file the same way: downloads refused (404) to those who may not see it
    login_as(world["boss"])
    _post(client, f"/events/{world['soon'].id}/materials/file", data={"title": "Файл", "file": _file()},
          content_type="multipart/form-data")
    file_id = _materials()[-1].id
    for who, status in (("Анна", 200), ("Вера", 404), ("Галина", 404)):
        login_as(world[who])
        assert client.get(f"/materials/{file_id}/file").status_code == status, who
    assert link.id != file_id


def test_after_the_event_every_librarian_sees_its_materials(world, client, login_as, f):
    _attach_both(world["past"], world["boss"], f)
    for who in ("Анна", "Вера", "Галина"):
        login_as(world[who])
        assert "Ссылка-материал" in client.get(f"/events/{world['past'].id}").get_data(as_text=True), who
        assert client.get(f"/events/{world['past'].id}/materials").status_code == 200


def test_the_soon_event_is_after_once_held(world, client, login_as, f):
    _attach_both(world["soon"], world["boss"], f)
    world["soon"].status = "held"
    db.session.commit()
    login_as(world["Галина"])
    assert "Ссылка-материал" in client.get(f"/events/{world['soon'].id}/materials").get_data(as_text=True)


def test_removing_asks_first_is_audited_and_deletes_the_file(world, client, login_as, app):
    login_as(world["Белла"])
    _post(client, f"/events/{world['soon'].id}/materials/file", data={"title": "Доклад", "file": _file()},
          content_type="multipart/form-data")
    (m,) = _materials()
    stored = Path(app.config["UPLOAD_FOLDER"]) / "materials" / m.stored_name
    page = client.get(f"/events/{world['soon'].id}/materials").get_data(as_text=True)
    assert f'action="/materials/{m.id}/delete"' in page and 'data-confirm="Удалить материал «Доклад»?"' in page
    # another registered librarian may see it but not remove it
    login_as(world["Анна"])
    assert f"/materials/{m.id}/delete" not in client.get(f"/events/{world['soon'].id}/materials").get_data(
        as_text=True)
    assert _post(client, f"/materials/{m.id}/delete").status_code == 403
    assert stored.exists() and len(_materials()) == 1
    # who added it removes it
    login_as(world["Белла"])
    assert _post(client, f"/materials/{m.id}/delete").status_code == 303
    assert _materials() == [] and not stored.exists()
    entries = db.session.scalars(db.select(AuditEntry).where(AuditEntry.entity == "EventMaterial")).all()
    assert {e.action for e in entries} >= {"create", "delete"}


def test_methodologist_removes_a_speakers_material(world, client, login_as):
    login_as(world["Белла"])
    _post(client, f"/events/{world['soon'].id}/materials/link", data={"title": "Т", "url": "http://example.org"})
    (m,) = _materials()
    login_as(world["boss"])
    assert _post(client, f"/materials/{m.id}/delete").status_code == 303
    assert _materials() == []


def test_hostile_titles_stay_text(world, client, login_as):
    login_as(world["boss"])
    _post(client, f"/events/{world['soon'].id}/materials/link", data={"title": HOSTILE, "url": "https://e.org/\"x"})
    assert _materials() == []  # a quote in the address is refused
    _post(client, f"/events/{world['soon'].id}/materials/link", data={"title": HOSTILE, "url": "https://e.org/x"})
    assert len(_materials()) == 1
    for url in (f"/events/{world['soon'].id}", f"/events/{world['soon'].id}/materials"):
        text = client.get(url).get_data(as_text=True)
        assert "<script>alert" not in text and "<img src=x" not in text
        assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in text


def test_uploaded_materials_are_in_the_backup(world, client, login_as, app, tmp_path):
    login_as(world["boss"])
    _post(client, f"/events/{world['past'].id}/materials/file", data={"title": "Т", "file": _file()},
          content_type="multipart/form-data")
    (m,) = _materials()
    archive = backup.backup(tmp_path / "b.tar.gz")
    with tarfile.open(archive) as tar:
        member = tar.extractfile(f"uploads/materials/{m.stored_name}")
        assert member is not None and member.read() == b"%PDF-1.4 slides"


def test_unknown_material_or_event_is_404(world, client, login_as):
    login_as(world["boss"])
    assert client.get("/materials/999/file").status_code == 404
    assert _post(client, "/materials/999/delete").status_code == 404
    assert client.get("/events/999/materials").status_code == 404
    assert _post(client, "/events/999/materials/link", data={"title": "x", "url": "https://x.ru"}).status_code == 404

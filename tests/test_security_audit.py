"""The automatic audit log (who, when, what, before → after) and its read-only page for the methodologist."""

from __future__ import annotations

import json
from datetime import datetime

import pytest
from sqlalchemy import event

from mo_app.audit_log import audit_actor, audit_suspended
from mo_app.extensions import db
from mo_app.models import AuditEntry, Organization, User, Visit

from .factories import PASSWORD


def entries(entity: str | None = None, action: str | None = None) -> list[AuditEntry]:
    stmt = db.select(AuditEntry).order_by(AuditEntry.id)
    if entity:
        stmt = stmt.where(AuditEntry.entity == entity)
    if action:
        stmt = stmt.where(AuditEntry.action == action)
    return list(db.session.scalars(stmt))


def test_create_update_delete_are_logged_with_before_and_after(app, f):
    school = f.school("79", address="ул. Ленина, 1")
    created = entries("Organization", "create")
    assert len(created) == 1
    assert created[0].entity_id == school.id
    assert created[0].changes["short_name"] == [None, "ГБОУ №79"]
    assert created[0].changes["address"] == [None, "ул. Ленина, 1"]
    assert created[0].user_id is None  # no request: the system

    # The object was expired by the commit: the change is made without reading the old value first.
    school.address = "ул. Мира, 2"
    db.session.commit()
    (updated,) = entries("Organization", "update")
    assert updated.entity_id == school.id
    assert updated.changes == {"address": ["ул. Ленина, 1", "ул. Мира, 2"]}

    school_id = school.id
    db.session.delete(school)
    db.session.commit()
    (deleted,) = entries("Organization", "delete")
    assert deleted.entity_id == school_id
    assert deleted.changes["short_name"] == ["ГБОУ №79", None]
    assert deleted.changes["address"] == ["ул. Мира, 2", None]


def test_foreign_key_changed_through_a_relationship_is_logged(app, f):
    a, b = f.school("1"), f.school("2")
    user = f.librarian(a)
    user.organization = b
    db.session.commit()
    (entry,) = entries("User", "update")
    assert entry.changes == {"organization_id": [a.id, b.id]}


def test_many_to_many_change_is_logged_as_ids(app, f):
    school = f.school()
    visit = f.visit(school)
    p1, p2 = f.purpose(title="Первая"), f.purpose(title="Вторая")
    visit.purposes.append(p1)
    db.session.commit()
    visit = db.session.get(Visit, visit.id)
    visit.purposes = [p2]
    db.session.commit()
    updates = entries("Visit", "update")
    assert [e.changes["purposes"] for e in updates] == [[[], [p1.id]], [[p1.id], [p2.id]]]


def test_unchanged_assignment_and_bookkeeping_fields_make_no_entry(app, f):
    school = f.school("5")
    before = len(entries())
    school.short_name = "ГБОУ №5"  # same value
    db.session.commit()
    user = f.librarian(school)
    before = len(entries())
    user.last_login_at = datetime(2026, 11, 26, 9, 0)
    db.session.commit()
    assert len(entries()) == before


def test_entry_is_written_in_the_same_transaction_and_rolls_back_with_it(app, f):
    school = f.school("7")
    before = len(entries())
    school.name = "Другое имя"
    db.session.flush()
    assert len(entries()) == before + 1  # already written, inside the open transaction
    db.session.rollback()
    assert len(entries()) == before
    assert db.session.get(Organization, school.id).name == "ГБОУ школа №7"


def test_request_changes_name_the_logged_in_user_and_hide_secrets(app, client, f, login_as):
    user = f.librarian(login="petrova")
    user.new_calendar_token()
    db.session.commit()
    token = user.calendar_token
    login_as(user)
    r = client.post("/password", data={"current": PASSWORD, "new": "Новый-пароль-7", "confirm": "Новый-пароль-7"})
    assert r.status_code == 303
    (entry,) = [e for e in entries("User", "update") if "password_hash" in e.changes]
    assert entry.user_id == user.id
    assert entry.entity_id == user.id
    assert entry.changes["password_hash"] == ["•••", "•••"]
    everything = json.dumps([e.changes for e in entries()], ensure_ascii=False)
    assert "scrypt" not in everything
    assert token not in everything
    assert "Новый-пароль-7" not in everything
    assert PASSWORD not in everything


def test_cli_actor_and_suspension(app, f):
    boss = f.methodologist()
    with audit_actor(boss.id):
        f.school("10")
    assert entries("Organization", "create")[-1].user_id == boss.id
    before = len(entries())
    with audit_suspended():
        f.school("11")
    assert len(entries()) == before


def test_the_log_cannot_be_edited_or_deleted_through_the_orm(app, f):
    f.school("12")
    entry = entries()[0]
    entry.changes = {"forged": [1, 2]}
    with pytest.raises(RuntimeError, match="append-only"):
        db.session.commit()
    db.session.rollback()
    entry = entries()[0]
    db.session.delete(entry)
    with pytest.raises(RuntimeError, match="append-only"):
        db.session.commit()
    db.session.rollback()
    assert "forged" not in entries()[0].changes


# --- the page -----------------------------------------------------------------------------------------


def test_page_is_for_the_methodologist_only(app, client, f, login_as):
    anon = app.test_client()
    r = anon.get("/audit/")
    assert r.status_code == 302 and "/login" in r.headers["Location"]
    login_as(f.librarian())
    assert client.get("/audit/").status_code == 403


def test_page_is_read_only(app):
    rules = [r for r in app.url_map.iter_rules() if r.endpoint.startswith("audit.")]
    assert [r.endpoint for r in rules] == ["audit.index"]
    for rule in rules:
        assert rule.methods <= {"GET", "HEAD", "OPTIONS"}


def test_page_lists_changes_with_who_and_before_after(app, client, f, login_as):
    boss = f.methodologist(last_name="Смирнова", initials="О.П.")
    school = f.school("79")
    with audit_actor(boss.id):
        school.address = "ул. Новая, 3"
        db.session.commit()
    login_as(boss)
    text = client.get("/audit/").get_data(as_text=True)
    assert "Журнал изменений" in text
    assert "Смирнова О.П." in text
    assert "изменение" in text and "создание" in text
    assert "адрес" in text and "ул. Новая, 3" in text
    assert "ГБОУ №79" in text


def test_page_shows_user_input_as_text(app, client, f, login_as):
    f.school("1", short_name="<script>alert(1)</script>")
    login_as(f.methodologist())
    text = client.get("/audit/").get_data(as_text=True)
    assert "<script>alert(1)</script>" not in text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in text


def test_filters_by_entity_user_action_and_dates(app, client, f, login_as):
    boss = f.methodologist(last_name="Смирнова")
    lib = f.librarian(f.school("1"), last_name="Петрова")
    with audit_actor(lib.id):
        event_ = f.event(title="Семинар для фильтра")
    old = entries()[0]
    db.session.execute(
        db.update(AuditEntry).where(AuditEntry.id == old.id).values(at=datetime(2025, 1, 10, 12, 0))
    )
    db.session.commit()
    login_as(boss)

    def rows(query):
        r = client.get("/audit/?" + query)
        assert r.status_code == 200, (query, r.status_code)
        return r.get_data(as_text=True).count("<tr data-entity=")

    total = len(entries())
    assert rows("") == total
    assert rows("entity=Event") == 1
    assert "Семинар для фильтра" in client.get("/audit/?entity=Event").get_data(as_text=True)
    assert rows(f"user={lib.id}") == 1
    assert rows("user=system") == total - 1
    assert rows("action=delete") == 0
    assert rows(f"entity=Event&id={event_.id}") == 1
    assert rows("from=2025-01-10&to=2025-01-10") == 1
    assert rows("from=11.01.2025") == total - 1
    assert rows("to=2025-01-09") == 0


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("from=2025-02-30", "Неверная дата"),
        ("to=завтра", "Неверная дата"),
        ("from=2025-03-01&to=2025-02-01", "раньше даты"),
        ("entity=Secret", "Неизвестный вид записи"),
        ("user=abc", "Неизвестный пользователь"),
        ("action=drop", "Неизвестное действие"),
        ("id=-1", "целое число"),
    ],
)
def test_bad_filters_get_a_russian_message_not_an_error(app, client, f, login_as, query, message):
    login_as(f.methodologist())
    r = client.get("/audit/?" + query)
    assert r.status_code == 422
    assert message in r.get_data(as_text=True)


def test_htmx_filter_returns_the_results_fragment(app, client, f, login_as):
    login_as(f.methodologist())
    f.school("3")
    r = client.get("/audit/?entity=Organization", headers={"HX-Request": "true"})
    text = r.get_data(as_text=True)
    assert r.status_code == 200
    assert "<html" not in text and 'id="audit-table"' in text
    full = client.get("/audit/?entity=Organization").get_data(as_text=True)
    assert "<html" in full and 'id="audit-filters"' in full


def test_pagination(app, client, f, login_as):
    boss = f.methodologist()
    for i in range(55):
        db.session.add(Organization(name=f"Школа {i}", short_name=f"Ш{i}", kind="school"))
    db.session.commit()
    login_as(boss)
    first = client.get("/audit/?entity=Organization").get_data(as_text=True)
    assert first.count("<tr data-entity=") == 50
    assert "страница 1 из 2" in first
    second = client.get("/audit/?entity=Organization&page=2").get_data(as_text=True)
    assert second.count("<tr data-entity=") == 5
    # a bad page number is not an error
    assert client.get("/audit/?page=abc").status_code == 200
    assert client.get("/audit/?page=999").status_code == 200
    assert client.get("/audit/?page=99999999999999999999999").status_code == 200
    assert client.get("/audit/?page=-3").status_code == 200


def _count_queries(client, url) -> int:
    n = 0

    def count(*args):
        nonlocal n
        n += 1

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        assert client.get(url).status_code == 200
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
    return n


def test_page_query_count_does_not_grow_with_data(app, client, f, login_as):
    boss = f.methodologist()
    login_as(boss)
    users = [f.librarian(f.school()) for _ in range(3)]
    for u in users:
        with audit_actor(u.id):
            f.school()
    small = _count_queries(client, "/audit/")
    more = [f.librarian(f.school()) for _ in range(15)]
    for u in more:
        with audit_actor(u.id):
            f.school()
            f.event(title=f"Событие {u.id}")
    large = _count_queries(client, "/audit/")
    assert large == small


def test_date_filter_uses_moscow_days(app, client, f, login_as):
    login_as(f.methodologist())
    f.school("1")
    entry = entries()[0]
    # 22:30 UTC on 9 January is 01:30 on 10 January in Moscow
    db.session.execute(
        db.update(AuditEntry).where(AuditEntry.id == entry.id).values(at=datetime(2025, 1, 9, 22, 30))
    )
    db.session.commit()
    text = client.get("/audit/?from=2025-01-10&to=2025-01-10").get_data(as_text=True)
    assert text.count("<tr data-entity=") == 1
    assert "10 января 2025" in text
    assert client.get("/audit/?to=2025-01-09").get_data(as_text=True).count("<tr data-entity=") == 0


def test_deleted_user_keeps_entries(app, f):
    lib = f.librarian()
    with audit_actor(lib.id):
        f.school("44")
    user_id = lib.id
    db.session.delete(db.session.get(User, user_id))
    db.session.commit()
    entry = entries("Organization", "create")[-1]
    db.session.refresh(entry)
    assert entry.user_id is None  # ON DELETE SET NULL: the entry itself stays

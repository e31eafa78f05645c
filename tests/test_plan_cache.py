"""The fragment cache of /plan, /plan.docx, /plan.pdf and /results (mo_app/cache.py): a change committed by
any means is seen on the next request, in this process and in another; one viewer's variant never reaches
another; an uncommitted change is never kept; every table a cached page may show renews the stamp."""

from __future__ import annotations

import io
import re
from datetime import datetime

import pytest
from sqlalchemy import inspect, text

from mo_app.auth.sessions import open_session
from mo_app.cache import UNWATCHED_TABLES, cached, current_stamp, fragments, watched_tables
from mo_app.dates import PlanDate
from mo_app.extensions import db
from mo_app.models import AuditEntry, Event, Notice, Registration, ThrottleCounter, User, UserSession

from .conftest import make_app, migrated_app, without_csrf
from .plan_helpers import ask_at_once


@pytest.fixture
def plan(app, f):
    """A current year with a goal, a seminar and a course with one participant; a methodologist, two schools."""
    year = f.year()
    goal = f.goal(year)
    a, b = f.school("1001"), f.school("1002")
    a1 = f.librarian(a, last_name="Андреева", initials="А.А.")
    b1 = f.librarian(b, last_name="Борисова", initials="Б.Б.")
    seminar = f.event(year, title="Семинар о чтении", goal_id=goal.id, venue_id=a.id)
    course = f.event(year, kind="course", title="Курсы в АППО", goal_id=goal.id, when=PlanDate.whole_year(2026))
    f.registration(course, a1, attendance="present")
    return {"year": year, "goal": goal, "a": a, "b": b, "a1": a1, "b1": b1, "seminar": seminar, "course": course,
            "metodist": f.methodologist()}


def _page(client, url: str) -> str:
    r = client.get(url)
    assert r.status_code == 200, url
    return without_csrf(r.get_data(as_text=True))


def _docx_text(client) -> str:
    from docx import Document

    r = client.get("/plan.docx")
    assert r.status_code == 200
    doc = Document(io.BytesIO(r.data))
    return " ".join(c.text for t in doc.tables for row in t.rows for c in row.cells)


def _commit_elsewhere(sql: str, **params) -> None:
    """A change made on another connection, as another worker process or psql would make it. The test's own
    session ends its transaction first, so its next read sees the change (each request's session does)."""
    db.session.commit()
    with db.engine.begin() as conn:
        conn.execute(text(sql), params)


# ---- a change is seen on the next request ------------------------------------------------------------------------

def test_plan_is_kept_and_a_renamed_event_is_seen_next(plan, client, login_as):
    login_as(plan["metodist"])
    assert "Семинар о чтении" in _page(client, "/plan")
    hits = fragments().hits
    assert "Семинар о чтении" in _page(client, "/plan")
    assert fragments().hits == hits + 1  # the second view came from the cache

    plan["seminar"].title = "Семинар о детской книге"
    db.session.commit()
    page = _page(client, "/plan")
    assert "Семинар о детской книге" in page and "Семинар о чтении" not in page


def test_sign_up_and_new_participant_are_seen_on_plan_and_docx(plan, client, f, login_as):
    login_as(plan["metodist"])
    assert "Борисова Б.Б. №1002" not in _page(client, "/plan")
    assert "Борисова Б.Б. №1002" not in _docx_text(client)

    f.registration(plan["course"], plan["b1"])  # a sign-up
    assert "Борисова Б.Б. №1002" in _page(client, "/plan")
    assert "Борисова Б.Б. №1002" in _docx_text(client)

    newcomer = f.librarian(plan["b"], last_name="Васильева", initials="В.В.")  # a new participant
    f.registration(plan["course"], newcomer)
    assert "Васильева В.В. №1002" in _page(client, "/plan")
    assert "Васильева В.В. №1002" in _docx_text(client)

    plan["b1"].last_name = "Борисова-Петрова"  # a person renamed
    db.session.commit()
    assert "Борисова-Петрова Б.Б. №1002" in _page(client, "/plan")


def test_cancelled_sign_up_leaves_the_plan(plan, client, login_as):
    login_as(plan["metodist"])
    assert "Андреева А.А. №1001" in _page(client, "/plan")
    reg = db.session.scalar(db.select(Registration).where(Registration.user_id == plan["a1"].id))
    reg.status = "cancelled"
    db.session.commit()
    assert "Андреева А.А. №1001" not in _page(client, "/plan")


def test_core_bulk_update_and_another_connections_change_are_seen(plan, client, login_as):
    login_as(plan["metodist"])
    _page(client, "/plan")
    db.session.execute(db.update(Event).where(Event.id == plan["seminar"].id).values(title="Семинар Core"))
    db.session.commit()
    assert "Семинар Core" in _page(client, "/plan")

    _commit_elsewhere("UPDATE event SET title = :t WHERE id = :id", t="Семинар из psql", id=plan["seminar"].id)
    assert "Семинар из psql" in _page(client, "/plan")

    _commit_elsewhere("UPDATE goal SET title = :t WHERE id = :id", t="Новая цель", id=plan["goal"].id)
    assert "Новая цель" in _page(client, "/plan")


def test_another_process_sees_a_change_made_through_this_one(plan, client, login_as, tmp_path):
    """Two apps on one database (as two gunicorn workers): each keeps its own fragments, both see a change."""
    other = make_app(tmp_path)
    other_client = other.test_client()
    with other_client.session_transaction() as sess:
        sess["_user_id"] = open_session(plan["metodist"])
        sess["_fresh"] = True
    login_as(plan["metodist"])
    assert "Семинар о чтении" in _page(client, "/plan")
    assert "Семинар о чтении" in _page(other_client, "/plan")

    # the methodologist renames the goal through the app served by this "worker"
    r = client.post(f"/plan/goals/{plan['goal'].id}", data={"title": "Цель, изменённая в первом процессе"})
    assert r.status_code in (200, 303)
    assert "Цель, изменённая в первом процессе" in _page(other_client, "/plan")
    assert "Цель, изменённая в первом процессе" in _page(client, "/plan")
    with other.app_context():
        db.session.remove()
        db.engine.dispose()


def test_year_of_the_plan_changes_the_document(plan, client, f, login_as):
    login_as(plan["metodist"])
    f.event(f.year(2025, current=False), title="Прошлогодний семинар")
    assert "Прошлогодний семинар" not in _page(client, "/plan")
    assert "Прошлогодний семинар" in _page(client, "/plan?year=2025")
    assert "Семинар о чтении" in _page(client, "/plan")


def test_pdf_is_kept_and_renewed_on_change(plan, client, login_as):
    login_as(plan["metodist"])
    first = client.get("/plan.pdf").data
    assert client.get("/plan.pdf").data == first  # the same bytes, from the cache
    plan["seminar"].title = "Семинар для PDF"
    db.session.commit()
    assert client.get("/plan.pdf").data != first


# ---- what does not renew the stamp -------------------------------------------------------------------------------

def test_login_bookkeeping_notices_and_audit_keep_the_stamp(plan):
    stamp = current_stamp()
    user = plan["a1"]
    user.last_login_at, user.previous_login_at = datetime(2026, 11, 27, 9), datetime(2026, 11, 26, 9)
    user.calendar_token = "a-new-feed-token"
    db.session.add(UserSession(key_hash="0" * 64, user_id=user.id, expires_at=datetime(2027, 1, 1)))
    db.session.add(ThrottleCounter(key="1" * 64, hits=3, expires_at=2_000_000_000))
    db.session.add(Notice(user_id=user.id, event_id=plan["seminar"].id, kind="moved", text="Мероприятие перенесено"))
    db.session.add(AuditEntry(user_id=user.id, action="update", entity="User", entity_id=user.id, changes={}))
    db.session.commit()
    assert current_stamp() == stamp
    # a session seen again an hour later, a counted attempt, a logout
    db.session.execute(db.update(UserSession).values(last_seen_at=datetime(2026, 11, 27, 10)))
    db.session.execute(db.update(ThrottleCounter).values(hits=ThrottleCounter.hits + 1))
    db.session.commit()
    db.session.execute(db.delete(UserSession))
    db.session.execute(db.delete(ThrottleCounter))
    db.session.commit()
    assert current_stamp() == stamp

    user.last_name = "Андреева-Смирнова"
    db.session.commit()
    assert current_stamp() != stamp


def test_a_rolled_back_change_keeps_the_stamp(plan):
    stamp = current_stamp()
    plan["seminar"].title = "Не сохранится"
    db.session.flush()
    db.session.rollback()
    assert current_stamp() == stamp


def test_uncommitted_change_is_neither_served_nor_kept(plan, app):
    stamp = current_stamp()
    calls = []

    def build():
        calls.append(1)
        return "fragment"

    with app.test_request_context("/plan"):
        assert cached(stamp, "key", build) == "fragment"
        assert cached(stamp, "key", build) == "fragment"
        assert len(calls) == 1  # kept
        plan["seminar"].title = "Черновик"
        db.session.flush()
        assert cached(stamp, "key", build) == "fragment"
        assert cached(stamp, "other", build) == "fragment"
        assert len(calls) == 3  # neither served nor kept while the change is not committed
        db.session.rollback()
        assert cached(stamp, "other", build) == "fragment"
        assert len(calls) == 4


def test_threads_missing_one_fragment_at_once_build_it_once(plan, app):
    """After a change, a busy page's first requests in one worker all miss its fragment: one builds it, the others
    wait for it and get the same, instead of each building it (the district's results: ~100 ms each on a city)."""
    stamp = current_stamp()
    db.session.commit()
    builds, got = ask_at_once(app, "/results", lambda build: cached(stamp, "district", build), "results")
    assert builds == 1 and got == ["results"] * 4
    with app.test_request_context("/results"):
        assert cached(stamp, "other", lambda: "other") == "other"  # other keys are built as before


def test_a_build_that_asks_for_its_own_fragment_again_does_not_wait_for_itself(plan, app):
    import threading

    stamp = current_stamp()
    db.session.commit()
    got = []

    def ask():
        with app.test_request_context("/plan"):
            got.append(cached(stamp, "outer", lambda: "outer:" + cached(stamp, "outer", lambda: "inner")))
            db.session.remove()

    thread = threading.Thread(target=ask, daemon=True)
    thread.start()
    thread.join(timeout=10)
    assert got == ["outer:inner"]


# ---- one viewer's variant never reaches another ------------------------------------------------------------------

def test_plan_page_keeps_each_roles_own_tools(plan, client, login_as):
    login_as(plan["metodist"])
    assert "Редактировать план" in _page(client, "/plan")
    login_as(plan["a1"])
    page = _page(client, "/plan")
    assert "Семинар о чтении" in page and "Редактировать план" not in page
    login_as(plan["metodist"])
    assert "Редактировать план" in _page(client, "/plan")


@pytest.mark.parametrize("first", ["metodist", "a1"])
def test_results_variants_do_not_leak_between_viewers(plan, client, login_as, first):
    a, b = plan["a"], plan["b"]
    order = [first, "a1" if first == "metodist" else "metodist", "b1", first]
    for who in order:
        login_as(plan[who])
        page = _page(client, "/results")
        shown = set(re.findall(r'id="school-(\d+)"', page))
        people = set(re.findall(r'id="person-(\d+)"', page))
        if who == "metodist":
            assert shown == {str(a.id), str(b.id)}
            assert people == {str(plan["a1"].id), str(plan["b1"].id)}
        else:
            own = plan[who]
            assert shown == {str(own.organization_id)}
            assert people == {str(own.id)}


def test_results_district_figures_are_computed_once_and_shared_unchanged(plan, client, login_as):
    """The district's results are kept apart from any view: a librarian's view reuses them (no aggregate
    queries) and narrowing them to one school does not narrow them for the methodologist."""
    from .plan_helpers import count_queries

    login_as(plan["metodist"])
    _page(client, "/results")
    login_as(plan["a1"])
    with count_queries() as statements:
        page = _page(client, "/results")
    assert len(statements) <= 3  # the user, the years with the stamp (and nothing of the aggregates)
    assert set(re.findall(r'id="school-(\d+)"', page)) == {str(plan["a"].id)}
    login_as(plan["metodist"])
    page = _page(client, "/results?page=1")  # another body, the same district figures
    assert set(re.findall(r'id="school-(\d+)"', page)) == {str(plan["a"].id), str(plan["b"].id)}
    assert set(re.findall(r'id="person-(\d+)"', page)) == {str(plan["a1"].id), str(plan["b1"].id)}


def test_results_see_attendance_marked_since_the_last_view(plan, client, login_as):
    login_as(plan["metodist"])
    page = _page(client, "/results")
    assert re.search(r'<span class="num">1</span> присутствовали', page)
    reg = Registration(event_id=plan["seminar"].id, user_id=plan["b1"].id, attendance="present")
    db.session.add(reg)
    db.session.commit()
    assert re.search(r'<span class="num">2</span> присутствовали', _page(client, "/results"))


def test_results_pages_are_kept_apart(plan, client, f, login_as):
    year = plan["year"]
    for n in range(55):
        f.event(year, title=f"Тема {n:02d}")
    login_as(plan["metodist"])
    first = _page(client, "/results")
    second = _page(client, "/results?events_page=2")
    assert "Тема 00" in first and "Тема 00" not in second
    assert _page(client, "/results") == first


# ---- every table a cached page may show renews the stamp ---------------------------------------------------------

def _triggered_tables(conn) -> dict[str, set[str]]:
    if conn.dialect.name == "postgresql":
        rows = conn.execute(text(
            "SELECT event_object_table, event_manipulation FROM information_schema.triggers "
            "WHERE trigger_name = 'mo_data_version'"
        )).all()
        return {t: {e for tt, e in rows if tt == t} for t, _ in rows}
    rows = conn.execute(text("SELECT tbl_name, sql FROM sqlite_master WHERE type = 'trigger'")).all()
    found: dict[str, set[str]] = {}
    for table, sql in rows:
        what = re.search(r"AFTER (INSERT|UPDATE|DELETE)", sql).group(1)
        found.setdefault(table, set()).add(what)
    return found


def test_migrations_put_a_stamp_trigger_on_every_watched_table(tmp_path):
    """A new table without its triggers (or a user column left out) fails here: add them in its migration."""
    with migrated_app(tmp_path):
        with db.engine.connect() as conn:
            found = _triggered_tables(conn)
            names = set(inspect(conn).get_table_names())
            if conn.dialect.name == "postgresql":
                user_cols = set(conn.execute(text(
                    "SELECT event_object_column FROM information_schema.triggered_update_columns "
                    "WHERE trigger_name = 'mo_data_version' AND event_object_table = 'user'"
                )).scalars())
            else:
                sql = conn.execute(text(
                    "SELECT sql FROM sqlite_master WHERE type = 'trigger' AND name = 'mo_dv_user_upd'"
                )).scalar_one()
                user_cols = set(re.findall(r'"(\w+)"', sql.split("UPDATE OF", 1)[1].split(" ON ")[0]))
        stamp_row = db.session.execute(text("SELECT count(*) FROM data_version")).scalar_one()
    expected = dict(watched_tables(db.metadata))
    assert set(expected) == {n for n in names if n not in UNWATCHED_TABLES}
    assert {t: found.get(t) for t in expected} == {t: {"INSERT", "UPDATE", "DELETE"} for t in expected}
    assert user_cols == set(expected["user"])
    assert stamp_row == 1


def test_every_committed_write_to_a_watched_table_renews_the_stamp(plan):
    """Through each kind of statement: ORM insert/update/delete, and on another connection (also an SQLite
    `INSERT OR IGNORE`, whose conflict policy the trigger's own statements would inherit)."""
    stamps = [current_stamp()]
    reg = Registration(event_id=plan["seminar"].id, user_id=plan["b1"].id)
    db.session.add(reg)
    db.session.commit()
    stamps.append(current_stamp())
    reg.attendance = "present"
    db.session.commit()
    stamps.append(current_stamp())
    db.session.delete(reg)
    db.session.commit()
    stamps.append(current_stamp())
    _commit_elsewhere("UPDATE organization SET short_name = 'ГБОУ №1002 (ремонт)' WHERE id = :id", id=plan["b"].id)
    stamps.append(current_stamp())
    ignore = "INSERT OR IGNORE INTO" if db.engine.dialect.name == "sqlite" else "INSERT INTO"
    _commit_elsewhere(f"{ignore} goal (year_id, position, title) VALUES (:y, 9, 'Цель из psql')", y=plan["year"].id)
    stamps.append(current_stamp())
    _commit_elsewhere('UPDATE "user" SET last_login_at = NULL WHERE id = :id', id=plan["b1"].id)
    stamps.append(current_stamp())
    assert None not in stamps
    assert len(set(stamps[:-1])) == len(stamps) - 1  # each change a new stamp...
    assert stamps[-1] == stamps[-2]  # ...but not a login's bookkeeping
    assert db.session.scalar(db.select(User.last_login_at).where(User.id == plan["b1"].id)) is None

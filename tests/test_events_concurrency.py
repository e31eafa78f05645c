"""Seats under concurrency: ≥20 threads sign up for 5 seats, concurrent cancellations promote exactly.

Runs on the `app` fixture's database (PostgreSQL with TEST_DATABASE_URL, a SQLite file otherwise) and,
always, on a SQLite file of its own."""

from __future__ import annotations

import threading

import pytest

from mo_app.auth.sessions import open_session
from mo_app.events import services
from mo_app.extensions import db
from mo_app.models import Registration

from .conftest import make_app
from .events_helpers import coming_event
from .factories import Factories

THREADS = 24
SEATS = 5


def _run_all(app, fn, args_list):
    """Run fn(*args) in one thread each, all released at once; each thread has its own app context and session."""
    barrier = threading.Barrier(len(args_list))
    errors: list[BaseException] = []

    def worker(args):
        try:
            with app.app_context():
                barrier.wait(timeout=30)
                fn(*args)
        except BaseException as e:  # noqa: BLE001 - collected and asserted below
            errors.append(e)

    threads = [threading.Thread(target=worker, args=(a,)) for a in args_list]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    return errors


def _race(app):
    f = Factories()
    ev = coming_event(f, capacity=SEATS)
    users = [f.librarian() for _ in range(THREADS)]
    ev_id, user_ids = ev.id, [u.id for u in users]
    db.session.commit()

    errors = _run_all(app, lambda uid: services.register(ev_id, uid), [(uid,) for uid in user_ids])
    assert errors == []
    db.session.expire_all()
    regs = db.session.scalars(db.select(Registration).where(Registration.event_id == ev_id)).all()
    assert len(regs) == THREADS and len({r.user_id for r in regs}) == THREADS  # no duplicates, nobody lost
    registered = [r for r in regs if r.status == "registered"]
    waiting = sorted((r for r in regs if r.status == "waiting"), key=lambda r: (r.queued_at, r.id))
    assert len(registered) == SEATS and len(waiting) == THREADS - SEATS
    # A consistent order: every sign-up has its own moment; seats went to the earliest ones.
    assert len({r.queued_at for r in regs}) == THREADS
    assert max(r.queued_at for r in registered) < min(r.queued_at for r in waiting)
    positions = [services.my_states(r.user, [ev_id])[ev_id].position for r in waiting]
    assert positions == list(range(1, THREADS - SEATS + 1))

    # Concurrent cancellations: every seat-holder and two people waiting cancel at once.
    cancelling = [r.user_id for r in registered] + [waiting[0].user_id, waiting[5].user_id]
    queue_after = [r.user_id for r in waiting if r.user_id not in cancelling]
    db.session.commit()  # end this thread's own transaction (outside a request it takes the write lock)
    errors = _run_all(app, lambda uid: services.cancel(ev_id, uid), [(uid,) for uid in cancelling])
    assert errors == []
    db.session.expire_all()
    regs = db.session.scalars(db.select(Registration).where(Registration.event_id == ev_id)).all()
    now_registered = {r.user_id for r in regs if r.status == "registered"}
    assert len(now_registered) == SEATS  # exactly as many promoted as were freed
    assert now_registered == set(queue_after[:SEATS])  # in waiting-list order
    assert sum(r.status == "waiting" for r in regs) == THREADS - SEATS - SEATS - 2
    assert sum(r.status == "cancelled" for r in regs) == len(cancelling)
    assert all(r.promoted_at for r in regs if r.status == "registered")


def test_seats_hold_under_concurrency_on_the_test_database(app):
    """PostgreSQL when TEST_DATABASE_URL is set (row lock), else a SQLite file."""
    _race(app)


def test_seats_hold_under_concurrency_on_a_sqlite_file(tmp_path):
    app = make_app(tmp_path, SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path / 'race.sqlite3'}")
    with app.app_context():
        assert db.engine.dialect.name == "sqlite"
        db.create_all()
        try:
            _race(app)
        finally:
            db.session.remove()
            db.engine.dispose()


@pytest.mark.parametrize("hx", [True])
def test_concurrent_http_sign_ups(app, hx):
    """The same race through real requests, one test client (and session) per librarian."""
    f = Factories()
    ev = coming_event(f, capacity=SEATS)
    users = [f.librarian() for _ in range(THREADS)]
    ev_id = ev.id
    clients = []
    for u in users:
        c = app.test_client()
        with c.session_transaction() as s:
            s["_user_id"] = open_session(u)
            s["_fresh"] = True
        clients.append(c)
    db.session.commit()
    statuses: list[int] = []
    barrier = threading.Barrier(len(clients))

    def worker(c):
        barrier.wait(timeout=30)
        statuses.append(c.post(f"/events/{ev_id}/register", headers={"HX-Request": "true"}).status_code)

    threads = [threading.Thread(target=worker, args=(c,)) for c in clients]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert statuses == [200] * THREADS
    db.session.expire_all()
    rows = db.session.execute(
        db.select(Registration.status, db.func.count()).where(Registration.event_id == ev_id)
        .group_by(Registration.status)
    ).all()
    assert dict(rows) == {"registered": SEATS, "waiting": THREADS - SEATS}

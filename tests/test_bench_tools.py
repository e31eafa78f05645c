"""The benchmark's own parts that decide its figures: the bare reference app, the data generator's bulk paths
(COPY on PostgreSQL), and the report's merge of runs (results.json keeps every database and the scaling run)."""

from __future__ import annotations

import pytest

from bench import bare, generate, report
from bench.generate import counts, populate
from bench.pages import DOCUMENTS
from bench.queries import count_statements
from mo_app.extensions import db
from mo_app.models import Event, Registration, User, Visit, VisitReport


def test_bare_reference_is_fifty_joined_rows_in_one_statement(app):
    """The bare app shows 50 sign-ups with librarian, school and event from one query, escaped."""
    targets = populate(0.02, password_hash="unused")
    first = db.session.scalar(db.select(Registration).order_by(Registration.id).limit(1))
    event = db.session.get(Event, first.event_id)
    event.title = "<b>Семинар</b>"
    db.session.commit()
    user = db.session.get(User, first.user_id)

    bare_app = bare.create_app(app.config["SQLALCHEMY_DATABASE_URI"])
    client = bare_app.test_client()
    with bare_app.app_context():
        engine = bare.db.engine
    try:
        with count_statements(engine) as seen:
            resp = client.get(bare.PATH)
        healthz = client.get("/healthz")
    finally:
        engine.dispose()  # its own pool: nothing left open on the test database
    body = resp.get_data(as_text=True)
    assert resp.status_code == 200
    assert len(seen) == 1
    assert body.count("<tr>") == bare.ROWS + 1  # the header and 50 rows
    assert f"{user.last_name} {user.initials}" in body
    assert user.organization.short_name in body
    assert "&lt;b&gt;Семинар&lt;/b&gt;" in body and "<b>Семинар" not in body
    assert healthz.status_code == 200
    assert targets["counts"]["registrations"] > bare.ROWS


def test_generator_bulk_paths_fill_the_same_data(app, monkeypatch):
    """With every batch large enough for the bulk path (COPY on PostgreSQL), the set is whole and consistent:
    the ids handed back are the rows' ids, and the columns' Python-side defaults are filled."""
    monkeypatch.setattr(generate, "COPY_FROM", 10)
    scale = 0.004
    targets = populate(scale, password_hash="unused")
    expected = counts(scale)
    assert db.session.scalar(db.select(db.func.count()).select_from(Registration)) <= expected["registrations"]
    assert db.session.scalar(db.select(db.func.count()).select_from(Visit)) == expected["visits"]
    methodologists = db.session.scalars(db.select(User.login).where(User.role == "methodologist")).all()
    assert sorted(methodologists) == sorted(targets["methodologists"])
    assert len(methodologists) == generate.METHODOLOGISTS

    visit = db.session.get(Visit, targets["visit_id"])
    assert visit.organization_id == targets["school_id"]
    assert visit.is_sample is False  # a default the rows do not give
    report_row = db.session.scalar(db.select(VisitReport).where(VisitReport.visit_id == visit.id))
    assert report_row.methods == ["talk", "documents"]  # JSON kept as JSON
    lib1 = db.session.scalar(db.select(User).where(User.login == targets["librarian"]))
    shown = db.session.scalars(db.select(Registration.user_id).where(Registration.event_id == targets["event_id"]))
    assert lib1.id in set(shown)
    assert lib1.organization_id == targets["school_id"]
    signup = db.session.scalars(
        db.select(User.login).join(Registration, Registration.user_id == User.id)
        .where(Registration.event_id == targets["signup_event_id"])
    ).all()
    assert not set(signup) & set(targets["signup_users"])  # they sign up under load


def _server(label: str, bare_rps: float, ref_rps: float) -> dict:
    page = {"name": "events", "path": "/events", "role": "librarian", "method": "GET", "document": None,
            "rps": ref_rps / 2, "ratio": 0.5, "ratio_bare": round(ref_rps / 2 / bare_rps, 2), "p50_ms": 10.0,
            "p95_ms": 20.0, "p99_ms": 30.0, "queries": 5, "queries_small": 5, "errors": 0, "statuses": {200: 9}}
    doc = {"name": "plan_pdf", "path": "/plan.pdf", "role": "methodologist", "method": "GET",
           "document": "plan_pdf", "rps": None, "ratio": None, "ratio_bare": None, "p50_ms": None, "p95_ms": None,
           "p99_ms": None, "queries": 7, "queries_small": 7,
           "error": "one request takes 2.0 s: too slow for a 5 s run"}
    runs = {"runs_rps": [ref_rps, ref_rps], "p50_ms": 5.0, "p95_ms": 9.0, "p99_ms": 12.0}
    return {
        "server": label, "reference_rps": ref_rps, "bare_reference_rps": bare_rps,
        "overhead_ratio": round(ref_rps / bare_rps, 2), "reference": {**runs, "queries": 2},
        "bare_reference": {**runs, "path": "/", "rss_mb_per_worker": 50.0, "rss_mb_after_run": 49.0},
        "pages": [page, doc], "heavy_document": None, "rss_mb_after_run": 90.0, "rss_mb_per_worker": 99.0,
        "workers": 1, "restarts": 0, "timing_seconds": 1.0,
    }


def _database(date: str, bare_rps: float) -> dict:
    dataset = counts(1.0)
    timing = [
        {"name": "events", "path": "/events", "document": None, "grows": False, "queries": 5, "queries_small": 5,
         "ms": 3.0, "cold_ms": 9.0, "ms_small": 3.0, "cold_ms_small": 8.0, "timed_out_s": None, "status": None},
        {"name": "plan_pdf", "path": "/plan.pdf", "document": "plan_pdf", "grows": True, "queries": 7,
         "queries_small": 7, "ms": 2000.0, "cold_ms": 2100.0, "ms_small": None, "cold_ms_small": None,
         "timed_out_s": None, "status": None},
    ]
    return {"date": date, "commit": "abc1234", "machine": "test", "load_average": [0.1, 0.1, 0.1],
            "version": "SQLite 3", "dataset": dataset, "dataset_small": counts(0.1),
            "data_seconds": {"small": 1.0, "large": 5.0},
            "timing": {"server": "waitress, 4 threads", "pages": timing},
            "servers": {"waitress": _server("waitress, 4 threads", bare_rps, bare_rps * 0.7)}, "seconds": 100.0}


def _run(databases: dict) -> dict:
    return {"date": "2026-12-01 10:00 UTC", "commit": "abc1234", "machine": "test", "cores": 2, "versions": {},
            "connections": 16, "seconds_per_page": 5, "not_available": [], "missing": [], "notes": [],
            "databases": databases, "primary": {"database": next(iter(databases)), "server": "waitress"},
            "load_average": {"before": None, "after": None}, "total_seconds": 200.0}


@pytest.mark.parametrize("order", ["sqlite first", "postgresql first"])
def test_report_keeps_every_database_and_the_scaling_run(order):
    """A run replaces the databases it measured and keeps the others and the on-demand scaling run; the top of
    results.json carries the primary's bare reference, ratio_bare, overhead_ratio and every document by name."""
    sqlite, pg = _database("2026-12-01", 600.0), _database("2026-12-02", 500.0)
    first, second = ({"sqlite": sqlite}, {"postgresql": pg}) if order == "sqlite first" else (
        {"postgresql": pg}, {"sqlite": sqlite})
    doc = report.merge(_run(first), None)
    scaling = {"scaling": {"sqlite": {"date": "2026-12-03", "factor": 10, "pages": []}}, "total_seconds": 1.0}
    doc = report.merge(scaling, doc)
    assert set(doc["databases"]) == set(first)
    doc = report.merge(_run(second), doc)
    assert set(doc["databases"]) == {"sqlite", "postgresql"}
    assert doc["scaling"]["sqlite"]["factor"] == 10
    top = next(iter(second.values()))["servers"]["waitress"]
    assert doc["bare_reference_rps"] == top["bare_reference_rps"]
    assert doc["overhead_ratio"] == 0.7
    assert doc["pages"][0]["ratio_bare"] == top["pages"][0]["ratio_bare"]
    assert set(doc["documents_ms"]) == set(DOCUMENTS)
    assert doc["documents_ms"]["plan_pdf"] == 2000.0 and doc["documents_cold_ms"]["plan_pdf"] == 2100.0

    text = report.markdown({**doc, "scaling": {}})
    assert "÷ bare" in text and "÷ in-app" in text
    header = next(line for line in text.splitlines() if line.startswith("| ÷ bare reference |"))
    assert "SQLite, waitress, 4 threads" in header and "PostgreSQL, waitress, 4 threads" in header
    assert "overhead: ÷ bare < 0.8" in text  # 0.7 misses the target
    assert "BENCH_SCALE=10 make bench" in text

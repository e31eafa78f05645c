"""Deterministic city-scale data through the app's own models, with bulk inserts.

`populate(scale)` fills an empty schema in the current app context and returns the *targets*: the logins and
ids the benchmark pages are drawn with. `build(url, scale)` makes a fresh database with the migrations first.
Scale 1.0 is a city: 700 schools, 1,500 librarians, 3 school years, 1,200 events, 60,000 registrations with
attendance, 6,000 visits with finalised reports, 20,000 recommendations, 300 best-practice entries, 8
methodologists. Large batches go through PostgreSQL's COPY (the 10× city: ~600,000 registrations).
"""

from __future__ import annotations

import random
import time
from datetime import date, datetime, timedelta
from pathlib import Path

from sqlalchemy import MetaData, Table, insert, text
from sqlalchemy.sql import sqltypes
from werkzeug.security import generate_password_hash

from mo_app.extensions import db
from mo_app.models import (
    BestPractice,
    ChecklistItem,
    Event,
    Goal,
    Organization,
    Recommendation,
    Registration,
    ReportCheckItem,
    SchoolYear,
    User,
    Visit,
    VisitPurpose,
    VisitReport,
    VisitTarget,
    visit_purpose_link,
)
from mo_app.models.visits import DEFAULT_CHECKLIST

ROOT = Path(__file__).resolve().parent.parent
SEED = 20261126
PASSWORD = "bench-password-42"  # the one password of every bench account (one scrypt hash, reused)
CITY = {
    "schools": 700,
    "librarians": 1500,
    "events": 1200,
    "registrations": 60_000,
    "visits": 6000,
    "recommendations": 20_000,
    "best_practice": 300,
}
YEARS = (2024, 2025, 2026)  #: the last one is current (today is in the 2026–2027 school year)
CURRENT = YEARS[-1]
TODAY = date(2026, 11, 26)
SIGNUP_USERS = 32  #: librarians who sign up and cancel under load; never registered for the sign-up event
METHODOLOGISTS = 8  #: who load the documents at once (two connections each: within a per-user render limit)
STAMP = datetime(2026, 11, 1, 9, 0)

SURNAMES = [
    "Иванова", "Смирнова", "Кузнецова", "Попова", "Васильева", "Петрова", "Соколова", "Михайлова", "Новикова",
    "Фёдорова", "Морозова", "Волкова", "Алексеева", "Лебедева", "Семёнова", "Егорова", "Павлова", "Козлова",
    "Степанова", "Николаева", "Орлова", "Андреева", "Макарова", "Никитина", "Захарова", "Зайцева", "Соловьёва",
    "Борисова", "Яковлева", "Григорьева", "Романова", "Воробьёва", "Сергеева", "Кузьмина", "Фролова",
]
LETTERS = "АБВГДЕЖЗИКЛМНОПРСТЮЯ"
DISTRICTS = ["Адмиралтейского", "Василеостровского", "Выборгского", "Калининского", "Кировского",
             "Московского", "Невского", "Приморского", "Фрунзенского", "Центрального"]
KINDS = ["seminar"] * 5 + ["practical_seminar"] * 2 + ["meeting"] * 2 + ["course", "group_consultation"]
TOPICS = [
    "Информационно-библиографическая культура школьника", "Продвижение чтения в начальной школе",
    "Работа с учебным фондом: заказ и учёт", "Электронный каталог школьной библиотеки",
    "Проектная деятельность и школьная библиотека", "Литературные гостиные и клубы чтения",
    "Списание литературы и акты", "Экстремистские материалы: сверка фонда", "Медиаграмотность подростков",
    "Библиотечный урок по ФГОС", "Краеведение в работе библиотеки", "Детская литература XXI века",
]
GOALS = [
    "Повышение профессиональной компетентности библиотекарей",
    "Методическая помощь малоопытным библиотекарям",
    "Изучение и распространение передового опыта",
    "Развитие информационной среды школьных библиотек",
    "Продвижение чтения среди обучающихся",
    "Контроль состояния учебных фондов",
]
PURPOSES = [
    "Знакомство с работой библиотеки", "Контроль обеспеченности учебниками", "Методическая помощь",
    "Изучение опыта работы", "Проверка учётной документации",
]


def counts(scale: float) -> dict[str, int]:
    """The city's counts times `scale`, never too few for every page to have something to show."""
    c = {k: max(1, round(v * scale)) for k, v in CITY.items()}
    c["schools"] = max(c["schools"], 4)
    c["librarians"] = max(c["librarians"], SIGNUP_USERS + 2, c["schools"])
    c["events"] = max(c["events"], 3 * len(YEARS))
    c["visits"] = max(c["visits"], 2 * len(YEARS))
    c["best_practice"] = max(c["best_practice"], len(YEARS))
    return c


COPY_FROM = 5000  #: on PostgreSQL, batches from this size go through COPY


def _ids(model, rows: list[dict]) -> list[int]:
    """Bulk-insert rows and return their ids in order (insertmanyvalues with RETURNING; on PostgreSQL a large
    batch takes its ids from the sequence and goes through COPY)."""
    if not rows:
        return []
    if len(rows) >= COPY_FROM and db.session.get_bind().dialect.name == "postgresql":
        table = model.__table__
        ids = list(db.session.scalars(
            text("SELECT nextval(pg_get_serial_sequence(:table, 'id')) FROM generate_series(1, :n)"),
            {"table": f'"{table.name}"', "n": len(rows)},
        ))
        _copy(table, [{"id": i, **row} for i, row in zip(ids, rows, strict=True)])
        return ids
    stmt = insert(model).returning(model.id, sort_by_parameter_order=True)
    return list(db.session.scalars(stmt, rows))


def _bulk(target, rows: list[dict]) -> None:
    """Bulk-insert rows whose ids nobody needs: executemany, or COPY for a large batch on PostgreSQL."""
    if not rows:
        return
    if len(rows) >= COPY_FROM and db.session.get_bind().dialect.name == "postgresql":
        _copy(target if isinstance(target, Table) else target.__table__, rows)
    else:
        db.session.execute(insert(target), rows)


def _copy(table: Table, rows: list[dict]) -> None:
    """PostgreSQL's COPY in the session's transaction (several times quicker than multi-row INSERTs for the
    10× city), with the columns' Python-side defaults filled in as insert() would."""
    from psycopg.types.json import Json

    given = list(rows[0])
    defaults = {}
    for col in table.columns:
        if col.key not in rows[0] and col.default is not None and not col.primary_key:
            defaults[col.name] = col.default.arg(None) if col.default.is_callable else col.default.arg
    json_cols = {col.name for col in table.columns if isinstance(col.type, sqltypes.JSON)}
    names = given + list(defaults)
    columns = ", ".join(f'"{n}"' for n in names)
    conn = db.session.connection().connection.driver_connection
    with conn.cursor() as cur, cur.copy(f'COPY "{table.name}" ({columns}) FROM STDIN') as copy:
        for row in rows:
            values = [row[c] for c in given] + list(defaults.values())
            copy.write_row([Json(v) if n in json_cols and v is not None else v
                            for n, v in zip(names, values, strict=True)])


def _school_day(rng: random.Random, start_year: int, months: list[int] | None = None) -> date:
    """A working day of the school year (September to May)."""
    month = rng.choice(months or [9, 10, 11, 12, 1, 2, 3, 4, 5])
    year = start_year if month >= 9 else start_year + 1
    return date(year, month, rng.randint(1, 28))


def populate(scale: float = 1.0, seed: int = SEED, password_hash: str | None = None) -> dict:
    """Fill the (empty) schema; returns the targets: logins and ids the benchmark requests use."""
    rng = random.Random(seed)
    c = counts(scale)
    pw_hash = password_hash or generate_password_hash(PASSWORD, method="scrypt")

    # Organizations: schools, then the venues (libraries and the academy).
    school_rows = []
    for i in range(1, c["schools"] + 1):
        n = str(i if i < 100 else 100 + i * 7 % 600 + i // 600 * 1000)
        district = DISTRICTS[i % len(DISTRICTS)]
        school_rows.append({
            "name": f"ГБОУ средняя общеобразовательная школа №{n} {district} района Санкт-Петербурга",
            "short_name": f"ГБОУ №{n}", "kind": "school", "number": n,
            "address": f"ул. Школьная, д. {i}", "is_active": True,
        })
    schools = _ids(Organization, school_rows)
    venue_rows = [
        {"name": f"Районная библиотека №{i}", "short_name": f"Библиотека №{i}", "kind": "library", "number": None,
         "address": f"пр. Библиотечный, д. {i}", "is_active": True}
        for i in range(1, 11)
    ] + [{"name": "Академия постдипломного педагогического образования", "short_name": "АППО",
          "kind": "academy", "number": None, "address": "ул. Ломоносова, д. 11", "is_active": True}]
    venues = _ids(Organization, venue_rows)

    # People: the methodologists (the pages are drawn as the first), librarians spread over the schools (2–3 a
    # school at city scale).
    methodologists = _ids(User, [{
        "login": "bench_metodist" + (str(i) if i > 1 else ""), "last_name": "Методистова", "initials": "А.А.",
        "role": "methodologist", "organization_id": None, "position": "методист", "password_hash": pw_hash,
        "is_beginner": False, "active": True, "must_change_password": False,
    } for i in range(1, METHODOLOGISTS + 1)])
    methodologist = methodologists[0]
    lib_rows = []
    lib_school = []
    for i in range(1, c["librarians"] + 1):
        school = schools[(i - 1) % len(schools)]
        lib_school.append(school)
        lib_rows.append({
            "login": f"bench_lib{i}", "last_name": rng.choice(SURNAMES),
            "initials": f"{rng.choice(LETTERS)}.{rng.choice(LETTERS)}.", "role": "librarian",
            "organization_id": school, "position": "заведующий библиотекой", "password_hash": pw_hash,
            "is_beginner": rng.random() < 0.2, "active": True, "must_change_password": False,
        })
    librarians = _ids(User, lib_rows)
    school_of = dict(zip(librarians, lib_school, strict=True))

    # Years with goals, checklist and visit purposes (with target schools).
    years = _ids(SchoolYear, [
        {"start_year": y, "is_current": y == CURRENT, "is_archive": y < CURRENT - 1} for y in YEARS
    ])
    goal_ids: dict[int, list[int]] = {}
    purpose_ids: dict[int, list[int]] = {}
    for y in years:
        goal_ids[y] = _ids(Goal, [{"year_id": y, "position": p, "title": t} for p, t in enumerate(GOALS, 1)])
        _bulk(ChecklistItem, [{"year_id": y, "position": p, "title": t} for p, t in enumerate(DEFAULT_CHECKLIST, 1)])
        purpose_ids[y] = _ids(VisitPurpose, [{"year_id": y, "position": p, "title": t}
                                             for p, t in enumerate(PURPOSES, 1)])
        per = max(1, len(schools) // 35)
        _bulk(VisitTarget, [
            {"purpose_id": pid, "organization_id": org, "position": pos}
            for pid in purpose_ids[y] for pos, org in enumerate(rng.sample(schools, per), 1)
        ])

    # Events: a third per year, dated over the school year; past ones are held.
    event_rows = []
    event_year = []
    per_year = c["events"] // len(YEARS)
    for yi, y in enumerate(years):
        n = per_year if yi < len(YEARS) - 1 else c["events"] - per_year * (len(YEARS) - 1)
        for k in range(n):
            kind = rng.choice(KINDS)
            day = _school_day(rng, YEARS[yi])
            date_kind = rng.choice(["day", "day", "datetime", "month"])
            start = day.replace(day=1) if date_kind == "month" else day
            at = datetime(2000, 1, 1, rng.choice([10, 11, 14, 15]), 0).time() if date_kind == "datetime" else None
            past = start < TODAY
            event_rows.append({
                "year_id": y, "goal_id": rng.choice(goal_ids[y]), "position": k + 1, "kind": kind,
                "title": f"{rng.choice(TOPICS)} ({k + 1})", "description": "Программа и материалы — на месте.",
                "venue_id": rng.choice(venues), "date_kind": date_kind, "date_start": start, "date_end": None,
                "date_time": at, "planned_kind": date_kind, "planned_start": start, "planned_end": None,
                "capacity": rng.choice([None, 30, 40, 60]), "signup_deadline": None, "is_open": not past,
                "status": "held" if past else "planned", "created_at": STAMP, "updated_at": STAMP,
            })
            event_year.append(y)
    # Two events of the current year get fixed, future dates: the one every page shows and the sign-up one.
    first_current = len(event_rows) - (c["events"] - per_year * (len(YEARS) - 1))
    shown, signup = first_current, first_current + 1
    event_rows[shown].update(kind="course", date_kind="day", date_start=date(2027, 2, 10), planned_kind="day",
                             planned_start=date(2027, 2, 10), date_time=None, capacity=None, is_open=True,
                             status="planned", title="Курсы повышения квалификации «Школьная библиотека»")
    event_rows[signup].update(kind="seminar", date_kind="day", date_start=date(2027, 3, 17), planned_kind="day",
                              planned_start=date(2027, 3, 17), date_time=None, capacity=None, is_open=True,
                              status="planned", title="Семинар «Библиотека и чтение» (запись)")
    events = _ids(Event, event_rows)
    event_past = [r["date_start"] < TODAY for r in event_rows]
    event_capacity = [r["capacity"] for r in event_rows]

    # Registrations: an even share per event, drawn without repeats; attendance on past events.
    signup_users = librarians[1:1 + SIGNUP_USERS]
    excluded = set(signup_users)
    others = [u for u in librarians if u not in excluded]
    reg_rows = []
    base, extra = divmod(c["registrations"], len(events))
    for idx, ev in enumerate(events):
        k = base + (1 if idx < extra else 0)
        pool = others if idx == signup else librarians
        if idx == shown:
            people = [librarians[0]] + rng.sample(librarians[1 + SIGNUP_USERS:], max(0, min(k, len(others)) - 1))
        else:
            people = rng.sample(pool, min(k, len(pool)))
        cap = event_capacity[idx]
        for pos, user in enumerate(people):
            status = "registered" if cap is None or pos < cap else "waiting"
            if rng.random() < 0.04:
                status = "cancelled"
            attendance = None
            if event_past[idx] and status == "registered":
                attendance = rng.choices(["present", "absent", "excused"], [85, 10, 5])[0]
            queued = STAMP - timedelta(days=30) + timedelta(minutes=pos)
            reg_rows.append({
                "event_id": ev, "user_id": user, "status": status, "queued_at": queued, "attendance": attendance,
                "attendance_marked_at": queued + timedelta(days=40) if attendance else None, "is_walk_in": False,
                "added_by_id": None, "created_at": queued, "cancelled_at": queued if status == "cancelled" else None,
            })
    _bulk(Registration, reg_rows)

    # Visits: all with a finalised report, checklist lines and recommendations.
    visit_rows = []
    page_school = school_of[librarians[0]]
    per_year = c["visits"] // len(YEARS)
    for yi, y in enumerate(years):
        n = per_year if yi < len(YEARS) - 1 else c["visits"] - per_year * (len(YEARS) - 1)
        months = [9, 10, 11] if YEARS[yi] == CURRENT else None
        for k in range(n):
            org = page_school if k == 0 else rng.choice(schools)
            day = _school_day(rng, YEARS[yi], months)
            day = min(day, TODAY - timedelta(days=1))
            visit_rows.append({
                "year_id": y, "organization_id": org, "date_kind": "day", "date_start": day, "date_end": None,
                "status": "finalised", "is_unplanned": rng.random() < 0.1, "created_at": STAMP,
                "created_by_id": methodologist,
            })
    visits = _ids(Visit, visit_rows)
    _bulk(visit_purpose_link, [
        {"visit_id": v, "purpose_id": p}
        for v, row in zip(visits, visit_rows, strict=True)
        for p in rng.sample(purpose_ids[row["year_id"]], rng.choice([1, 1, 2]))
    ])
    report_rows = [{
        "visit_id": v, "present": "заведующий библиотекой, заместитель директора по УВР",
        "methods": ["talk", "documents"], "strengths": "Фонд расставлен по ББК, открытый доступ, каталог ведётся.",
        "shortcomings": "Не обновлён паспорт библиотеки; акты списания за прошлый год не подшиты.",
        "conclusion": "Работа библиотеки соответствует требованиям.", "status": "final", "version": 2,
        "updated_at": STAMP, "updated_by_id": methodologist,
        "finalised_at": datetime.combine(row["date_start"], datetime.min.time()) + timedelta(days=3, hours=12),
        "finalised_by_id": methodologist,
    } for v, row in zip(visits, visit_rows, strict=True)]
    reports = _ids(VisitReport, report_rows)
    results = ["ok"] * 6 + ["remarks", "not_checked"]
    _bulk(ReportCheckItem, [
        {"report_id": r, "position": p, "title": t, "result": rng.choice(results),
         "remark": None}
        for r in reports for p, t in enumerate(DEFAULT_CHECKLIST, 1)
    ])
    rec_rows = []
    base, extra = divmod(c["recommendations"], len(reports))
    for idx, (r, row) in enumerate(zip(reports, visit_rows, strict=True)):
        for p in range(1, base + (1 if idx < extra else 0) + 1):
            status = rng.choices(["open", "reported", "done", "returned"], [30, 15, 50, 5])[0]
            rec_rows.append({
                "report_id": r, "organization_id": row["organization_id"], "position": p,
                "text": f"Рекомендация {p}: {rng.choice(TOPICS).lower()}.",
                "deadline": row["date_start"] + timedelta(days=rng.choice([30, 60, 90])),
                "responsible": "заведующий библиотекой", "status": status,
                "librarian_comment": "Выполнено." if status in ("reported", "done") else None,
                "reported_at": STAMP if status in ("reported", "done") else None,
                "reported_by_id": None, "review_note": None,
                "reviewed_at": STAMP if status == "done" else None,
                "reviewed_by_id": methodologist if status == "done" else None,
            })
    _bulk(Recommendation, rec_rows)

    # Best practice: a share per year, authors are librarians of their own school.
    bp_rows = []
    per_year = c["best_practice"] // len(YEARS)
    for yi, y in enumerate(years):
        n = per_year if yi < len(YEARS) - 1 else c["best_practice"] - per_year * (len(YEARS) - 1)
        year_events = [e for e, ey in zip(events, event_year, strict=True) if ey == y]
        for k in range(n):
            author = rng.choice(librarians)
            bp_rows.append({
                "year_id": y, "position": k + 1, "topic": f"Опыт: {rng.choice(TOPICS).lower()}",
                "goals": ["изучить опыт", "обобщить материалы"], "author_id": author,
                "organization_id": school_of[author], "stage": rng.choice(["study", "generalisation", "dissemination"]),
                "form": "выступление на семинаре", "event_id": rng.choice(year_events) if rng.random() < 0.2 else None,
                "status": "accepted", "created_at": STAMP,
            })
    _bulk(BestPractice, bp_rows)
    db.session.commit()

    current_visits = [v for v, row in zip(visits, visit_rows, strict=True) if row["year_id"] == years[-1]]
    return {
        "scale": scale,
        "counts": c,
        "password": PASSWORD,
        "librarian": "bench_lib1",
        "methodologist": "bench_metodist",
        "methodologists": ["bench_metodist"] + [f"bench_metodist{i}" for i in range(2, METHODOLOGISTS + 1)],
        "signup_users": [f"bench_lib{i}" for i in range(2, 2 + SIGNUP_USERS)],
        "year": CURRENT,
        "event_id": events[shown],
        "signup_event_id": events[signup],
        "visit_id": current_visits[0],  #: a visit of bench_lib1's school in the current year
        "school_id": page_school,
    }


def clear() -> None:
    """Delete every row of every table (children first): room for another populate()."""
    for table in reversed(db.metadata.sorted_tables):
        db.session.execute(table.delete())
    db.session.commit()


def sqlite_path(name: str) -> Path:
    return ROOT / "bench" / "data" / f"{name}.sqlite3"


def fresh_schema(app) -> None:
    """Drop whatever the database holds and build the schema with the migrations."""
    import flask_migrate

    with app.app_context():
        if db.engine.dialect.name == "postgresql":  # every table there, this version's or not (and alembic's)
            found = MetaData()
            found.reflect(db.engine)
            found.drop_all(db.engine)
        flask_migrate.upgrade(directory=str(ROOT / "migrations"))


def build(url: str, scale: float, seed: int = SEED) -> tuple[dict, float]:
    """A fresh database at `url` with the dataset of `scale`; returns (targets, seconds)."""
    from mo_app import create_app

    if url.startswith("sqlite:///"):
        path = Path(url[len("sqlite:///"):])
        path.parent.mkdir(parents=True, exist_ok=True)
        for suffix in ("", "-wal", "-shm"):
            Path(str(path) + suffix).unlink(missing_ok=True)
    started = time.perf_counter()
    app = create_app({"SQLALCHEMY_DATABASE_URI": url})
    fresh_schema(app)
    with app.app_context():
        targets = populate(scale, seed)
        db.session.execute(text("ANALYZE"))  # planner statistics, as a maintained database has
        db.session.commit()
        db.session.remove()
        db.engine.dispose()
    return targets, time.perf_counter() - started

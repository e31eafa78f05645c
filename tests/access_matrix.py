"""The access matrix: for every endpoint of `app.url_map`, what each kind of visitor gets.

A `World` holds real objects of two schools: school A (librarian A, a deactivated librarian) and school B
(librarian B), the methodologist, an event with a registration of each librarian, a visit of each school
with its report (справка), a checklist line and a recommendation, a best-practice entry of each school
with a stored file, and a consultation request of each librarian. Every private text of school A
contains `PRIVATE_A`, which must never appear in anything librarian B receives.

A `Row` says, for one endpoint and HTTP method, how to build its URL and form data from the world and
which status each visitor gets:

    anonymous      not logged in
    librarian_a    the librarian of school A, on school A's objects (the URL builders use A's objects)
    librarian_b    the librarian of school B, on the same objects of school A
    methodologist  the methodologist
    deactivated    a deactivated librarian of school A with a session cookie from before deactivation

A status is an int, a tuple of allowed ints, or `LOGIN` (a 302 to the login page; for htmx a 401 with
`HX-Redirect`). By default `deactivated` expects what `anonymous` gets.

Add rows with the helpers: `public(...)`, `logged_in(...)`, `methodologist_only(...)`,
`school_object(...)` (A's object: 404 for librarian B) or a plain `Row(...)`. A row whose successful
request changes what the next visitor would see (cancel, delete, finalise) sets `isolate=True`: each
visitor then gets a fresh world.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

from flask import current_app, url_for

from mo_app.dates import PlanDate
from mo_app.extensions import db
from mo_app.models import (
    BestPractice,
    BestPracticeFile,
    ConsultationRequest,
    Event,
    Organization,
    Recommendation,
    Registration,
    ReportCheckItem,
    SchoolYear,
    User,
    Visit,
    VisitReport,
)

from .factories import PASSWORD, Factories

PRIVATE_A = "ЧАСТНОЕ-школы-А-7f3c"
LOGIN = "login"  #: expected: sent to the login page (302; 401 + HX-Redirect for htmx)
ROLES = ("anonymous", "deactivated", "librarian_b", "librarian_a", "methodologist")  # request order

Expect = int | tuple[int, ...] | str


@dataclass
class World:
    """Real objects of two schools, built in the test database."""

    year: SchoolYear
    school_a: Organization
    school_b: Organization
    librarian_a: User
    librarian_b: User
    methodologist: User
    deactivated: User
    event: Event
    registration_a: Registration
    registration_b: Registration
    visit_a: Visit
    visit_b: Visit
    report_a: VisitReport
    report_b: VisitReport
    check_item_a: ReportCheckItem
    recommendation_a: Recommendation
    recommendation_b: Recommendation
    best_practice_a: BestPractice
    best_practice_b: BestPractice
    file_a: BestPracticeFile
    file_b: BestPracticeFile
    consultation_a: ConsultationRequest
    consultation_b: ConsultationRequest
    password: str = PASSWORD

    def user(self, role: str) -> User | None:
        """The user behind a role (None for anonymous)."""
        return None if role == "anonymous" else getattr(self, role)

    @staticmethod
    def url(endpoint: str, **values) -> str:
        """url_for outside a request."""
        with current_app.test_request_context():
            return url_for(endpoint, **values)


def _store_file(entry: BestPractice, name: str, uploader: User, body: bytes) -> BestPracticeFile:
    stored = secrets.token_hex(16) + Path(name).suffix
    folder = Path(current_app.config["UPLOAD_FOLDER"])
    folder.mkdir(parents=True, exist_ok=True)
    (folder / stored).write_bytes(body)
    return BestPracticeFile(entry=entry, original_name=name, stored_name=stored, content_type="application/pdf",
                            size=len(body), uploaded_by_id=uploader.id)


def _visit_with_report(f: Factories, school: Organization, year: SchoolYear, boss: User, private: str):
    visit = f.visit(school, year, when=PlanDate("day", date(2026, 10, 15)), status="finalised",
                    created_by_id=boss.id)
    report = VisitReport(visit_id=visit.id, present=f"Библиотекарь {school.short_name}",
                         methods=["talk", "documents"], strengths="Фонд в порядке.",
                         shortcomings=f"Недостатки {private}", conclusion=f"Вывод {private}",
                         status="final", finalised_at=datetime(2026, 10, 16, 9, 0), finalised_by_id=boss.id)
    item = ReportCheckItem(report=report, position=1, title="Учётные документы", result="remarks",
                           remark=f"Замечание {private}")
    rec = Recommendation(report=report, organization_id=school.id, position=1,
                         text=f"Рекомендация {private}", deadline=date(2027, 3, 1), responsible="библиотекарь",
                         status="reported", librarian_comment=f"Сделано {private}")
    db.session.add_all([report, item, rec])
    db.session.commit()
    return visit, report, item, rec


def build_world(f: Factories) -> World:
    """Two schools with everything a librarian or the methodologist can reach."""
    year = f.year(2026)
    school_a, school_b = f.school("101"), f.school("202")
    lib_a = f.librarian(school_a, login="lib_a", last_name="Альфина", phone=f"+7 900 {PRIVATE_A}")
    lib_b = f.librarian(school_b, login="lib_b", last_name="Бетина")
    boss = f.methodologist(login="boss")
    off = f.librarian(school_a, login="lib_off", last_name="Уволенная")
    event = f.event(year, title="Семинар для двух школ", capacity=20, when=date(2027, 2, 10))
    reg_a, reg_b = f.registration(event, lib_a), f.registration(event, lib_b)
    visit_a, report_a, item_a, rec_a = _visit_with_report(f, school_a, year, boss, PRIVATE_A)
    visit_b, report_b, _item_b, rec_b = _visit_with_report(f, school_b, year, boss, "школы Б")
    bp_a = BestPractice(year_id=year.id, position=1, topic="Опыт школы А", goals=["изучить"], author_id=lib_a.id,
                        organization_id=school_a.id, stage="study", status="proposed")
    bp_b = BestPractice(year_id=year.id, position=2, topic="Опыт школы Б", goals=["изучить"], author_id=lib_b.id,
                        organization_id=school_b.id, stage="study", status="proposed")
    db.session.add_all([bp_a, bp_b])
    db.session.flush()
    file_a = _store_file(bp_a, "опыт-а.pdf", lib_a, b"%PDF-1.4 school A\n")
    file_b = _store_file(bp_b, "опыт-б.pdf", lib_b, b"%PDF-1.4 school B\n")
    cons_a = ConsultationRequest(year_id=year.id, user_id=lib_a.id, topic=f"Консультация {PRIVATE_A}",
                                 answer=f"Ответ {PRIVATE_A}")
    cons_b = ConsultationRequest(year_id=year.id, user_id=lib_b.id, topic="Консультация школы Б")
    db.session.add_all([file_a, file_b, cons_a, cons_b])
    db.session.commit()
    off.active = False  # deactivated after having had a session
    db.session.commit()
    return World(year=year, school_a=school_a, school_b=school_b, librarian_a=lib_a, librarian_b=lib_b,
                 methodologist=boss, deactivated=off, event=event, registration_a=reg_a, registration_b=reg_b,
                 visit_a=visit_a, visit_b=visit_b, report_a=report_a, report_b=report_b, check_item_a=item_a,
                 recommendation_a=rec_a, recommendation_b=rec_b, best_practice_a=bp_a, best_practice_b=bp_b,
                 file_a=file_a, file_b=file_b, consultation_a=cons_a, consultation_b=cons_b)


@dataclass(frozen=True)
class Row:
    """What each visitor gets from one endpoint and method."""

    endpoint: str
    method: str = "GET"
    url: Callable[[World], str] | None = None  #: default: url_for(endpoint) without arguments
    data: Callable[[World], dict] | None = None  #: form data for POST
    anonymous: Expect = LOGIN
    librarian_a: Expect = 200
    librarian_b: Expect = 200
    methodologist: Expect = 200
    deactivated: Expect | None = None  #: default: as anonymous
    htmx: bool = False  #: send the request as htmx does (HX-Request)
    isolate: bool = False  #: a fresh world for every visitor
    note: str = ""

    @property
    def key(self) -> tuple[str, str]:
        return (self.endpoint, self.method)

    def expected(self, role: str) -> Expect:
        if role == "deactivated" and self.deactivated is None:
            return self.anonymous
        return getattr(self, role)

    def build_url(self, w: World) -> str:
        return self.url(w) if self.url else w.url(self.endpoint)

    def __str__(self) -> str:
        return f"{self.endpoint}:{self.method}"


def public(endpoint: str, method: str = "GET", ok: Expect = 200, **kw) -> Row:
    """Everyone gets `ok`."""
    return Row(endpoint, method, anonymous=ok, librarian_a=ok, librarian_b=ok, methodologist=ok, **kw)


def logged_in(endpoint: str, method: str = "GET", ok: Expect = 200, **kw) -> Row:
    """Any logged-in user gets `ok`; anonymous and deactivated users the login page."""
    return Row(endpoint, method, librarian_a=ok, librarian_b=ok, methodologist=ok, **kw)


def methodologist_only(endpoint: str, method: str = "GET", ok: Expect = 200, **kw) -> Row:
    """The methodologist gets `ok`; librarians 403."""
    return Row(endpoint, method, librarian_a=403, librarian_b=403, methodologist=ok, **kw)


def school_object(endpoint: str, method: str = "GET", ok: Expect = 200, meth: Expect | None = None, **kw) -> Row:
    """An object of school A: librarian A and the methodologist get `ok`, librarian B a 404."""
    return Row(endpoint, method, librarian_a=ok, librarian_b=404, methodologist=ok if meth is None else meth, **kw)


NEW_PASSWORD = "Другой-пароль-2027"

ROWS: list[Row] = [
    public("static", url=lambda w: w.url("static", filename="css/app.css")),
    public("main.healthz"),
    logged_in("main.index"),
    # The login page: logged-in users are sent home; a deactivated user's session counts for nothing.
    Row("auth.login", anonymous=200, deactivated=200, librarian_a=302, librarian_b=302, methodologist=302),
    Row("auth.login", "POST", data=lambda w: {"login": w.librarian_a.login, "password": w.password},
        anonymous=303, deactivated=303, librarian_a=302, librarian_b=302, methodologist=302),
    public("auth.logout", "POST", ok=303),
    logged_in("auth.change_password"),
    logged_in("auth.change_password", "POST", ok=303,
              data=lambda w: {"current": w.password, "new": NEW_PASSWORD, "confirm": NEW_PASSWORD}),
    methodologist_only("people.organizations"),
    methodologist_only("audit.index"),
    methodologist_only("audit.index", url=lambda w: w.url("audit.index", entity="Visit", id=w.visit_a.id),
                       note="the history of school A's visit"),
]


def rows_by_key() -> dict[tuple[str, str], list[Row]]:
    out: dict[tuple[str, str], list[Row]] = {}
    for row in ROWS:
        out.setdefault(row.key, []).append(row)
    return out


def routed_keys(app) -> set[tuple[str, str]]:
    """(endpoint, method) for every rule of the app, HEAD and OPTIONS aside."""
    return {
        (rule.endpoint, method)
        for rule in app.url_map.iter_rules()
        for method in rule.methods - {"HEAD", "OPTIONS"}
    }


@dataclass
class Visitor:
    """A test client logged in (through its session cookie) as one role of the world."""

    role: str
    client: object
    extra: dict = field(default_factory=dict)


def visitor(app, w: World, role: str) -> Visitor:
    client = app.test_client()
    user = w.user(role)
    if user is not None:
        with client.session_transaction() as sess:
            # the deactivated user's cookie is from before deactivation: it names the old session version
            version = user.session_version - 1 if role == "deactivated" else user.session_version
            sess["_user_id"] = f"{user.id}:{version}"
            sess["_fresh"] = True
    return Visitor(role, client)

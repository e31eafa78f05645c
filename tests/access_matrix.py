"""The access matrix: for every endpoint of `app.url_map`, what each kind of visitor gets.

A `World` holds real objects of two schools: school A (librarian A, a deactivated librarian) and school B
(librarian B), the methodologist, an event with a registration of each librarian, a visit of each school
with its report (справка), a checklist line and a recommendation, a best-practice entry of each school
with a stored file, and a consultation request of each librarian; for the plan and visits screens also a
goal, a visit purpose naming school A, A's visits in every state (planned, cancelled, held with a draft
report), a kept version of A's final report, an open recommendation, a second event nobody signed up for,
and librarian A's calendar-feed token, and the public record of an issued paper. Every private text of
school A contains `PRIVATE_A`, which must never appear in anything librarian B receives (downloads are read
as text: PDF, XLSX, DOCX).

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

import io
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

from flask import current_app, url_for

from mo_app.auth.sessions import open_session
from mo_app.dates import PlanDate
from mo_app.extensions import db
from mo_app.models import (
    BestPractice,
    BestPracticeFile,
    ConsultationRequest,
    Event,
    EventMaterial,
    Goal,
    IssuedDocument,
    Organization,
    OutboxLetter,
    Recommendation,
    Registration,
    ReportCheckItem,
    ReportVersion,
    SchoolYear,
    User,
    Visit,
    VisitPurpose,
    VisitReport,
    VisitTarget,
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
    goal: Goal
    purpose: VisitPurpose
    open_event: Event
    planned_visit_a: Visit
    cancelled_visit_a: Visit
    draft_visit_a: Visit
    draft_report_a: VisitReport
    version_a: ReportVersion
    open_rec_a: Recommendation
    feed_token: str
    deactivated_key: str  #: the session key the deactivated librarian's cookie still carries
    other_session_a: int  #: librarian A's session on another device
    issued_code: str
    password: str = PASSWORD
    failed_letter_id: int = 0  #: a letter to librarian A the server refused (the outbox at /mail)
    unsubscribe_token: str = ""  #: librarian A's signed link to stop reminder letters
    reset_token: str = ""  #: librarian A's signed link to set a new password

    def user(self, role: str) -> User | None:
        """The user behind a role (None for anonymous)."""
        return None if role == "anonymous" else getattr(self, role)

    @staticmethod
    def url(endpoint: str, **values) -> str:
        """url_for outside a request."""
        with current_app.test_request_context():
            return url_for(endpoint, **values)


def _store_file(entry: BestPractice, name: str, uploader: User, body: bytes) -> BestPracticeFile:
    from mo_app.practice.services import upload_path

    stored = secrets.token_hex(16) + Path(name).suffix
    path = upload_path(stored)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(body)
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


def _more_of_school_a(f: Factories, year: SchoolYear, school_a: Organization, boss: User, report_a: VisitReport):
    """A goal, a visit purpose naming school A, A's visits in every state, a kept report version, an open
    recommendation: what the plan and visits screens act on."""
    goal = f.goal(year, title="Цель без мероприятий")
    purpose = f.purpose(year, title="Цель посещения для школы А")
    db.session.add(VisitTarget(purpose_id=purpose.id, organization_id=school_a.id))
    planned = f.visit(school_a, year, when=PlanDate.month(2027, 3), created_by_id=boss.id)
    planned.purposes.append(purpose)
    cancelled = f.visit(school_a, year, when=PlanDate.month(2027, 4), status="cancelled",
                        status_reason=f"Отмена {PRIVATE_A}")
    held = f.visit(school_a, year, when=PlanDate("day", date(2026, 11, 20)), status="held")
    draft = VisitReport(visit_id=held.id, present="Библиотекарь", methods=["talk"],
                        shortcomings=f"Черновик {PRIVATE_A}", status="draft", version=1)
    version = ReportVersion(report=report_a, number=1, created_by_id=boss.id, reason="Уточнение",
                            reopened_at=datetime(2026, 10, 16, 8, 0), data=_report_snapshot(report_a))
    open_rec = Recommendation(report=report_a, organization_id=school_a.id, position=2,
                              text=f"Открытая рекомендация {PRIVATE_A}", deadline=date(2027, 5, 1), status="open")
    db.session.add_all([draft, version, open_rec])
    db.session.commit()
    return goal, purpose, planned, cancelled, held, draft, version, open_rec


def _report_snapshot(report: VisitReport) -> dict:
    from mo_app.visits.services import report_doc

    db.session.flush()
    db.session.refresh(report)
    return report_doc(report)


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
    goal, purpose, planned, cancelled, held, draft, version, open_rec = _more_of_school_a(
        f, year, school_a, boss, report_a)
    open_event = f.event(year, title="Семинар без записавшихся", capacity=20, when=date(2027, 3, 10))
    token = lib_a.new_calendar_token()
    open_session(lib_a)  # librarian A logged in on another device too
    other_session_a = lib_a.login_session.id
    off_key = open_session(off)
    issued = IssuedDocument(code="matrix234abc", kind="visit_report", title="Справка по итогам посещения",
                            facts=[["Образовательное учреждение", school_a.name]], sha256="0" * 64)
    db.session.add(issued)
    off.active = False  # deactivated after having had a session (whose row this deletes)
    letter = OutboxLetter(recipient="lib_a@example.org", user_id=lib_a.id, kind="signup", subject=f"Письмо {PRIVATE_A}",
                          text=f"Текст {PRIVATE_A}", status="failed", last_error="550 no such mailbox",
                          message_id="<matrix@example.org>")
    db.session.add(letter)
    db.session.commit()
    from mo_app.auth.reset import make_token
    from mo_app.mail.outbox import unsubscribe_token

    with current_app.test_request_context():
        reset_token = make_token(lib_a)
    return World(failed_letter_id=letter.id, unsubscribe_token=unsubscribe_token(lib_a.id, "reminder"),
                 reset_token=reset_token,
                 year=year, school_a=school_a, school_b=school_b, librarian_a=lib_a, librarian_b=lib_b,
                 methodologist=boss, deactivated=off, event=event, registration_a=reg_a, registration_b=reg_b,
                 visit_a=visit_a, visit_b=visit_b, report_a=report_a, report_b=report_b, check_item_a=item_a,
                 recommendation_a=rec_a, recommendation_b=rec_b, best_practice_a=bp_a, best_practice_b=bp_b,
                 file_a=file_a, file_b=file_b, consultation_a=cons_a, consultation_b=cons_b, goal=goal,
                 purpose=purpose, open_event=open_event, planned_visit_a=planned, cancelled_visit_a=cancelled,
                 draft_visit_a=held, draft_report_a=draft, version_a=version, open_rec_a=open_rec,
                 feed_token=token, deactivated_key=off_key,
                 other_session_a=other_session_a, issued_code=issued.code)


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


def _u(endpoint: str, **ids: Callable[[World], object]) -> Callable[[World], str]:
    """A URL builder: `_u("events.show", event_id=lambda w: w.event.id)`."""
    return lambda w: w.url(endpoint, **{k: f(w) for k, f in ids.items()})


def _event(endpoint: str, **more) -> Callable[[World], str]:
    return _u(endpoint, event_id=lambda w: w.event.id, **more)


def librarians_only(endpoint: str, method: str = "GET", ok: Expect = 200, own_b: Expect | None = None, **kw) -> Row:
    """A librarian's own action: the methodologist gets 403; librarian B gets `own_b` (default `ok`)."""
    return Row(endpoint, method, librarian_a=ok, librarian_b=ok if own_b is None else own_b, methodologist=403, **kw)


def _event_form(w: World) -> dict:
    return {"kind": "seminar", "title": "Семинар о каталогах", "description": "", "date_kind": "day",
            "day": "2027-02-11", "capacity": "25", "is_open": "y", "goal_id": "0", "venue_id": "0"}


EVENT_ROWS = [
    logged_in("events.index"),
    logged_in("events.calendar"),
    logged_in("events.show", url=_event("events.show")),
    logged_in("events.event_ics", url=_event("events.event_ics")),
    # the personal feed: the secret token is the only key (no login), so everyone holding it gets it
    public("events.calendar_feed", url=lambda w: w.url("events.calendar_feed", token=w.feed_token)),
    librarians_only("events.my_events"),
    librarians_only("events.register", "POST", ok=303, url=_u("events.register", event_id=lambda w: w.open_event.id),
                    note="each librarian signs themselves up"),
    librarians_only("events.cancel_registration", "POST", ok=303, url=_event("events.cancel_registration"),
                    note="each librarian cancels their own sign-up"),
    librarians_only("events.new_calendar_token", "POST", ok=303),
    librarians_only("events.revoke_calendar_token", "POST", ok=303),
    logged_in("events.consultations", note="a librarian sees only their own requests"),
    librarians_only("events.request_consultation", "POST", ok=303,
                    data=lambda w: {"topic_event_id": "0", "topic": "Списание", "preferred_dates": "вторник"}),
    methodologist_only("events.handle_consultation", "POST", ok=303,
                       url=_u("events.handle_consultation", req_id=lambda w: w.consultation_a.id),
                       data=lambda w: {"action": "answer", "answer": "Ответ методиста"}),
    methodologist_only("events.new_event"),
    methodologist_only("events.new_event", "POST", ok=303, data=_event_form),
    methodologist_only("events.validate_event", "POST", data=lambda w: {"title": ""},
                       url=lambda w: w.url("events.validate_event", field="title")),
    methodologist_only("events.edit_event", url=_event("events.edit_event")),
    methodologist_only("events.edit_event", "POST", ok=303, url=_event("events.edit_event"), data=_event_form),
    methodologist_only("events.duplicate_event", "POST", ok=303, url=_event("events.duplicate_event")),
    methodologist_only("events.cancel_event", url=_event("events.cancel_event")),
    methodologist_only("events.cancel_event", "POST", ok=303, url=_event("events.cancel_event"),
                       data=lambda w: {"reason": "Болезнь лектора"}),
    methodologist_only("events.participants", url=_event("events.participants")),
    methodologist_only("events.search_librarians", url=_event("events.search_librarians", q=lambda w: "Аль")),
    methodologist_only("events.participants_csv", url=_event("events.participants_csv")),
    methodologist_only("events.participants_xlsx", url=_event("events.participants_xlsx")),
    methodologist_only("events.sign_in_sheet_pdf", url=_event("events.sign_in_sheet_pdf")),
    methodologist_only("events.add_participants", "POST", ok=303,
                       url=_u("events.add_participants", event_id=lambda w: w.open_event.id),
                       data=lambda w: {"user_id": [str(w.librarian_a.id), str(w.librarian_b.id)]}),
    methodologist_only("events.add_walk_in", "POST", ok=303,
                       url=_u("events.add_walk_in", event_id=lambda w: w.open_event.id),
                       data=lambda w: {"user_id": str(w.librarian_a.id)}),
    methodologist_only("events.remove_participant", "POST", ok=303,
                       url=_event("events.remove_participant", reg_id=lambda w: w.registration_a.id)),
    methodologist_only("events.move_up", "POST", ok=303,
                       url=_event("events.move_up", reg_id=lambda w: w.registration_a.id)),
    methodologist_only("events.mark_attendance", "POST", ok=303,
                       url=_event("events.mark_attendance", reg_id=lambda w: w.registration_a.id),
                       data=lambda w: {"value": "present"}),
    methodologist_only("events.mark_all_present", "POST", ok=303, url=_event("events.mark_all_present")),
]


def _visit(endpoint: str, attr: str = "visit_a", **more) -> Callable[[World], str]:
    return _u(endpoint, visit_id=lambda w: getattr(w, attr).id, **more)


VISIT_ROWS = [
    logged_in("visits.index", note="a librarian's planner holds their own school only"),
    logged_in("visits.list_visits"),
    logged_in("visits.list_visits", url=lambda w: w.url("visits.list_visits", school=w.school_a.id),
              note="librarian B asking for school A still gets their own school"),
    school_object("visits.show", url=_visit("visits.show")),
    school_object("visits.show", url=_visit("visits.show", "draft_visit_a"), note="a visit with a draft report"),
    school_object("visits.report_pdf", url=_visit("visits.report_pdf")),
    # a draft report is for the methodologist only, its own school's librarian gets 404 too
    Row("visits.report_pdf", url=_visit("visits.report_pdf", "draft_visit_a"), librarian_a=404, librarian_b=404),
    # an issued version's paper: the report's own rules (that school's librarians, while it stands final)
    school_object("visits.version_pdf", url=_visit("visits.version_pdf", number=lambda w: 1)),
    Row("visits.version_pdf", url=_visit("visits.version_pdf", number=lambda w: 9), librarian_a=404,
        librarian_b=404, methodologist=404, note="no such version"),
    logged_in("visits.reports_pdf", url=lambda w: w.url("visits.reports_pdf", school=w.school_a.id),
              note="librarian B asking for school A gets their own school's reports"),
    methodologist_only("visits.register_pdf"),
    methodologist_only("visits.register_xlsx"),
    logged_in("visits.recommendations"),
    logged_in("visits.recommendations", url=lambda w: w.url("visits.recommendations", school=w.school_a.id,
                                                             status="all")),
    methodologist_only("visits.new_visit"),
    methodologist_only("visits.new_visit", "POST", ok=303,
                       data=lambda w: {"school": str(w.school_a.id), "purposes": str(w.purpose.id),
                                       "month": "", "day": "2027-03-15"}),
    methodologist_only("visits.plan_cell", "POST", ok=303,
                       data=lambda w: {"school": str(w.school_a.id), "purpose": str(w.purpose.id),
                                       "month": "2027-05", "day": ""}),
    methodologist_only("visits.change_date", "POST", ok=303, url=_visit("visits.change_date", "planned_visit_a"),
                       data=lambda w: {"month": "2027-04", "day": "", "reason": "Ремонт", "postpone": "y"}),
    methodologist_only("visits.edit_purposes", "POST", ok=303, url=_visit("visits.edit_purposes", "planned_visit_a"),
                       data=lambda w: {"purposes": str(w.purpose.id), "unplanned": "y"}),
    methodologist_only("visits.mark_held", "POST", ok=303, url=_visit("visits.mark_held", "planned_visit_a"),
                       data=lambda w: {"day": "2027-03-05"}),
    methodologist_only("visits.cancel", "POST", ok=303, url=_visit("visits.cancel", "planned_visit_a"),
                       data=lambda w: {"reason": "Карантин"}),
    methodologist_only("visits.restore", "POST", ok=303, url=_visit("visits.restore", "cancelled_visit_a")),
    methodologist_only("visits.save_report", "POST", ok=303, url=_visit("visits.save_report", "draft_visit_a"),
                       data=lambda w: {"version": "1", "present": "Библиотекарь", "conclusion": "Вывод"}),
    methodologist_only("visits.finalise_report", "POST", ok=303,
                       url=_visit("visits.finalise_report", "draft_visit_a"),
                       data=lambda w: {"version": "1", "present": "Библиотекарь", "methods": "talk",
                                       "strengths": "Фонд", "shortcomings": "Нет", "conclusion": "Вывод"}),
    methodologist_only("visits.reopen_report", "POST", ok=303, url=_visit("visits.reopen_report"),
                       data=lambda w: {"reason": "Опечатка"}),
    Row("visits.acknowledge", "POST", url=_visit("visits.acknowledge"), librarian_a=303, librarian_b=404,
        methodologist=403),
    methodologist_only("visits.checklist"),
    methodologist_only("visits.checklist", "POST", ok=303, data=lambda w: {"items": "Фонд\nКаталог"}),
    Row("visits.rec_done", "POST", url=_u("visits.rec_done", rec_id=lambda w: w.open_rec_a.id),
        data=lambda w: {"comment": "Сделано"}, librarian_a=303, librarian_b=404, methodologist=403),
    methodologist_only("visits.rec_accept", "POST", ok=303,
                       url=_u("visits.rec_accept", rec_id=lambda w: w.recommendation_a.id)),
    methodologist_only("visits.rec_return", "POST", ok=303,
                       url=_u("visits.rec_return", rec_id=lambda w: w.recommendation_a.id),
                       data=lambda w: {"note": "Нет подтверждения"}),
]


def _entry(endpoint: str) -> Callable[[World], str]:
    return _u(endpoint, entry_id=lambda w: w.best_practice_a.id)


def _practice_form(w: World) -> dict:
    return {"topic": "Буккроссинг", "goals": "изучить\nраспространить", "form": "мастер-класс",
            "author": str(w.librarian_a.id), "stage": "study", "event": "0"}


def _upload(w: World) -> dict:
    return {"file": (io.BytesIO(b"%PDF-1.4 slides"), "слайды.pdf")}


PLAN_ROWS = [
    logged_in("plan.show"),
    logged_in("plan.pdf"),
    logged_in("plan.docx"),
    methodologist_only("plan.edit"),
    methodologist_only("plan.add_goal", "POST", ok=303, url=_u("plan.add_goal", year_id=lambda w: w.year.id),
                       data=lambda w: {"title": "Новая цель"}),
    methodologist_only("plan.rename_goal", "POST", ok=303,
                       url=_u("plan.rename_goal", goal_id=lambda w: w.goal.id), data=lambda w: {"title": "Цель"}),
    methodologist_only("plan.move_goal", "POST", ok=303,
                       url=_u("plan.move_goal", goal_id=lambda w: w.goal.id), data=lambda w: {"direction": "up"}),
    methodologist_only("plan.delete_goal", "POST", ok=303,
                       url=_u("plan.delete_goal", goal_id=lambda w: w.goal.id)),
    methodologist_only("plan.new_purpose", url=_u("plan.new_purpose", year_id=lambda w: w.year.id)),
    methodologist_only("plan.new_purpose", "POST", ok=303, url=_u("plan.new_purpose", year_id=lambda w: w.year.id),
                       data=lambda w: {"title": "Новая цель посещения", "schools": str(w.school_a.id)}),
    methodologist_only("plan.edit_purpose", url=_u("plan.edit_purpose", purpose_id=lambda w: w.purpose.id)),
    methodologist_only("plan.edit_purpose", "POST", ok=303,
                       url=_u("plan.edit_purpose", purpose_id=lambda w: w.purpose.id),
                       data=lambda w: {"title": "Цель посещения", "schools": str(w.school_b.id)}),
    methodologist_only("plan.delete_purpose", "POST", ok=303,
                       url=_u("plan.delete_purpose", purpose_id=lambda w: w.purpose.id)),
    methodologist_only("plan.new_year"),
    methodologist_only("plan.new_year", "POST", ok=303, data=lambda w: {"entries": str(w.best_practice_a.id)}),
    logged_in("practice.index", note="a proposal is shown to its author and the methodologist only"),
    logged_in("practice.new"),
    logged_in("practice.new", "POST", ok=303, data=_practice_form),
    school_object("practice.show", url=_entry("practice.show"), note="a proposal of school A's librarian"),
    school_object("practice.edit", url=_entry("practice.edit")),
    school_object("practice.edit", "POST", ok=303, url=_entry("practice.edit"), data=_practice_form),
    methodologist_only("practice.accept", "POST", ok=303, url=_entry("practice.accept"),
                       data=lambda w: {"stage": "generalisation"}),
    methodologist_only("practice.return_entry", "POST", ok=303, url=_entry("practice.return_entry"),
                       data=lambda w: {"comment": "Уточните цели"}),
    methodologist_only("practice.delete", "POST", ok=303, url=_entry("practice.delete")),
    school_object("practice.upload", "POST", ok=303, url=_entry("practice.upload"), data=_upload),
    school_object("practice.download_file", url=_u("practice.download_file", file_id=lambda w: w.file_a.id)),
    school_object("practice.delete_file", "POST", ok=303, isolate=True,
                  url=_u("practice.delete_file", file_id=lambda w: w.file_a.id)),
    logged_in("results.index", note="a librarian sees their own school in detail, district totals only"),
    logged_in("results.pdf"),
    logged_in("results.xlsx"),
    school_object("people.person", url=_u("people.person", user_id=lambda w: w.librarian_a.id),
                  note="librarian A's profile: their own, or the methodologist"),
]


def _org(endpoint: str) -> Callable[[World], str]:
    return _u(endpoint, org_id=lambda w: w.school_a.id)


def _user(endpoint: str) -> Callable[[World], str]:
    return _u(endpoint, user_id=lambda w: w.librarian_a.id)


def _org_form(w: World) -> dict:
    return {"name": "ГБОУ школа №303", "short_name": "ГБОУ №303", "kind": "school", "number": "303", "address": ""}


def _user_form(w: World) -> dict:
    return {"login": "novaya", "last_name": "Новая", "initials": "Н.Н.", "role": "librarian",
            "organization_id": str(w.school_a.id), "password": NEW_PASSWORD, "confirm": NEW_PASSWORD}


def _import_file(w: World) -> dict:
    body = "ФИО;Школа;Логин\r\nИмпортова И.И.;101;importova\r\n".encode()
    return {"file": (io.BytesIO(body), "библиотекари.csv")}


PEOPLE_ROWS = [
    methodologist_only("people.new_organization"),
    methodologist_only("people.new_organization", "POST", ok=303, data=_org_form),
    methodologist_only("people.edit_organization", url=_org("people.edit_organization")),
    methodologist_only("people.edit_organization", "POST", ok=303, url=_org("people.edit_organization"),
                       data=lambda w: {**_org_form(w), "number": "101"}),
    methodologist_only("people.deactivate_organization", "POST", ok=303, url=_org("people.deactivate_organization")),
    methodologist_only("people.activate_organization", "POST", ok=303, url=_org("people.activate_organization")),
    methodologist_only("people.users"),
    methodologist_only("people.new_user"),
    methodologist_only("people.new_user", "POST", ok=303, data=_user_form),
    methodologist_only("people.edit_user", url=_user("people.edit_user")),
    methodologist_only("people.edit_user", "POST", ok=303, url=_user("people.edit_user"),
                       data=lambda w: {**_user_form(w), "login": "lib_a"}),
    methodologist_only("people.deactivate_user", "POST", ok=303, url=_user("people.deactivate_user")),
    methodologist_only("people.activate_user", "POST", ok=303, url=_user("people.activate_user")),
    methodologist_only("people.reset_password", "POST", url=_user("people.reset_password")),
    methodologist_only("people.import_users"),
    methodologist_only("people.import_users", "POST", data=_import_file, note="the per-row report page"),
]

def _material(w: World) -> int:
    """A text file the methodologist attached to the world's event (made on first use)."""
    from mo_app.materials.services import upload_path

    found = db.session.scalar(db.select(EventMaterial).where(EventMaterial.event_id == w.event.id))
    if found is None:
        stored = secrets.token_hex(16) + ".txt"
        upload_path(stored).parent.mkdir(parents=True, exist_ok=True)
        upload_path(stored).write_bytes("Материалы семинара\n".encode())
        found = EventMaterial(event_id=w.event.id, title="Презентация", original_name="заметки.txt",
                              stored_name=stored, content_type="text/plain", size=35,
                              added_by_id=w.methodologist.id)
        db.session.add(found)
        db.session.commit()
    return found.id


# The world's event is ahead and both librarians are registered (not speakers): they see its materials but
# neither add nor remove them, and are not asked for feedback yet.
TAKEAWAY_ROWS = [
    logged_in("materials.index", url=_event("materials.index")),
    methodologist_only("materials.add_link", "POST", ok=303, url=_event("materials.add_link"),
                       data=lambda w: {"title": "Ссылка", "url": "https://example.org"}),
    methodologist_only("materials.add_file", "POST", ok=303, url=_event("materials.add_file"),
                       data=lambda w: {"title": "Файл", "file": (io.BytesIO(b"%PDF-1.4 x"), "x.pdf")}),
    logged_in("materials.download", url=_u("materials.download", material_id=_material)),
    methodologist_only("materials.remove", "POST", ok=303, url=_u("materials.remove", material_id=_material),
                       isolate=True),
    Row("feedback.answer", url=_event("feedback.answer"), librarian_a=403, librarian_b=403, methodologist=403,
        note="only after the event, by those present"),
    Row("feedback.answer", "POST", url=_event("feedback.answer"), data=lambda w: {"usefulness": "5"},
        librarian_a=403, librarian_b=403, methodologist=403),
    methodologist_only("feedback.summary", url=_event("feedback.summary")),
    methodologist_only("feedback.ratings"),
]

# Certificates and portfolios. The world's event is ahead: no certificate is due yet, so the downloads answer
# 404 (the bundle goes back to its page with the message), and there is none to revoke.
_reg_a = {"reg_id": lambda w: w.registration_a.id}
CERTIFICATE_ROWS = [
    Row("certificates.mine", url=_event("certificates.mine"), librarian_a=404, librarian_b=404, methodologist=404,
        note="a librarian's own certificate; none is due before the event, the methodologist has none"),
    methodologist_only("certificates.index", url=_event("certificates.index")),
    methodologist_only("certificates.one", ok=404, url=_event("certificates.one", **_reg_a),
                       note="not due before the event"),
    methodologist_only("certificates.bundle", ok=303, url=_event("certificates.bundle")),
    methodologist_only("certificates.revoke", "POST", ok=404, url=_event("certificates.revoke", **_reg_a),
                       note="no certificate issued"),
    methodologist_only("certificates.talk", "POST", ok=303, url=_event("certificates.talk", **_reg_a),
                       data=lambda w: {"talk_title": "Опыт школы"}, isolate=True),
    librarians_only("portfolio.mine"),
    librarians_only("portfolio.mine_pdf"),
    methodologist_only("portfolio.of_person", url=_u("portfolio.of_person", user_id=lambda w: w.librarian_a.id)),
    methodologist_only("portfolio.of_person_pdf",
                       url=_u("portfolio.of_person_pdf", user_id=lambda w: w.librarian_a.id)),
]

ROWS: list[Row] = [
    public("static", url=lambda w: w.url("static", filename="css/app.css")),
    public("main.healthz"),
    # an issued paper's public record: anyone holding the code printed on it, no login
    public("verify.show", url=lambda w: w.url("verify.show", code=w.issued_code)),
    public("verify.show", ok=404, url=lambda w: w.url("verify.show", code="nosuchcode22")),
    logged_in("main.index"),
    methodologist_only("main.mark_signups_seen", "POST", ok=303),
    # The login page: logged-in users are sent home; a deactivated user's session counts for nothing.
    Row("auth.login", anonymous=200, deactivated=200, librarian_a=302, librarian_b=302, methodologist=302),
    Row("auth.login", "POST", data=lambda w: {"login": w.librarian_a.login, "password": w.password},
        anonymous=303, deactivated=303, librarian_a=302, librarian_b=302, methodologist=302),
    public("auth.logout", "POST", ok=303),
    logged_in("auth.profile"),
    # «Забыли пароль?»: anyone logged out; a logged-in user is sent to the password change
    Row("auth.forgot_password", anonymous=200, deactivated=200, librarian_a=302, librarian_b=302, methodologist=302),
    Row("auth.forgot_password", "POST", data=lambda w: {"login": w.librarian_a.login},
        anonymous=200, deactivated=200, librarian_a=302, librarian_b=302, methodologist=302),
    public("auth.reset_password", ok=404, url=lambda w: w.url("auth.reset_password", token="forged.token")),
    public("auth.reset_password", "POST", ok=404, url=lambda w: w.url("auth.reset_password", token="forged.token"),
           data=lambda w: {"new": NEW_PASSWORD, "confirm": NEW_PASSWORD}),
    logged_in("auth.end_all_sessions", "POST", ok=303),
    Row("auth.end_session", "POST", url=lambda w: w.url("auth.end_session", session_id=w.other_session_a),
        librarian_a=303, librarian_b=404, methodologist=404, note="librarian A's session on another device"),
    logged_in("auth.change_password"),
    logged_in("auth.change_password", "POST", ok=303,
              data=lambda w: {"current": w.password, "new": NEW_PASSWORD, "confirm": NEW_PASSWORD}),
    methodologist_only("people.organizations"),
    # The first run's page exists only until setup is done (the world's database is set up): 404 after, and a
    # late submission is told that another browser finished first.
    public("setup.setup", ok=404),
    public("setup.setup", "POST", ok=409, data=lambda w: {"association_name": "МО", "centre_name": "ИМЦ",
                                                          "last_name": "Захватова", "first_name": "Анна",
                                                          "position": "методист", "login": "zahvat",
                                                          "email": "z@example.ru", "password": NEW_PASSWORD,
                                                          "confirm": NEW_PASSWORD}),
    methodologist_only("setup.settings"),
    methodologist_only("setup.settings", "POST", ok=303,
                       data=lambda w: {"association_name": "МО библиотекарей", "centre_name": "ИМЦ района",
                                       "signatory_id": str(w.methodologist.id)}),
    methodologist_only("audit.index"),
    methodologist_only("audit.index", url=lambda w: w.url("audit.index", entity="Visit", id=w.visit_a.id),
                       note="the history of school A's visit"),
    # the outbox (methodologist), one's own kinds of letters, and the signed unsubscribe link (no login)
    methodologist_only("mail.outbox"),
    methodologist_only("mail.outbox", url=lambda w: w.url("mail.outbox", status="failed")),
    methodologist_only("mail.resend", "POST", ok=303, isolate=True,
                       url=lambda w: w.url("mail.resend", letter_id=w.failed_letter_id)),
    logged_in("mail.notifications"),
    logged_in("mail.notifications", "POST", ok=303, data=lambda w: {"kind": ["signup", "report"]}),
    public("mail.unsubscribe", url=lambda w: w.url("mail.unsubscribe", token=w.unsubscribe_token)),
    public("mail.unsubscribe", ok=404, url=lambda w: w.url("mail.unsubscribe", token="forged.token")),
    public("mail.unsubscribe", "POST", url=lambda w: w.url("mail.unsubscribe", token=w.unsubscribe_token),
           data=lambda w: {"List-Unsubscribe": "One-Click"}),
    *EVENT_ROWS,
    *VISIT_ROWS,
    *PLAN_ROWS,
    *PEOPLE_ROWS,
    *TAKEAWAY_ROWS,
    *CERTIFICATE_ROWS,
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
        # the deactivated user's cookie is from before deactivation: its session's row is gone
        key = w.deactivated_key if role == "deactivated" else open_session(user)
        with client.session_transaction() as sess:
            sess["_user_id"] = key
            sess["_fresh"] = True
    return Visitor(role, client)

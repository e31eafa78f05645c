"""The documents engine (mo_app/documents): every PDF made by Typst with the bundled fonts and no system
library; what every paper says (letterhead, signatures, A4, «стр. N из M»); the issued справка kept byte for
byte with its versions; /verify/<code>; two renders per user at once; the plan's group headings."""

from __future__ import annotations

import hashlib
import io
import json
import subprocess
import sys
from datetime import date, timedelta
from importlib.metadata import requires

import pytest
from pypdf import PdfReader

from mo_app.config import ROOT
from mo_app.dates import PlanDate
from mo_app.documents import letterhead, render_pdf
from mo_app.documents.engine import FONTS_DIR, typographic
from mo_app.documents.slots import BUSY_MESSAGE, claim, render_slot
from mo_app.extensions import db
from mo_app.models import AppSettings, IssuedDocument, RenderSlot, ReportVersion, VisitReport
from mo_app.models.base import utcnow

from .security_helpers import pdf_pages, pdf_text
from .visits_helpers import count_queries, report_form, visit_with_report

A4 = (595, 842)  #: points, rounded


def _sizes(data: bytes) -> set[tuple[int, int]]:
    return {tuple(sorted((round(float(p.mediabox.width)), round(float(p.mediabox.height)))))
            for p in PdfReader(io.BytesIO(data)).pages}


def _fonts(data: bytes) -> set[str]:
    names = set()
    for page in PdfReader(io.BytesIO(data)).pages:
        for font in page["/Resources"]["/Font"].values():
            names.add(str(font.get_object()["/BaseFont"]).split("+")[-1])
    return names


# ---- the engine needs nothing of the system --------------------------------------------------------------------

def test_documents_need_no_system_library_and_no_system_font():
    """A fresh interpreter renders a paper with the `typst` wheel alone: no Pango, HarfBuzz, fontconfig, FreeType
    or Cairo is loaded into the process, and the PDF's fonts are the bundled DejaVu Serif only."""
    code = (
        "from mo_app.documents.engine import render_pdf\n"
        "pdf = render_pdf('sign_in_sheet', {'letterhead': {'association': 'МО', 'centre': '', 'signatory_name': "
        "'Смирнова О.П.', 'signatory_position': 'Методист'}, 'kind_title': 'Семинар «Ёлка»', 'date': '7 декабря "
        "2026 г.', 'venue': '', 'people': [], 'blank_rows': 1, 'count': 0})\n"
        "import sys; sys.stdout.buffer.write(pdf[:5] + b'\\n')\n"
        "print(open('/proc/self/maps').read())\n"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, timeout=120, check=True)
    head, maps = out.stdout.split(b"\n", 1)
    assert head == b"%PDF-"
    for library in (b"libpango", b"libharfbuzz", b"libfontconfig", b"libfreetype", b"libcairo", b"libgobject"):
        assert library not in maps, library
    assert not any("weasyprint" in r.lower() for r in requires("mo_app") or [])
    assert sorted(p.name for p in FONTS_DIR.glob("*.ttf")) == [
        "DejaVuSerif-Bold.ttf", "DejaVuSerif-BoldItalic.ttf", "DejaVuSerif-Italic.ttf", "DejaVuSerif.ttf"]
    assert (FONTS_DIR / "LICENSE").read_text().count("Bitstream") >= 3


def test_engine_prints_data_as_text_never_as_markup(app):
    hostile = '#panic("x") *жирный* ] [ <script>alert(1)</script> $x^2$ @label // /* \\ #{1+1} = Заголовок'
    pdf = render_pdf("register", {"letterhead": {"association": hostile, "centre": hostile, "signatory_name": hostile,
                                                 "signatory_position": hostile},
                                  "period": hostile, "header": [hostile] * 7, "rows": [[hostile] * 7]})
    text = "".join(pdf_text(pdf).split())
    assert text.count("".join(hostile.split())) >= 10
    assert _fonts(pdf) <= {"DejaVuSerif", "DejaVuSerif-Bold", "DejaVuSerif-Italic", "DejaVuSerif-BoldItalic"}


def test_russian_typography():
    assert typographic("ГБОУ №79, №№ 79, 111; № 5") == "ГБОУ №\u202f79, №№\u202f79, 111; №\u202f5"
    assert typographic("7 декабря 2026 г.") == "7 декабря 2026\u00a0г."


# ---- what every paper says ----------------------------------------------------------------------------------

@pytest.fixture
def papers(app, f, login_as):
    """The methodologist (the signatory) and one of each document's data."""
    boss = f.methodologist(last_name="Смирнова", first_name="Ольга", middle_name="Петровна", position="методист",
                           initials="О.П.")
    school = f.school("79", name="ГБОУ средняя школа №79")
    year = f.year(2026)
    goal = f.goal(year, title="Повышение профессиональной компетентности")
    event = f.event(year, kind="seminar", title="Библиотека как центр чтения", when=date(2026, 12, 17),
                    goal_id=goal.id)
    f.registration(event, f.librarian(school, last_name="Александрова", initials="Е.С."))
    visit = visit_with_report(f, school, year=year, by=boss, conclusion="Работа ведётся планомерно.")
    purpose = f.purpose(year, title="Новая цель посещения")
    _sign_with(boss)
    login_as(boss)
    return {"boss": boss, "event": event, "visit": visit, "purpose": purpose}


def _sign_with(user) -> None:
    """Make `user` the settings' signatory (as /settings does)."""
    db.session.get(AppSettings, 1).signatory_id = user.id
    db.session.commit()


PAPERS = {
    "справка": (lambda w: f"/visits/{w['visit'].id}/report.pdf",
                ("Справка по итогам посещения", "ГБОУ средняя школа № 79", "Работа ведётся планомерно.")),
    "справки периода": (lambda w: "/visits/reports.pdf?from=2026-09-01&to=2027-08-31",
                        ("Справка по итогам посещения", "ГБОУ средняя школа № 79")),
    "лист регистрации": (lambda w: f"/events/{w['event'].id}/sign-in-sheet.pdf",
                         ("Лист регистрации участников", "Библиотека как центр чтения", "Александрова Е.С.",
                          "17 декабря 2026 г.")),
    "журнал посещений": (lambda w: "/visits/register.pdf?from=2026-09-01&to=2027-08-31",
                         ("Журнал посещений образовательных учреждений", "ГБОУ № 79", "14 октября 2026 г.")),
    "план": (lambda w: "/plan.pdf", ("План работы", "на 2026–2027 учебный год", "Семинары",
                                     "«Библиотека как центр чтения»", "17 декабря 2026 г.")),
    "итоги года": (lambda w: "/results.pdf", ("Итоги 2026–2027 учебного года", "ГБОУ № 79", "Александрова Е.С.")),
}


@pytest.mark.parametrize("name", list(PAPERS))
def test_every_paper_holds_its_data_header_signature_a4_and_page_numbers(papers, client, name):
    url, expected = PAPERS[name]
    r = client.get(url(papers))
    assert r.status_code == 200 and r.mimetype == "application/pdf", r.status_code
    pages = pdf_pages(r.data)
    text = " ".join(pages)
    head = letterhead()
    assert head["signatory_name"] == "Смирнова Ольга Петровна" and head["signatory_position"] == "Методист"
    for phrase in (*expected, head["association"], head["signatory_name"], head["signatory_position"]):
        assert phrase in text, phrase
    assert _sizes(r.data) == {A4}
    for n, page in enumerate(pages, start=1):
        assert f"стр. {n} из {len(pages)}" in page


def test_the_signatory_is_the_one_the_settings_name(app, f):
    """Documents are signed by the settings' signatory (position capitalised, «Методист» where it has none), and
    with no signatory by «Методист», the name left to be written by hand."""
    f.methodologist(last_name="Первая", first_name="Анна", middle_name="Ивановна", position="старший методист")
    chosen = f.methodologist(last_name="Петрова", first_name="Ирина", middle_name="Ивановна", position="")
    with app.test_request_context():
        head = letterhead()
        assert (head["signatory_name"], head["signatory_position"]) == ("", "Методист")
        _sign_with(chosen)
        head = letterhead()
    assert head["signatory_name"] == "Петрова Ирина Ивановна" and head["signatory_position"] == "Методист"
    assert head["association"] == db.session.get(AppSettings, 1).association_name


# ---- the issued справка ---------------------------------------------------------------------------------------

def _finalise(client, visit, **fields):
    report = db.session.scalar(db.select(VisitReport).where(VisitReport.visit_id == visit.id))
    r = client.post(f"/visits/{visit.id}/report/finalise", data=report_form(report, **fields))
    assert r.status_code == 303, r.status_code
    db.session.expire_all()
    return report


@pytest.fixture
def issued(app, f, login_as, client):
    boss = f.methodologist(last_name="Смирнова", first_name="Ольга", middle_name="Петровна", position="методист")
    school = f.school("79", name="ГБОУ средняя школа №79")
    lib = f.librarian(school)
    visit = visit_with_report(f, school, final=False, conclusion="Вывод первой версии")
    _sign_with(boss)
    login_as(boss)
    report = _finalise(client, visit)
    return {"boss": boss, "school": school, "lib": lib, "visit": visit, "report": report}


def test_finalising_keeps_the_paper_and_its_hash(issued, client):
    version = db.session.scalar(db.select(ReportVersion))
    assert version.number == 1 and version.pdf.startswith(b"%PDF") and version.reopened_at is None
    assert version.sha256 == hashlib.sha256(version.pdf).hexdigest()
    record = db.session.scalar(db.select(IssuedDocument).where(IssuedDocument.code == version.code))
    assert record.sha256 == version.sha256 and record.kind == "visit_report"
    text = pdf_text(version.pdf)
    assert f"Версия 1. Проверка подлинности: http://localhost/verify/{version.code} (код {version.code})" in text
    assert "Вывод первой версии" in text


def test_an_issued_spravka_downloads_byte_identical_whatever_changes(issued, client, f, app, login_as):
    visit, school = issued["visit"], issued["school"]
    first = client.get(f"/visits/{visit.id}/report.pdf").data
    stored = db.session.scalar(db.select(ReportVersion)).pdf
    assert first == stored
    school.name = "Переименованная школа"
    issued["boss"].last_name = "Другая"
    app.config["ASSOCIATION_NAME"] = "Новое название объединения"
    db.session.commit()
    again = client.get(f"/visits/{visit.id}/report.pdf").data
    assert again == first and hashlib.sha256(again).hexdigest() == hashlib.sha256(first).hexdigest()
    assert "Переименованная" not in pdf_text(again)
    assert client.get(f"/visits/{visit.id}/versions/1.pdf").data == first
    login_as(issued["lib"])
    assert client.get(f"/visits/{visit.id}/report.pdf").data == first  # the school's librarian gets the same


def test_reopening_and_finalising_again_makes_a_new_version(issued, client, f, login_as):
    visit = issued["visit"]
    v1 = client.get(f"/visits/{visit.id}/versions/1.pdf").data
    assert client.post(f"/visits/{visit.id}/report/reopen", data={"reason": "Опечатка"}).status_code == 303
    _finalise(client, visit, conclusion="Вывод второй версии")
    versions = db.session.scalars(db.select(ReportVersion).order_by(ReportVersion.number)).all()
    assert [v.number for v in versions] == [1, 2]
    assert versions[0].reason == "Опечатка" and versions[0].reopened_at is not None and versions[1].reopened_at is None
    assert client.get(f"/visits/{visit.id}/versions/1.pdf").data == v1
    v2 = client.get(f"/visits/{visit.id}/versions/2.pdf").data
    assert client.get(f"/visits/{visit.id}/report.pdf").data == v2 != v1
    assert "Вывод второй версии" in pdf_text(v2) and "Версия 2." in pdf_text(v2)
    assert "Вывод первой версии" in pdf_text(v1) and "Версия 1." in pdf_text(v1)
    page = client.get(f"/visits/{visit.id}").get_data(as_text=True)
    assert f"/visits/{visit.id}/versions/1.pdf" in page and "переоткрыта" in page and "Опечатка" in page
    assert client.get(f"/visits/{visit.id}/versions/3.pdf").status_code == 404
    # librarians: their own school's only, and while the report stands final (as the report itself)
    login_as(f.librarian(f.school()))
    assert client.get(f"/visits/{visit.id}/versions/1.pdf").status_code == 404
    login_as(issued["lib"])
    assert client.get(f"/visits/{visit.id}/versions/1.pdf").data == v1
    login_as(issued["boss"])
    client.post(f"/visits/{visit.id}/report/reopen", data={"reason": "Ещё правка"})
    login_as(issued["lib"])
    assert client.get(f"/visits/{visit.id}/versions/1.pdf").status_code == 404


def test_a_version_kept_before_papers_were_stored_prints_from_its_data(issued, client):
    report = issued["report"]
    db.session.add(ReportVersion(report_id=report.id, number=7, data={**_old_snapshot(), "conclusion": "Старый вывод"},
                                 reason="старая правка", reopened_at=utcnow()))
    db.session.commit()
    r = client.get(f"/visits/{issued['visit'].id}/versions/7.pdf")
    assert r.status_code == 200 and "Старый вывод" in pdf_text(r.data)


def _old_snapshot() -> dict:
    return {"school": "Школа", "school_short": "Школа", "year": "2026–2027", "date": "октябрь 2026", "purposes": [],
            "unplanned": False, "present": "", "methods": [], "items": [], "strengths": "", "shortcomings": "",
            "recommendations": [], "status": "final", "methodologist": "", "finalised_at": "", "acknowledged_by": "",
            "acknowledged_at": "", "finalised_on": "", "acknowledged_on": ""}


# ---- /verify/<code> -------------------------------------------------------------------------------------------

def test_verify_shows_the_issue_and_nothing_of_its_content(issued, app):
    version = db.session.scalar(db.select(ReportVersion))
    anonymous = app.test_client()
    r = anonymous.get(f"/verify/{version.code}")
    assert r.status_code == 200
    html = r.get_data(as_text=True)
    for shown in ("Справка по итогам посещения", "ГБОУ средняя школа №79", "14 октября 2026 г.", version.sha256,
                  "Версия справки", ">1<"):
        assert shown in html, shown
    for hidden in ("Вывод первой версии", "Фонд в порядке", "Каталог не ведётся", "Рекомендация",
                   "Помещение и оборудование", "Библиотекарь школы"):
        assert hidden not in html, hidden
    assert anonymous.get(f"/verify/{version.code.upper()}").status_code == 200  # typed off the paper
    assert anonymous.get("/verify/abcdefghjkmn").status_code == 404
    assert anonymous.get("/verify/" + "x" * 300).status_code == 404


def test_verify_keeps_the_facts_as_issued(issued, app):
    version = db.session.scalar(db.select(ReportVersion))
    issued["school"].name = "Переименованная школа"
    db.session.commit()
    html = app.test_client().get(f"/verify/{version.code}").get_data(as_text=True)
    assert "ГБОУ средняя школа №79" in html and "Переименованная" not in html


# ---- two renders per user at once ---------------------------------------------------------------------------

def test_a_third_concurrent_render_gets_429(papers, client, app):
    boss_id, visit_id = papers["boss"].id, papers["visit"].id
    db.session.commit()  # (outside a request this test's session writes: let the claims' connection write)
    with render_slot(boss_id), render_slot(boss_id):  # two renders of this user under way
        assert _slots_taken() == 2
        r = client.get("/plan.pdf")
        assert r.status_code == 429 and BUSY_MESSAGE in r.get_data(as_text=True)
        assert r.headers["Retry-After"] == "1"
        assert client.get(f"/visits/{visit_id}/report.pdf").status_code == 429
    assert client.get("/plan.pdf").status_code == 200  # the slots were given back
    assert _slots_taken() == 0


def _slots_taken() -> int:
    """Claims as another process sees them (its own connection, committed data)."""
    with db.engine.connect() as conn:
        return conn.scalar(db.select(db.func.count()).select_from(RenderSlot))


def test_another_users_renders_do_not_count(papers, client, app, f):
    other_id = f.methodologist(login="other").id
    db.session.commit()
    with render_slot(other_id), render_slot(other_id):
        assert client.get("/plan.pdf").status_code == 200


def test_one_slot_left_lets_one_more_render(papers, client, app):
    boss_id = papers["boss"].id
    db.session.commit()
    with render_slot(boss_id):
        assert client.get("/plan.pdf").status_code == 200


def test_a_stale_slot_is_taken_over(papers, client, app):
    """A claim older than a minute is a render whose process died: it blocks nobody."""
    old = utcnow() - timedelta(minutes=2)
    db.session.add_all([RenderSlot(user_id=papers["boss"].id, slot=s, started_at=old) for s in (0, 1)])
    db.session.commit()
    assert client.get("/plan.pdf").status_code == 200


def test_slots_are_claimed_across_connections_at_once(papers, app):
    """Claims from threads (each its own connection, as worker processes have): never more than two at once."""
    import threading

    got, barrier = [], threading.Barrier(6)
    boss_id = papers["boss"].id
    db.session.commit()

    def worker():
        with app.app_context():
            barrier.wait()
            got.append(claim(boss_id))
            db.session.remove()

    threads = [threading.Thread(target=worker) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert len(got) == 6 and sum(1 for g in got if g is not None) == 2
    assert _slots_taken() == 2


@pytest.mark.parametrize("url, read", [
    ("/plan.pdf", "FROM event"), ("/results.pdf", "FROM registration"),
    ("/visits/register.pdf?from=2026-09-01&to=2027-08-31", "FROM visit_purpose"),
    ("/events/{event}/sign-in-sheet.pdf", "FROM registration"),
])
def test_unchanged_documents_come_from_the_cache(papers, client, url, read):
    """A document whose data did not change is served as kept (no data read, no render); a change shows next."""
    url = url.format(event=papers["event"].id)
    first = client.get(url).data
    with count_queries() as seen:
        again = client.get(url).data
    assert again == first and not any(read in s for s in seen), seen
    papers["event"].title = "Новая тема семинара"
    papers["visit"].purposes = [papers["purpose"]]
    db.session.commit()
    assert "Новая тема семинара" in pdf_text(client.get(url).data) or "Новая цель" in pdf_text(client.get(url).data)


# ---- the plan: headings stay with their first topic ----------------------------------------------------------

KINDS = ["seminar", "course", "meeting", "practical_seminar", "group_consultation"]


def test_plan_group_headings_never_end_a_page(app, f, client, login_as):
    year = f.year(2026)
    for g in range(1, 7):
        goal = f.goal(year, title=f"Цель {g}: развитие информационной культуры участников образовательного процесса",
                      position=g)
        for k, kind in enumerate(KINDS):
            for n in range(1, 4):
                f.event(year, kind=kind, goal_id=goal.id, when=PlanDate.month(2026 + (k + n > 4), (9 + k + n) % 12 + 1),
                        title=f"Тема {g}.{k}.{n}: " + "работа с читателями и фондом школьной библиотеки " * (1 + n % 2))
    login_as(f.methodologist())
    data = client.get("/plan.pdf").data
    reader = PdfReader(io.BytesIO(data))
    assert len(reader.pages) >= 6 and _sizes(data) == {A4}
    assert float(reader.pages[0].mediabox.width) > float(reader.pages[0].mediabox.height)  # landscape
    headings = {"Семинары", "Совещания", "Практические семинары", "Групповые консультации"}
    for number, page in enumerate(reader.pages, start=1):
        lines = [" ".join(line.split()) for line in page.extract_text().split("\n") if line.strip()]
        assert lines[-1].startswith(f"стр. {number} из {len(reader.pages)}"), lines[-1]
        body = [line for line in lines[:-1] if not line.startswith("Цель ")]  # the goal's cell spans the rows
        assert body[-1] not in headings, f"page {number} ends with the heading «{body[-1]}»"
        if number > 1 and any(line.startswith("Тема ") for line in lines):  # table 1 goes on: its header too
            assert "Цели и задачи Формы деятельности и тема Сроки" in " ".join(lines[:3])


def test_headings_leave_no_single_word_on_their_last_line(app):
    """«…образовательных / учреждений» left one word alone on the header's last line: the last two words of a
    heading are joined."""
    name = "Методическое объединение библиотечных работников образовательных учреждений"
    head = {"association": name, "centre": "", "signatory_name": "Иванова И.И.", "signatory_position": "Методист"}
    pdf = render_pdf("sign_in_sheet", {"letterhead": head, "kind_title": "Семинар", "date": "", "venue": "",
                                       "people": [], "blank_rows": 0, "count": 0})
    lines = [" ".join(line.split()) for line in PdfReader(io.BytesIO(pdf)).pages[0].extract_text().split("\n")]
    last = next(line for line in lines if line.endswith("учреждений"))
    assert len(last.split()) >= 2, lines[:3]


def test_a_large_paper_leaves_nothing_of_typst_in_the_server_process():
    """Typst keeps what it computed for its last ten compilations in the process: for a year's register that is
    hundreds of MB each time. Three large registers in a row must not grow the process (they are typeset in a
    child process); the PDF still holds every row."""
    code = (
        "import json, sys\n"
        "from mo_app.documents.engine import render_pdf\n"
        "def rss():\n"
        "    return next(int(l.split()[1]) for l in open('/proc/self/status') if l.startswith('VmRSS')) // 1024\n"
        "head = {'association': 'МО', 'centre': '', 'signatory_name': 'Смирнова О.П.', 'signatory_position': 'М'}\n"
        "sizes = []\n"
        "for run in range(3):\n"
        "    rows = [[str(i), f'{i % 28 + 1} октября 2026 г.', f'ГБОУ №{i}', 'Проверка фонда учебников', "
        "'Проведено', 'завершена', str(run)] for i in range(1500)]\n"
        "    pdf = render_pdf('register', {'letterhead': head, 'period': 'год', 'header': ['№'] * 7, 'rows': rows})\n"
        "    sizes.append(rss())\n"
        "sys.stdout.buffer.write(json.dumps(sizes).encode() + b'\\n' + pdf)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, timeout=300, check=True)
    sizes, pdf = out.stdout.split(b"\n", 1)
    first, *_, last = json.loads(sizes)
    assert last - first < 30, f"the process grew from {first} to {last} MB over three large registers"
    text = " ".join(pdf_pages(pdf))
    assert "ГБОУ №\u202f1499" in text or "ГБОУ № 1499" in text

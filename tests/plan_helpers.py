"""Builders and expectations for the plan area tests: the seed plan as READING.md reads it, query counting,
and datasets (small / large) for the results and home pages."""

from __future__ import annotations

import itertools
import re
import threading
import time
from contextlib import contextmanager
from datetime import timedelta

from sqlalchemy import event

from mo_app.dates import PlanDate, school_year_start
from mo_app.extensions import db
from mo_app.models import (
    BestPractice,
    ConsultationRequest,
    Event,
    Notice,
    Organization,
    Recommendation,
    Registration,
    SchoolYear,
    User,
    Visit,
    VisitPurpose,
    VisitReport,
    VisitTarget,
)
from mo_app.results.queries import today

# ---- the seed plan, spelled as READING.md has it ---------------------------------------------------------------

GOALS = [
    "Повышение квалификации",
    "Формирование понимания необходимости расширения информированности школьного библиотекаря, "
    "увеличения контактов в целях сотрудничества",
    "Совершенствование профессионального мастерства, знакомство с опытом",
]
KIND_HEADINGS = ["Групповые консультации", "Индивидуальные консультации", "Семинары", "Совещания",
                 "Практические семинары"]
COURSE = "Курсы в АППО (для начинающих)"
PARTICIPANTS = ["Александрова Е.С. №79", "Голубева Е.Ю. №111", "Патракова Н.М. №470", "Удачина Е.Д. №535",
                "Ефремова О.А. №653"]
#: (topic, venue after «на базе» as the seed writes it (genitive) or None, date as the plan writes it)
TOPICS = [
    ("Технология работы в школьной библиотеке", None, "В течение года"),
    ("Сотрудничество с издательствами, книготорговыми компаниями при формировании фондов библиотек", None,
     "В течение года"),
    ("Электронные каталоги", None, "В течение года"),
    ("«Сотрудничество районных библиотек и ОУ»", "ЦДБ ЦБС им. Белинского", "Сентябрь 2015"),
    ("«Акции, конкурсы и проекты по привлечению детей к чтению»", "филиала №9 ЦБС им. Белинского", "Ноябрь 2015"),
    ("«Современная детская и юношеская литература. Новинки»", "ЦДБ ЦБС им. Белинского", "Февраль 2016"),
    ("«Расширение информационной среды библиотекарей»",
     "библиотеки книжной графики, комиксов (библиотека им. М.Ю. Лермонтова)", "Октябрь 2015"),
    ("«Технология организации школьной конференции. Роль библиотеки»", "гимназии №192", "Январь 2016"),
    ("«Планирование комплектования фондов школьных библиотек учебниками, художественными, научно-популярными и "
     "справочными изданиями на 2016–2017 учебный год. Встреча с издательствами и книготорговыми компаниями»", None,
     "Дата уточняется"),
    ("«Итоги года: качество работы школьных библиотек»", None, "Май 2016"),
    ("Формирование фонда: списание, утеря-замена", None, "Октябрь 2015 – март 2016"),
    ("Массовые мероприятия, формы проведения", None, "Октябрь 2015 – март 2016"),
    ("Аналитическая деятельность школьных библиотек", None, "Октябрь 2015 – март 2016"),
    ("«Модернизация библиотечного пространства – еще один способ привлечения читателей»",
     "библиотеки им. Н.В. Гоголя", "Декабрь 2015"),
    ("«Мастер-классы в библиотеке»", "библиотеки «Лиговская»", "Март 2016"),
]
PURPOSES = [
    ("Оказание помощи в работе малоопытным библиотекарям", ["79", "111", "470", "535", "653"]),
    ("Знакомство с фондами, документацией", ["137", "138", "186", "192", "28"]),
    ("Использование в работе знаний, полученных на курсах и семинарах", ["79", "111", "470", "535", "653"]),
]
#: (topic, goals of study, author, school, stage, form)
PRACTICE = [
    ("Технология проведения массовых мероприятий",
     ["развить интерес учащихся к книге, умение использовать прочитанное"],
     "Мещерякова О.С.", "ГБОУ Гимназия №63", "Распространение опыта", ""),
    ("Технология проведения школьных конференций",
     ["развить интерес учащихся к научным проблемам", "выявить возможность работы библиотекаря с пед. коллективом"],
     "Жукова С.А.", "ГБОУ Гимназия №192 «Брюсовская»", "Обобщение опыта", "Семинар на базе гимназии №192"),
    ("Создание электронной базы учебников и художественной литературы",
     ["повысить качество обслуживания читателей",
      "адаптация работы школьных библиотек в соответствии с современными требованиями"],
     "Кулькова Е.А.", "ГБОУ СОШ №158", "Распространение опыта", ""),
]


def seed_phrases() -> list[str]:
    """Every phrase of the seed plan a reader would look for in the document."""
    phrases = list(GOALS) + KIND_HEADINGS + [COURSE] + PARTICIPANTS
    for topic, venue, when in TOPICS:
        phrases.append(f"{topic} на базе {venue}" if venue else topic)
        phrases.append(when)
    for purpose, _ in PURPOSES:
        phrases.append(purpose)
    phrases += ["ГБОУ №№ 79, 111, 470, 535, 653", "ГБОУ №№ 137, 138, 186, 192", "шк.-инт. №28"]
    for topic, goals, author, school, stage, form in PRACTICE:
        phrases += [f"«{topic}»", *goals, f"{author} – {school}", stage]
        if form:
            phrases.append(form)
    return phrases


def squash(text: str) -> str:
    """Text without whitespace: PDF lines wrap anywhere."""
    return re.sub(r"\s+", "", text)


# ---- counting SQL ----------------------------------------------------------------------------------------------

@contextmanager
def count_queries():
    """Collect the SQL statements run on the app's engine (all requests inside the block)."""
    statements: list[str] = []

    def _before(conn, cursor, statement, *args):
        if not statement.lstrip().upper().startswith(("BEGIN", "SAVEPOINT", "RELEASE", "PRAGMA")):
            statements.append(statement)

    engine = db.engine
    event.listen(engine, "before_cursor_execute", _before)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", _before)


# ---- datasets --------------------------------------------------------------------------------------------------

def current_start() -> int:
    return school_year_start(today())


_batch = itertools.count(1)


def populate(f, n: int, year: SchoolYear | None = None) -> dict:
    """A district of `n` schools with librarians, events, sign-ups, visits, reports, recommendations,
    best practice, consultation requests and notices on the current year — all bulk-added."""
    year = year or f.year(current_start())
    now = today()
    batch = next(_batch) * 1000
    schools = [Organization(name=f"Школа {batch + i}", short_name=f"ГБОУ №{batch + i}", number=str(batch + i),
                            kind="school") for i in range(n)]
    db.session.add_all(schools)
    db.session.flush()
    people = []
    for i, school in enumerate(schools):
        for k in range(2):
            people.append(User(login=f"p{batch + i}-{k}", last_name=f"Библиотекарь{i}",
                               initials=f"{k}.Б.", role="librarian", organization_id=school.id, password_hash="x"))
    db.session.add_all(people)
    purpose = VisitPurpose(year_id=year.id, title="Знакомство с фондами", position=1)
    db.session.add(purpose)
    db.session.flush()
    purpose.targets = [VisitTarget(organization_id=s.id, position=i) for i, s in enumerate(schools)]
    events = []
    for i in range(n):
        ev = Event(year_id=year.id, kind=("seminar", "course", "group_consultation")[i % 3], title=f"Тема {i}",
                   venue_id=schools[i].id, capacity=10, status=("planned", "held", "cancelled")[i % 3])
        ev.plan_date = PlanDate("day", now + timedelta(days=i % 20))
        ev.fix_plan_date()
        events.append(ev)
    db.session.add_all(events)
    db.session.flush()
    regs = []
    for i, ev in enumerate(events):
        for k, person in enumerate(people[i % len(people):][:3]):
            regs.append(Registration(event_id=ev.id, user_id=person.id, status=("registered", "waiting")[k % 2],
                                     attendance=("present", "absent", "excused", None)[(i + k) % 4]))
    db.session.add_all(regs)
    for i, school in enumerate(schools):
        visit = Visit(year_id=year.id, organization_id=school.id, status=("planned", "held", "finalised")[i % 3])
        visit.plan_date = PlanDate("day", now + timedelta(days=i % 10))
        visit.purposes = [purpose]
        db.session.add(visit)
        db.session.flush()
        report = VisitReport(visit_id=visit.id, status=("draft", "final")[i % 2])
        db.session.add(report)
        db.session.flush()
        db.session.add_all([
            Recommendation(report_id=report.id, organization_id=school.id, text=f"Рекомендация {i}-{k}",
                           deadline=now + timedelta(days=(-5, 5)[k % 2]), status=("open", "done", "returned")[k % 3])
            for k in range(3)
        ])
    for i, person in enumerate(people[:n]):
        db.session.add(BestPractice(year_id=year.id, position=i, topic=f"Опыт {i}", goals=["цель"],
                                    author_id=person.id, organization_id=person.organization_id,
                                    status=("accepted", "proposed")[i % 2]))
        db.session.add(ConsultationRequest(year_id=year.id, user_id=person.id, topic=f"Вопрос {i}",
                                           status=("new", "held", "scheduled")[i % 3]))
        db.session.add(Notice(user_id=person.id, kind="promoted", text=f"Уведомление {i}"))
    db.session.commit()
    return {"year": year, "schools": schools, "people": people, "events": events}


def ask_at_once(app, url: str, ask, value, threads: int = 4) -> tuple[int, list]:
    """`threads` requests to `url` in one process call `ask(build)` while the first one's `build` is still running
    (it returns `value` once every other thread has asked): how many builds ran, and what each thread got."""
    started, release = threading.Event(), threading.Event()
    builds, got = [], []

    def build():
        builds.append(1)
        started.set()
        release.wait(timeout=10)  # hold the build until every other thread has asked
        return value

    def worker():
        with app.test_request_context(url):
            got.append(ask(build))
            db.session.remove()

    workers = [threading.Thread(target=worker) for _ in range(threads)]
    workers[0].start()
    assert started.wait(timeout=10)
    for t in workers[1:]:
        t.start()
    time.sleep(0.2)  # the others are waiting on the build
    release.set()
    for t in workers:
        t.join(timeout=30)
    return len(builds), got

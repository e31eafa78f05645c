"""The annual plan as a document: one data structure for the HTML page, the print view, the PDF and the DOCX."""

from __future__ import annotations

import io
from dataclasses import dataclass, field

from ..dates import HasPlanDate, PlanDate, date_moved
from ..extensions import db
from ..models import BestPractice, Event, Goal, Organization, Registration, SchoolYear, User, VisitPurpose, VisitTarget
from ..models.events import EVENT_KIND_HEADINGS, REG_REGISTERED
from ..models.plan import BP_STAGES

#: kinds whose topics the plan writes in «quotes»
QUOTED_KINDS = {"seminar", "practical_seminar", "meeting"}
TABLE1_HEADER = ("Цели и задачи", "Формы деятельности и тема", "Сроки")
TABLE2_HEADER = ("Цели посещения", "ОУ")
TABLE3_HEADER = ("№", "Тема опыта", "Цель изучения опыта", "Автор", "Этапы работы", "Форма обобщения")


@dataclass
class PlanItem:
    """One topic of a form of activity, as the plan writes it."""

    event: PlanEvent
    text: str  #: «Topic» на базе …
    date: str  #: capitalised, as written
    note: str = ""  #: перенесено / отменено
    participants: list[str] = field(default_factory=list)  #: «Александрова Е.С. №79» for a course


@dataclass
class KindGroup:
    """The events of one goal and one kind, under a heading like «Семинары»."""

    kind: str
    heading: str
    show_heading: bool
    items: list[PlanItem]
    dates: list[str]  #: one date for the group when all agree, else one per item


@dataclass
class PlanRow:
    """One line of table 1: a kind heading or a topic, with its date where the plan writes one."""

    heading: str = ""
    item: PlanItem | None = None
    number: int | None = None  #: «1.» when a heading lists several topics
    date: str = ""


@dataclass
class GoalBlock:
    title: str
    groups: list[KindGroup]

    @property
    def rows(self) -> list[PlanRow]:
        """Table 1 lines of this goal: dates beside the topic they belong to, or once beside the heading."""
        rows: list[PlanRow] = []
        for group in self.groups:
            titled = [i for i in group.items if i.text]
            shared = group.dates[0] if len(group.dates) == 1 else ""
            if group.show_heading:
                rows.append(PlanRow(heading=group.heading, date=shared))
            for n, item in enumerate(titled, start=1):
                rows.append(PlanRow(
                    item=item, number=n if len(titled) > 1 else None,
                    date="" if group.show_heading and shared else item.date,
                ))
        return rows


@dataclass(frozen=True)
class SchoolName:
    number: str | None
    short_name: str


@dataclass
class PracticeRow:
    number: int
    topic: str
    goals: list[str]
    author: str
    stage: str
    form: str


@dataclass
class PlanDocument:
    year: SchoolYear
    goals: list[GoalBlock]
    purposes: list[tuple[str, str]]  #: (purpose, schools as written)
    practice: list[PracticeRow]


def item_text(ev) -> str:
    """«Topic» на базе Venue — as the plan writes a form of activity (`ev`: an Event or a `PlanEvent`)."""
    title = (ev.title or "").strip()
    if not title:
        return ""
    text = f"«{title}»" if ev.kind in QUOTED_KINDS else title
    if ev.venue is not None and ev.venue.short_name not in title and ev.venue.base_name not in title:
        text += f" на базе {ev.venue.base_name}"
    return text


def schools_text(orgs) -> str:
    """«ГБОУ №№ 79, 111, 470» for numbered schools, other names as they are."""
    numbered = [o.number for o in orgs if o.number and o.short_name == f"ГБОУ №{o.number}"]
    others = [o.short_name for o in orgs if not (o.number and o.short_name == f"ГБОУ №{o.number}")]
    parts = []
    if len(numbered) == 1:
        parts.append(f"ГБОУ №{numbered[0]}")
    elif numbered:
        parts.append("ГБОУ №№ " + ", ".join(numbered))
    return ", ".join(parts + others)


def _date_note(ev) -> str:
    if ev.status == "cancelled":
        return "отменено"
    if date_moved(ev.planned_date, ev.plan_date):
        return f"перенесено, в плане: {ev.planned_date.text()}"
    return ""


@dataclass(frozen=True)
class VenueName:
    short_name: str
    name_genitive: str | None = None

    @property
    def base_name(self) -> str:
        """As Organization.base_name: the genitive for «на базе …», else the short name."""
        return self.name_genitive or self.short_name


class PlanEvent(HasPlanDate):
    """What the plan shows of an event, read as a plain row (a city's plan has 400: no ORM objects)."""

    __slots__ = ("id", "goal_id", "kind", "title", "venue", "status", "date_kind", "date_start", "date_end",
                 "date_time", "planned_kind", "planned_start", "planned_end")
    COLUMNS = (Event.id, Event.goal_id, Event.kind, Event.title, Organization.short_name,
               Organization.name_genitive, Event.status, Event.date_kind, Event.date_start, Event.date_end,
               Event.date_time, Event.planned_kind, Event.planned_start, Event.planned_end)

    def __init__(self, row):
        (self.id, self.goal_id, self.kind, self.title, venue, genitive, self.status, self.date_kind,
         self.date_start, self.date_end, self.date_time, self.planned_kind, self.planned_start,
         self.planned_end) = row
        self.venue = VenueName(venue, genitive) if venue is not None else None

    @property
    def planned_date(self) -> PlanDate:
        return PlanDate(self.planned_kind, self.planned_start, self.planned_end)


def _groups(events: list[PlanEvent], participants: dict[int, list[str]]) -> list[KindGroup]:
    groups: list[KindGroup] = []
    by_kind: dict[str, KindGroup] = {}
    for ev in events:
        group = by_kind.get(ev.kind)
        if group is None:
            group = KindGroup(ev.kind, EVENT_KIND_HEADINGS.get(ev.kind, ev.kind), ev.kind != "course", [], [])
            by_kind[ev.kind] = group
            groups.append(group)
        group.items.append(
            PlanItem(ev, item_text(ev), ev.plan_date.capitalized(), _date_note(ev), participants.get(ev.id, []))
        )
    for group in groups:
        dates = [i.date for i in group.items]
        group.dates = dates[:1] if len(set(dates)) == 1 else dates
    return groups


def build_plan(year: SchoolYear) -> PlanDocument:
    """Everything the plan document shows, in a fixed number of queries (rows as tuples: a city's plan lists
    400 events and ~1,800 course participants)."""
    goals = db.session.execute(
        db.select(Goal.id, Goal.title).where(Goal.year_id == year.id).order_by(Goal.position, Goal.id)
    ).all()
    events = [
        PlanEvent(row) for row in db.session.execute(
            db.select(*PlanEvent.COLUMNS)
            .outerjoin(Organization, Event.venue_id == Organization.id)
            .where(Event.year_id == year.id)
            .order_by(Event.position, Event.id)
        )
    ]
    # the course participants, in sign-up order: «Александрова Е.С. №79»
    participants: dict[int, list[str]] = {}
    for event_id, last_name, initials, number, org_name in db.session.execute(
        db.select(Registration.event_id, User.last_name, User.initials, Organization.number, Organization.short_name)
        .join(Event, Registration.event_id == Event.id)
        .join(User, Registration.user_id == User.id)
        .outerjoin(Organization, User.organization_id == Organization.id)
        .where(Event.year_id == year.id, Event.kind == "course", Registration.status == REG_REGISTERED)
        .order_by(Registration.queued_at, Registration.id)
    ):
        mark = f" №{number}" if number else (f" {org_name}" if org_name is not None else "")
        participants.setdefault(event_id, []).append(f"{last_name} {initials}".strip() + mark)

    by_goal: dict[int | None, list[PlanEvent]] = {}
    for ev in events:
        by_goal.setdefault(ev.goal_id, []).append(ev)
    blocks = [GoalBlock(title, _groups(by_goal.get(goal_id, []), participants)) for goal_id, title in goals]
    if by_goal.get(None):
        blocks.append(GoalBlock("Без цели", _groups(by_goal[None], participants)))

    purposes: dict[int, tuple[str, list]] = {}
    for purpose_id, title, number, short_name in db.session.execute(
        db.select(VisitPurpose.id, VisitPurpose.title, Organization.number, Organization.short_name)
        .outerjoin(VisitTarget, VisitTarget.purpose_id == VisitPurpose.id)
        .outerjoin(Organization, VisitTarget.organization_id == Organization.id)
        .where(VisitPurpose.year_id == year.id)
        .order_by(VisitPurpose.position, VisitPurpose.id, VisitTarget.position, VisitTarget.id)
    ):
        _, orgs = purposes.setdefault(purpose_id, (title, []))
        if short_name is not None:
            orgs.append(SchoolName(number, short_name))
    purpose_rows = [(title, schools_text(orgs)) for title, orgs in purposes.values()]

    author = db.aliased(User)
    entries = db.session.execute(
        db.select(BestPractice.topic, BestPractice.goals, BestPractice.stage, BestPractice.form,
                  author.last_name, author.initials, Organization.name)
        .outerjoin(author, BestPractice.author_id == author.id)
        .outerjoin(Organization, BestPractice.organization_id == Organization.id)
        .where(BestPractice.year_id == year.id, BestPractice.status == "accepted")
        .order_by(BestPractice.position, BestPractice.id)
    ).all()
    practice = [
        PracticeRow(
            n,
            topic,
            list(goals or []),
            " – ".join(x for x in (f"{last_name} {initials}".strip() if last_name is not None else "",
                                   org_name or "") if x),
            BP_STAGES.get(stage, stage),
            form or "",
        )
        for n, (topic, goals, stage, form, last_name, initials, org_name) in enumerate(entries, start=1)
    ]
    return PlanDocument(year, blocks, purpose_rows, practice)


def plan_docx(doc: PlanDocument, letterhead: dict) -> bytes:
    """The plan as a Word document (A4 landscape) with real tables, editable and ready to send on; headed and
    signed with `letterhead` (setup.queries.letterhead())."""
    from docx import Document
    from docx.enum.section import WD_ORIENT
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Mm, Pt

    document = Document()
    section = document.sections[0]
    section.orientation = WD_ORIENT.LANDSCAPE
    section.page_width, section.page_height = Mm(297), Mm(210)
    for side in ("left_margin", "right_margin", "top_margin", "bottom_margin"):
        setattr(section, side, Mm(15))
    style = document.styles["Normal"]
    style.font.name = "Times New Roman"
    style.font.size = Pt(12)

    if letterhead["centre"]:
        document.add_paragraph(letterhead["centre"]).alignment = WD_ALIGN_PARAGRAPH.CENTER
    title = document.add_paragraph()
    title.alignment = WD_ALIGN_PARAGRAPH.CENTER
    run = title.add_run("План работы")
    run.bold = True
    if letterhead["association"]:
        document.add_paragraph(letterhead["association"]).alignment = WD_ALIGN_PARAGRAPH.CENTER
    when = document.add_paragraph(f"на {doc.year.title} учебный год")
    when.alignment = WD_ALIGN_PARAGRAPH.CENTER

    def header(table, names):
        for cell, name in zip(table.rows[0].cells, names, strict=True):
            cell.text = ""
            cell.paragraphs[0].add_run(name).bold = True

    def fill(cell, lines: list[tuple[str, bool]]):
        """Lines as paragraphs of a new (empty) cell; bold only where asked (no <w:b w:val=0> noise)."""
        first = True
        for text, bold in lines:
            p = cell.paragraphs[0] if first else cell.add_paragraph()
            first = False
            run = p.add_run(text)
            if bold:
                run.bold = True

    table = document.add_table(rows=1, cols=3)
    table.style = "Table Grid"
    header(table, TABLE1_HEADER)
    add_row = _row_adder(table)
    # Each goal's cell spans its rows. The merge is written as Word's own vMerge marks once all rows exist:
    # python-docx's cell.merge() and row.cells walk the table for every row (minutes on a city's plan).
    spans = []
    for block in doc.goals:
        rows = block.rows or [PlanRow()]
        goal_cells = []
        for plan_row in rows:
            cells = add_row()
            goal_cells.append(cells[0])
            if plan_row.heading:
                fill(cells[1], [(plan_row.heading, True)])
            elif plan_row.item is not None:
                item = plan_row.item
                text = f"{plan_row.number}. {item.text}" if plan_row.number else item.text
                if item.note:
                    text += f" ({item.note})"
                fill(cells[1], [(text, False)] + [(f"    {k}. {p}", False) for k, p in enumerate(item.participants, 1)])
            cells[2].text = plan_row.date
        fill(goal_cells[0], [(block.title, True)])
        spans.append(goal_cells)
    for goal_cells in spans:
        if len(goal_cells) > 1:
            goal_cells[0]._tc.vMerge = "restart"
            for cell in goal_cells[1:]:
                cell._tc.vMerge = "continue"

    document.add_paragraph()
    document.add_paragraph().add_run("Посещение образовательных учреждений").bold = True
    table = document.add_table(rows=1, cols=2)
    table.style = "Table Grid"
    header(table, TABLE2_HEADER)
    add_row = _row_adder(table)
    for purpose, schools in doc.purposes:
        cells = add_row()
        cells[0].text, cells[1].text = purpose, schools

    document.add_paragraph()
    document.add_paragraph().add_run("Передовой педагогический опыт").bold = True
    table = document.add_table(rows=1, cols=6)
    table.style = "Table Grid"
    header(table, TABLE3_HEADER)
    add_row = _row_adder(table)
    for row in doc.practice:
        cells = add_row()
        cells[0].text = f"{row.number}."
        cells[1].text = f"«{row.topic}»"
        fill(cells[2], [(f"– {g};", False) for g in row.goals] or [("", False)])
        cells[3].text = row.author
        cells[4].text = row.stage
        cells[5].text = row.form

    document.add_paragraph()
    document.add_paragraph(
        f"{letterhead['signatory_position'] or 'Методист'}    ______________________    {letterhead['signatory_name']}"
    )

    buf = io.BytesIO()
    document.save(buf)
    return buf.getvalue()


def _row_adder(table):
    """`add_row()` → the new row's cells: a copy of one empty row python-docx built, appended to the table.

    The same XML as `table.add_row().cells`, without python-docx's per-row walk of the table grid and of the
    rows before it (half the document's build time on a city's plan)."""
    from copy import deepcopy

    from docx.table import _Cell

    tbl = table._tbl
    template = table.add_row()._tr
    tbl.remove(template)

    def add_row() -> list:
        tr = deepcopy(template)
        tbl.append(tr)
        return [_Cell(tc, table) for tc in tr.tc_lst]

    return add_row

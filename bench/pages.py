"""The pages the benchmark drives — ONE list: name, path template, role, method.

Path templates are filled from the generator's targets (`{event_id}`, `{signup_event_id}`, `{visit_id}`,
`{school_id}`, `{year}`). A page whose route is not registered in the app is reported as «not available yet»,
never failed: rename a path here when the real route differs. Roles: `librarian` (bench_lib1, whose school has
the visit), `methodologist`, `signup` (the librarians who sign up and cancel under load).

Documents (`document=`) are also timed one at a time, after a data change and from what the app kept, and
loaded by several methodologists at once (two connections each). `grows=True`: a whole-year document whose
length follows the data (the plan, the results, the visits register), so its time is not held to the
scaling target.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

from werkzeug.exceptions import HTTPException
from werkzeug.routing import RequestRedirect


@dataclass(frozen=True)
class Page:
    name: str
    path: str
    role: str
    method: str = "GET"
    #: for a POST: the request that undoes it; the load alternates the two (sign up, cancel, sign up...)
    undo: str | None = None
    #: key in results.json's documents_ms: timed one request at a time as well
    document: str | None = None
    #: a whole-year document: its length (and time) follows the data
    grows: bool = False

    def paths(self, targets: dict) -> list[str]:
        """The filled path, and its undo when there is one."""
        return [p.format(**targets) for p in (self.path, self.undo) if p]


PAGES: list[Page] = [
    Page("events", "/events", "librarian"),
    Page("events_seminars", "/events?kind=seminar", "librarian"),
    Page("event_detail", "/events/{event_id}", "librarian"),
    Page("my_events", "/my/events", "librarian"),
    Page("signup_cancel", "/events/{signup_event_id}/register", "signup", "POST",
         undo="/events/{signup_event_id}/cancel"),
    Page("visits", "/visits", "methodologist"),
    Page("visits_list", "/visits/list", "methodologist"),
    Page("visit_detail", "/visits/{visit_id}", "methodologist"),
    Page("recommendations", "/recommendations", "methodologist"),
    Page("plan", "/plan", "methodologist"),
    Page("results", "/results", "methodologist"),
    Page("home", "/", "librarian"),
    Page("organizations", "/organizations", "methodologist"),
    # documents
    Page("visit_report_pdf", "/visits/{visit_id}/report.pdf", "methodologist", document="visit_report_pdf"),
    Page("visit_reports_pdf", "/visits/reports.pdf?school={school_id}&from={year}-09-01", "methodologist",
         document="visit_reports_pdf"),  # bulk: every справка of one school's year
    Page("sign_in_sheet_pdf", "/events/{event_id}/sign-in-sheet.pdf", "methodologist",
         document="sign_in_sheet_pdf"),
    Page("participants_xlsx", "/events/{event_id}/participants.xlsx", "methodologist",
         document="participants_xlsx"),
    Page("visits_register_pdf", "/visits/register.pdf", "methodologist", document="visits_register_pdf",
         grows=True),
    Page("visits_register_xlsx", "/visits/register.xlsx", "methodologist", document="visits_register_xlsx",
         grows=True),
    Page("plan_pdf", "/plan.pdf", "methodologist", document="plan_pdf", grows=True),
    Page("plan_docx", "/plan.docx", "methodologist", document="plan_docx", grows=True),
    Page("results_pdf", "/results.pdf", "methodologist", document="results_pdf", grows=True),
    Page("results_xlsx", "/results.xlsx", "methodologist", document="results_xlsx", grows=True),
]
DOCUMENTS = tuple(p.document for p in PAGES if p.document)
#: sample ids to check a path template against the app's routes
SAMPLE_TARGETS = {"event_id": 1, "signup_event_id": 2, "visit_id": 1, "school_id": 1, "year": 2026}


def missing_routes(app, page: Page) -> list[str]:
    """The page's paths that no route of `app` answers with the page's method (empty: available)."""
    adapter = app.url_map.bind("localhost")
    missing = []
    for path in page.paths(SAMPLE_TARGETS):
        try:
            endpoint, _ = adapter.match(urlsplit(path).path, method=page.method)
        except (HTTPException, RequestRedirect):
            missing.append(f"{page.method} {path}")
            continue
        if endpoint == "static":
            missing.append(f"{page.method} {path}")
    return missing


def available(app, page: Page) -> bool:
    return not missing_routes(app, page)

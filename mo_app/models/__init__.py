"""All models, importable from one place."""

from .audit import AuditEntry
from .events import ConsultationRequest, Event, Notice, Registration
from .people import LIBRARIAN, METHODOLOGIST, Organization, User
from .plan import BestPractice, BestPracticeFile, Goal, SchoolYear, VisitPurpose, VisitTarget
from .visits import (
    ChecklistItem,
    Recommendation,
    ReportCheckItem,
    ReportVersion,
    Visit,
    VisitDateChange,
    VisitReport,
    visit_purpose_link,
)

__all__ = [
    "AuditEntry",
    "BestPractice",
    "BestPracticeFile",
    "ChecklistItem",
    "ConsultationRequest",
    "Event",
    "Goal",
    "LIBRARIAN",
    "METHODOLOGIST",
    "Notice",
    "Organization",
    "Recommendation",
    "Registration",
    "ReportCheckItem",
    "ReportVersion",
    "SchoolYear",
    "User",
    "Visit",
    "VisitDateChange",
    "VisitPurpose",
    "VisitReport",
    "VisitTarget",
    "visit_purpose_link",
]

"""All models, importable from one place."""

from .audit import AuditEntry
from .documents import Certificate, IssuedDocument, RenderSlot
from .events import ConsultationRequest, Event, Notice, Registration
from .jobs import ScheduledJob
from .mail import MailPreference, OutboxLetter
from .people import LIBRARIAN, METHODOLOGIST, Organization, User, UserSession
from .plan import BestPractice, BestPracticeFile, Goal, SchoolYear, VisitPurpose, VisitTarget
from .security import ThrottleCounter
from .settings import AppSettings
from .takeaway import EventFeedback, EventMaterial
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
    "AppSettings",
    "AuditEntry",
    "BestPractice",
    "BestPracticeFile",
    "Certificate",
    "ChecklistItem",
    "ConsultationRequest",
    "Event",
    "EventFeedback",
    "EventMaterial",
    "Goal",
    "IssuedDocument",
    "LIBRARIAN",
    "MailPreference",
    "METHODOLOGIST",
    "Notice",
    "Organization",
    "OutboxLetter",
    "Recommendation",
    "Registration",
    "RenderSlot",
    "ReportCheckItem",
    "ReportVersion",
    "ScheduledJob",
    "SchoolYear",
    "ThrottleCounter",
    "User",
    "UserSession",
    "Visit",
    "VisitDateChange",
    "VisitPurpose",
    "VisitReport",
    "VisitTarget",
    "visit_purpose_link",
]

"""The write side of feedback: a participant's answer, given once and changed for 14 days. Services take the
acting user and raise FeedbackError (a Russian message and an HTTP status)."""

from __future__ import annotations

from sqlalchemy.exc import IntegrityError

from ..extensions import db
from ..models import Event, EventFeedback, Registration, User
from ..models.base import utcnow
from .queries import EDIT_DAYS, answer_of, is_editable, may_answer

NOT_ASKED = "Оценить мероприятие могут его участники, отмеченные присутствующими, после того как оно прошло."
CLOSED = f"Отзыв можно изменить в течение {EDIT_DAYS} дней после того, как он дан; этот срок истёк."


class FeedbackError(Exception):
    def __init__(self, message: str, status: int = 409):
        super().__init__(message)
        self.message, self.status = message, status


def _clean(text: str | None) -> str | None:
    text = (text or "").strip()
    return text or None


def save(event: Event, user: User, reg: Registration | None, *, usefulness: int, most_useful: str | None,
         to_improve: str | None, topics_wanted: str | None) -> EventFeedback:
    """Give or change her answer (one per person and event; changes for EDIT_DAYS days). Commits."""
    if user.is_methodologist or not may_answer(event, reg):
        raise FeedbackError(NOT_ASKED, 403)
    if usefulness not in range(1, 6):
        raise FeedbackError("Оцените полезность от 1 до 5.", 422)
    answer = answer_of(event.id, user.id)
    if not is_editable(answer):
        raise FeedbackError(CLOSED, 409)
    if answer is None:
        answer = EventFeedback(event_id=event.id, user_id=user.id, usefulness=usefulness)
        db.session.add(answer)
    answer.usefulness = usefulness
    answer.most_useful, answer.to_improve = _clean(most_useful), _clean(to_improve)
    answer.topics_wanted = _clean(topics_wanted)
    answer.updated_at = utcnow()
    try:
        db.session.commit()
    except IntegrityError as exc:  # a second answer sent at the same moment (another tab): the first stands
        db.session.rollback()
        raise FeedbackError("Вы уже оценили это мероприятие: обновите страницу, чтобы изменить ответ.") from exc
    return answer

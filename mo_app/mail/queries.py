"""The read side of mail: the outbox page."""

from __future__ import annotations

from sqlalchemy import func

from ..extensions import db
from ..models import OutboxLetter
from ..models.mail import FAILED, MAIL_STATUSES, QUEUED, SENDING, SENT, UNCONFIGURED
from ..paging import paginate

FILTERS = {"": "Все", QUEUED: "В очереди", SENT: "Отправленные", FAILED: "Не доставленные"}


def counts() -> dict[str, int]:
    rows = db.session.execute(db.select(OutboxLetter.status, func.count()).group_by(OutboxLetter.status)).all()
    found = {status: n for status, n in rows}
    return {status: found.get(status, 0) for status in MAIL_STATUSES}


def letters(status: str, page: int):
    """The outbox's letters, newest first, of one status (queued takes in «sending» and «почта не настроена»)."""
    stmt = db.select(OutboxLetter).order_by(OutboxLetter.created_at.desc(), OutboxLetter.id.desc())
    if status == QUEUED:
        stmt = stmt.where(OutboxLetter.status.in_((QUEUED, SENDING, UNCONFIGURED)))
    elif status:
        stmt = stmt.where(OutboxLetter.status == status)
    return paginate(stmt, page)


def bounced(users) -> set[int]:
    """Ids of `users` whose current address bounced for good: the last letter to it failed with a 5xx answer
    (one query, whatever the number of users)."""
    addresses = {u.id: (u.email or "").strip() for u in users if (u.email or "").strip()}
    if not addresses:
        return set()
    rows = db.session.execute(
        db.select(OutboxLetter.user_id, OutboxLetter.recipient, OutboxLetter.status, OutboxLetter.last_error)
        .where(OutboxLetter.user_id.in_(list(addresses)), OutboxLetter.status.in_((SENT, FAILED)))
        .order_by(OutboxLetter.user_id, func.coalesce(OutboxLetter.sent_at, OutboxLetter.created_at),
                  OutboxLetter.id)).all()
    last: dict[int, tuple[str, str | None]] = {}
    for user_id, recipient, status, error in rows:
        if recipient == addresses[user_id]:
            last[user_id] = (status, error)
    return {uid for uid, (status, error) in last.items() if status == FAILED and (error or "")[:1] == "5"}

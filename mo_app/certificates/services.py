"""The write side of certificates: issuing one (kept as issued, recorded for /verify), revoking it, marking a
speaker. Services take the acting user and raise CertificateError (a Russian message and an HTTP status)."""

from __future__ import annotations

import io

import segno
from sqlalchemy.exc import IntegrityError

from ..dates import long_date, nplural, today
from ..documents import new_code, record_issue, render_document, verify_url
from ..documents.letterhead import letterhead
from ..extensions import db, write_lock
from ..models import Certificate, Event, IssuedDocument, Registration, User
from ..models.base import utcnow
from .queries import current_certificate, is_due

KIND = "certificate"
TALK_MAX = 300

#: «принял(а) участие в …» / «выступил(а) … на …»: the kind in the prepositional case
KIND_PREPOSITIONAL = {
    "course": "курсах",
    "seminar": "семинаре",
    "practical_seminar": "практическом семинаре",
    "meeting": "совещании",
    "group_consultation": "групповой консультации",
    "individual_consultation": "индивидуальной консультации",
}


class CertificateError(Exception):
    def __init__(self, message: str, status: int = 409):
        super().__init__(message)
        self.message, self.status = message, status


def _verb(user: User, feminine: str, masculine: str) -> str:
    """The past-tense verb agreeing with the person, told by the patronymic (…вна / …вич), else both forms."""
    middle = (user.middle_name or "").strip().lower()
    if middle.endswith(("вна", "чна", "кызы")):
        return feminine
    if middle.endswith(("вич", "ич", "оглы")):
        return masculine
    return masculine + "(а)"


def _hours(n: int | None) -> str:
    if not n:
        return ""
    return nplural(n, "академический час", "академических часа", "академических часов")


def _event_line(event: Event) -> str:
    kind = KIND_PREPOSITIONAL.get(event.kind, event.kind_label.lower())
    return f"{kind} «{event.title}»" if event.title else kind


def printed(reg: Registration, number: str, code: str) -> dict:
    """What a certificate prints (kept with it, so that a bundle reprints exactly what was issued)."""
    event, user = reg.event, reg.user
    if reg.talk_title:
        role = f"{_verb(user, 'выступила', 'выступил')} с темой «{reg.talk_title}» на {_event_line(event)}"
        title = "Сертификат за выступление"
    else:
        role = f"{_verb(user, 'приняла', 'принял')} участие в {_event_line(event)}"
        title = "Сертификат участника"
    venue = ""
    if event.venue is not None:
        venue = event.venue.name + (f", {event.venue.address}" if event.venue.address else "")
    url = verify_url(code)
    qr = io.BytesIO()
    segno.make(url, error="m").save(qr, kind="svg", xmldecl=False, border=0, scale=1)
    return {
        "title": title, "number": number, "code": code, "url": url, "qr": qr.getvalue().decode(),
        "name": user.full_name, "school": user.organization.short_name if user.organization else "",
        "role": role, "date": event.plan_date.text(), "venue": venue, "hours": _hours(event.hours),
        "issued_on": long_date(today()), "letterhead": letterhead(),
    }


def _facts(data: dict, event: Event) -> list[tuple[str, str]]:
    """What /verify shows: number, person, event, date, hours — nothing else."""
    facts = [("Номер", data["number"]), ("Участник", data["name"]),
             ("Мероприятие", f"{event.kind_label} «{event.title}»" if event.title else event.kind_label),
             ("Дата", data["date"])]
    if data["hours"]:
        facts.append(("Объём", data["hours"]))
    return facts


def issue(reg: Registration) -> Certificate:
    """The registration's current certificate, issuing it (rendered, kept, recorded; committed) when there is
    none. 404 when none is due: the caller shows nobody that a registration exists."""
    if not is_due(reg.event, reg):
        raise CertificateError("Сертификат выдаётся участникам прошедшего мероприятия.", 404)
    existing = current_certificate(reg.id)
    if existing is not None:
        return existing
    earlier = db.session.scalar(db.select(db.func.count()).where(Certificate.registration_id == reg.id)) or 0
    number = f"{reg.event.year.start_year}-{reg.id:05d}" + (f"/{earlier + 1}" if earlier else "")
    code = new_code()
    data = printed(reg, number, code)
    pdf = render_document("certificate", {"certificates": [data]})
    reg_id = reg.id
    with write_lock():  # a GET that writes: its transaction takes the write lock first (SQLite)
        cert = current_certificate(reg_id)
        if cert is not None:  # issued meanwhile by another download: that one stands
            return cert
        record_issue(code, KIND, data["title"], _facts(data, reg.event), pdf)
        db.session.flush()
        issued = db.session.scalar(db.select(IssuedDocument).where(IssuedDocument.code == code))
        cert = Certificate(registration_id=reg_id, issued=issued, number=number, pdf=pdf, printed=data)
        db.session.add(cert)
        try:
            db.session.commit()
        except IntegrityError:  # the same race on PostgreSQL: the other one stands
            db.session.rollback()
            cert = current_certificate(reg_id)
            if cert is None:
                raise
    return cert


def issue_all(event: Event, regs: list[Registration]) -> list[Certificate]:
    """The current certificates of every participant due one, issuing the missing ones."""
    return [issue(r) for r in regs if is_due(event, r)]


def bundle(certs: list[Certificate]) -> bytes:
    """One PDF with the certificates, one per page, each as it was issued."""
    if not certs:
        raise CertificateError("Сертификатов нет: никто не отмечен присутствующим.", 404)
    return render_document("certificate", {"certificates": [c.printed for c in certs]})


def revoke(cert: Certificate, actor: User) -> None:
    """Revoke a certificate: /verify says «аннулирован»; the next download issues a new one. Commits."""
    if not cert.is_current:
        raise CertificateError("Сертификат уже аннулирован.")
    cert.is_current = False
    cert.issued.revoked_at = utcnow()
    db.session.commit()


def set_talk(reg: Registration, talk_title: str, actor: User) -> None:
    """Mark a participant as a speaker with the talk's title (marked present too), or clear it. Commits."""
    talk = " ".join(talk_title.split())
    if len(talk) > TALK_MAX:
        raise CertificateError(f"Тема выступления — не длиннее {TALK_MAX} символов.", 422)
    if reg.status != "registered":
        raise CertificateError("Выступающим можно отметить только записанного участника.")
    reg.talk_title = talk or None
    if talk and reg.attendance != "present":
        reg.attendance, reg.attendance_marked_at = "present", utcnow()
    db.session.commit()

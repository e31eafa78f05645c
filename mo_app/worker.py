"""`python -m mo_app.worker`: the background process that runs the scheduled jobs (`make run` starts one beside
the web server; it also runs alone, and several may run — on several hosts of one PostgreSQL database).

The jobs are declared in one place, `jobs()`: a name, a schedule (`Daily(hour, minute)` in Moscow time, or
`Every(seconds)`), a function run inside the app context, and a lease. Adding one is a line there.

Each job has a row in `scheduled_job` (models/jobs.py). A worker wakes when the earliest job is due (at
least every POLL seconds) and claims a due job with ONE compare-and-set UPDATE — «set next_run_at to the next
time and lock it to me, where it is due and nobody holds it» — and runs it only if that UPDATE changed the
row. On PostgreSQL a second worker's UPDATE of the same row waits for the first to commit, then re-checks its
WHERE against the new row and changes nothing; on SQLite writers are serialised. So a due job runs once, on
one worker, however many run. The lease (`locked_until`) keeps a slow run from being started again in
parallel; a worker killed mid-run frees its job when the lease ends, or at once — and the
run is made again — when a worker of the same host sees that its process is gone. A run missed while no worker ran (the
machine was off at 03:00) is made once as soon as a worker starts; then the schedule goes on from now.

Why not APScheduler: its 3.x job stores "must never be shared between schedulers" — several workers on one
database would each run every job — and 4.x, which can share one, is a pre-release not for production. The
loop here is short and works the same on SQLite and PostgreSQL.

Transactions of the worker pass the restore gate like a request's (restore_gate.py): during a restore it
waits and tries again.
"""

from __future__ import annotations

import logging
import os
import signal
import socket
import threading
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from flask import Flask
from sqlalchemy import Row, insert, or_, select, update
from sqlalchemy.exc import IntegrityError, SQLAlchemyError

from .dates import TZ
from .extensions import db
from .models import ScheduledJob
from .models.base import utcnow
from .restore_gate import RestoreInProgress

log = logging.getLogger("mo_app.worker")
POLL = 5.0  #: seconds: the longest sleep between two looks at the schedule (WORKER_POLL_SECONDS)
MOSCOW = ZoneInfo(TZ)
table = ScheduledJob.__table__


@dataclass(frozen=True)
class Daily:
    """Every day at hour:minute, Moscow time."""

    hour: int
    minute: int = 0

    def next_after(self, now: datetime) -> datetime:
        """The first such time after `now` (naive UTC in, naive UTC out)."""
        local = now.replace(tzinfo=UTC).astimezone(MOSCOW)
        at = local.replace(hour=self.hour, minute=self.minute, second=0, microsecond=0)
        if at <= local:
            at = (local + timedelta(days=1)).replace(hour=self.hour, minute=self.minute, second=0, microsecond=0)
        return at.astimezone(UTC).replace(tzinfo=None)

    def __str__(self) -> str:
        return f"daily {self.hour:02d}:{self.minute:02d} {TZ}"


@dataclass(frozen=True)
class Every:
    """Every so many seconds, counted from the start of the last run."""

    seconds: float

    def next_after(self, now: datetime) -> datetime:
        return now + timedelta(seconds=self.seconds)

    def __str__(self) -> str:
        return f"every {self.seconds:g} s"


@dataclass(frozen=True)
class Job:
    name: str
    schedule: Daily | Every
    run: Callable[[], object]  #: called inside the app context; commits its own work
    lease: timedelta = timedelta(minutes=10)  #: longest run; a worker killed mid-run frees the job after it


def nightly_backup() -> None:
    """One archive of everything into BACKUP_DIR, keeping the BACKUP_KEEP newest."""
    from .backup import backup

    path = backup()
    log.info("резервная копия сохранена: %s", path)


def send_mail() -> None:
    """The outbox's due letters over SMTP (mo_app/mail/sender.py)."""
    from .mail.sender import send_due

    sent = send_due()
    if sent:
        log.info("отправлено писем: %d", sent)


def daily_letters() -> None:
    """Reminders of tomorrow's events, requests to rate past ones and recommendation deadlines
    (mo_app/mail/scheduled.py)."""
    from .mail import scheduled

    log.info("напоминания: %d, просьбы оценить: %d, сроки рекомендаций: %d", scheduled.reminders(),
             scheduled.feedback_requests(), scheduled.recommendation_deadlines())


def daily_digest() -> None:
    """The methodologist's digest of the day (none on an empty day)."""
    from .mail import scheduled

    log.info("сводок методисту: %d", scheduled.digests())


def jobs(app: Flask) -> list[Job]:
    """Every scheduled job, in one place."""
    return [
        Job("backup", Daily(app.config["BACKUP_HOUR"]), nightly_backup, lease=timedelta(hours=2)),
        Job("mail", Every(app.config["MAIL_SEND_SECONDS"]), send_mail, lease=timedelta(minutes=10)),
        Job("reminders", Daily(app.config["REMINDER_HOUR"]), daily_letters, lease=timedelta(minutes=30)),
        Job("digest", Daily(app.config["DIGEST_HOUR"]), daily_digest, lease=timedelta(minutes=30)),
    ]


# ---- the schedule in the database ----------------------------------------------------------------------------------

def _sync(declared: list[Job], rows: dict[str, Row], now: datetime) -> None:
    """Give each declared job its row; a job whose schedule changed is planned again from now."""
    for job in declared:
        row = rows.get(job.name)
        if row is None:
            try:
                db.session.execute(insert(table).values(
                    name=job.name, schedule=str(job.schedule), next_run_at=job.schedule.next_after(now)))
                db.session.commit()
            except IntegrityError:
                db.session.rollback()  # another worker made it at the same moment
        elif row.schedule != str(job.schedule):
            db.session.execute(update(table).where(table.c.name == job.name, table.c.schedule == row.schedule)
                               .values(schedule=str(job.schedule), next_run_at=job.schedule.next_after(now)))
            db.session.commit()


def _rows() -> dict[str, Row]:
    rows = {r.name: r for r in db.session.execute(select(table))}
    db.session.commit()
    return rows


def claim(job: Job, now: datetime, me: str) -> bool:
    """Take this run of `job` if it is due and free: one atomic UPDATE; True when this worker got it."""
    claimed = db.session.execute(
        update(table)
        .where(table.c.name == job.name, table.c.next_run_at <= now,
               or_(table.c.locked_until.is_(None), table.c.locked_until <= now))
        .values(next_run_at=job.schedule.next_after(now), locked_until=now + job.lease, locked_by=me,
                last_run_at=now, last_status="running", last_error=None)
    ).rowcount == 1
    db.session.commit()
    return claimed


def _finish(job: Job, me: str, error: str | None) -> None:
    db.session.rollback()
    db.session.execute(
        update(table).where(table.c.name == job.name, table.c.locked_by == me)
        .values(locked_until=None, last_status="error" if error else "ok", last_error=error)
    )
    db.session.commit()


def run_job(job: Job, me: str) -> bool:
    """Run a claimed job and record how it ended; True when it succeeded."""
    started = utcnow()
    error = None
    try:
        job.run()
    except Exception as e:  # noqa: BLE001 - a failing job is recorded and the worker goes on
        db.session.rollback()
        error = "".join(traceback.format_exception_only(e)).strip()[:4000]
        log.exception("задача %s завершилась с ошибкой", job.name)
    seconds = (utcnow() - started).total_seconds()
    while True:
        try:
            _finish(job, me, error)
            break
        except RestoreInProgress:
            threading.Event().wait(1)
    if error is None and not isinstance(job.schedule, Every):  # a frequent job says only what it did
        log.info("задача %s выполнена за %.1f с", job.name, seconds)
    return error is None


def _dead_here(locked_by: str | None) -> bool:
    """True when `locked_by` names a worker process of this host that is no longer running."""
    host, _, pid = (locked_by or "").rpartition(":")
    if host != socket.gethostname() or not pid.isdigit():
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False


def _free_dead_leases(rows: dict[str, Row], now: datetime) -> bool:
    """End the leases of workers of this host that died mid-run (SIGKILL, a crash) and make those runs due again."""
    freed = False
    for row in rows.values():
        if row.locked_until is not None and row.locked_until > now and _dead_here(row.locked_by):
            db.session.execute(update(table).where(table.c.name == row.name, table.c.locked_by == row.locked_by)
                               .values(locked_until=None, next_run_at=now, last_status="error",
                                       last_error=f"процесс {row.locked_by} прервался во время работы"))
            log.warning("задача %s: процесс %s прервался во время работы; она будет выполнена снова",
                        row.name, row.locked_by)
            freed = True
    db.session.commit()
    return freed


def run_due(declared: list[Job], me: str) -> float:
    """Run every job that is due now (those this worker claims); seconds until the next one is due."""
    now = utcnow()
    rows = _rows()
    if any(job.name not in rows or rows[job.name].schedule != str(job.schedule) for job in declared):
        _sync(declared, rows, now)
        rows = _rows()
    if _free_dead_leases(rows, now):
        rows = _rows()
    ran = False
    for job in declared:
        row = rows.get(job.name)
        if row is None or row.next_run_at > now or (row.locked_until is not None and row.locked_until > now):
            continue
        if claim(job, utcnow(), me):  # now, not when the loop began: an earlier job may have run long
            run_job(job, me)
            ran = True
    if ran:
        return 0.0
    upcoming = [max(r.next_run_at, r.locked_until or r.next_run_at) for r in rows.values()
                if r.name in {j.name for j in declared}]
    return max(0.0, (min(upcoming) - utcnow()).total_seconds()) if upcoming else POLL


# ---- the process ---------------------------------------------------------------------------------------------------

def worker_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"[:120]


def run(app: Flask, declared: list[Job], stop: threading.Event, poll: float | None = None) -> None:
    """The loop: run what is due, sleep until the next job is due (at most `poll` seconds), until `stop` is set."""
    poll = poll or float(app.config.get("WORKER_POLL_SECONDS", POLL))
    me = worker_id()
    log.info("фоновый процесс %s запущен; задачи: %s", me, ", ".join(f"{j.name} ({j.schedule})" for j in declared))
    waiting_note = None
    while not stop.is_set():
        with app.app_context():
            try:
                wait = min(run_due(declared, me), poll)
                waiting_note = None
            except RestoreInProgress:
                if waiting_note != "restore":
                    log.info("идёт восстановление из резервной копии: задачи подождут")
                waiting_note, wait = "restore", 1.0
            except SQLAlchemyError as e:
                if waiting_note != "db":
                    log.warning("база данных недоступна (%s): повтор каждые %g с", e.__class__.__name__, poll)
                waiting_note, wait = "db", poll
            finally:
                db.session.remove()
        stop.wait(max(wait, 0.01))
    log.info("фоновый процесс %s остановлен", me)


def main(declared: Callable[[Flask], list[Job]] = jobs) -> None:
    """Build the app and run the loop until SIGTERM or SIGINT (the job running then is finished first)."""
    from . import create_app

    logging.basicConfig(level=logging.INFO, format="%(asctime)s [worker] %(message)s", datefmt="%Y-%m-%d %H:%M:%S")
    app = create_app(migrations=False)
    stop = threading.Event()

    def _stop(signum, frame):
        stop.set()

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    run(app, declared(app), stop)


if __name__ == "__main__":
    main()

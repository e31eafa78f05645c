"""The worker's schedule: one row per scheduled job (mo_app/worker.py declares the jobs)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String, Text
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db


class ScheduledJob(db.Model):
    __tablename__ = "scheduled_job"

    name: Mapped[str] = mapped_column(String(60), primary_key=True)
    #: the schedule as declared («daily 03:00 Europe/Moscow», «every 5 s»); a different one re-plans the job
    schedule: Mapped[str] = mapped_column(String(80))
    #: naive UTC; the job is due when this has passed. A worker claims a run by moving it to the next time.
    next_run_at: Mapped[datetime]
    #: a worker runs the job until then (its lease); NULL when nobody runs it. A crashed run frees it at this time.
    locked_until: Mapped[datetime | None]
    locked_by: Mapped[str | None] = mapped_column(String(120))  #: host:pid of the worker running it
    last_run_at: Mapped[datetime | None]  #: when the last run started (naive UTC)
    last_status: Mapped[str | None] = mapped_column(String(10))  #: running | ok | error
    last_error: Mapped[str | None] = mapped_column(Text)

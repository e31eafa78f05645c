"""The worker: schedules in Moscow time, one atomic claim per run (two real worker processes on one database
run a due job once), failures recorded, the nightly backup keeping BACKUP_KEEP archives, and `make run`'s
pair of processes (the web keeps serving and the worker is started again when it dies)."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import insert, select, update

from mo_app import backup, worker
from mo_app.extensions import db
from mo_app.models import ScheduledJob
from mo_app.models.base import utcnow
from mo_app.worker import Daily, Every, Job

from .server_helpers import BACKENDS, ROOT, app_env, backend_app, free_port, start, stop, wait_healthy

table = ScheduledJob.__table__


def _row(name: str):
    row = db.session.execute(select(table).where(table.c.name == name)).first()
    db.session.commit()
    return row


def _wait_for(condition, seconds: float, what: str):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.2)
    pytest.fail(f"timed out waiting for {what}")


# ---- schedules -----------------------------------------------------------------------------------------------------

def test_daily_runs_at_the_hour_in_moscow_and_every_counts_from_now():
    at_3 = Daily(3)
    assert at_3.next_after(datetime(2026, 12, 6, 23, 59)) == datetime(2026, 12, 7, 0, 0)  # 02:59 → 03:00 MSK
    assert at_3.next_after(datetime(2026, 12, 7, 0, 0)) == datetime(2026, 12, 8, 0, 0)  # just ran → tomorrow
    assert at_3.next_after(datetime(2026, 12, 7, 9, 30)) == datetime(2026, 12, 8, 0, 0)
    assert Daily(0, 30).next_after(datetime(2026, 12, 31, 21, 29)) == datetime(2026, 12, 31, 21, 30)  # 00:30 MSK
    assert str(at_3) == "daily 03:00 Europe/Moscow"
    assert Every(5).next_after(datetime(2026, 12, 7, 0, 0)) == datetime(2026, 12, 7, 0, 0, 5)


# ---- claiming and running, in process -------------------------------------------------------------------------------

def test_a_claim_is_taken_once_and_the_lease_keeps_a_run_alone(app):
    job = Job("probe", Every(60), lambda: None, lease=timedelta(minutes=5))
    now = utcnow()
    db.session.execute(insert(table).values(name="probe", schedule=str(job.schedule), next_run_at=now))
    db.session.commit()
    assert worker.claim(job, now, "a") is True
    assert worker.claim(job, now, "b") is False  # this run is taken: next_run_at moved on
    row = _row("probe")
    assert row.locked_by == "a" and row.last_status == "running" and row.next_run_at == now + timedelta(seconds=60)

    later = now + timedelta(seconds=61)  # due again while «a» still runs: its lease keeps others off
    assert worker.claim(job, later, "b") is False
    assert worker.claim(job, now + timedelta(minutes=6), "b") is True  # «a» died: the lease ended


def test_a_run_cut_short_by_a_dead_worker_of_this_host_is_made_again(app):
    ran = []
    job = Job("probe", Every(3600), lambda: ran.append(1), lease=timedelta(hours=1))
    gone = subprocess.Popen(["true"])
    gone.wait()
    now = utcnow()
    dead = f"{socket.gethostname()}:{gone.pid}"
    hour = now + timedelta(hours=1)
    db.session.execute(insert(table).values(name="probe", schedule=str(job.schedule), locked_by=dead,
                                            next_run_at=now + timedelta(minutes=59), locked_until=hour))
    db.session.execute(insert(table).values(name="other", schedule=str(job.schedule), locked_by="elsewhere:1",
                                            next_run_at=now, locked_until=hour))
    db.session.commit()
    worker.run_due([job, Job("other", Every(3600), lambda: ran.append(2))], "me")
    assert ran == [1]  # another host's worker may be alive: its lease is waited out
    row = _row("probe")
    assert row.last_status == "ok" and row.locked_until is None and row.locked_by == "me"


def test_a_failing_job_is_recorded_and_planned_again(app, caplog):
    def boom():
        raise RuntimeError("сломалось")

    ran = []
    declared = [Job("boom", Every(60), boom), Job("fine", Every(60), lambda: ran.append(1))]
    now = utcnow()
    for job in declared:
        db.session.execute(insert(table).values(name=job.name, schedule=str(job.schedule), next_run_at=now))
    db.session.commit()

    assert worker.run_due(declared, "me") == 0.0
    row = _row("boom")
    assert row.last_status == "error" and "сломалось" in row.last_error and row.locked_until is None
    assert row.next_run_at > now + timedelta(seconds=59)
    assert ran == [1] and _row("fine").last_status == "ok"  # the other job ran all the same
    assert 55 < worker.run_due(declared, "me") <= 60  # nothing due: sleeps until the next
    assert ran == [1]


def test_a_frequent_job_that_did_nothing_leaves_the_log_quiet(app, caplog):
    """The outbox is looked at every few seconds: only a daily job's run, a letter sent or an error is logged."""
    declared = [Job("often", Every(5), lambda: None), Job("nightly", Daily(3), lambda: None)]
    now = utcnow()
    for job in declared:
        db.session.execute(insert(table).values(name=job.name, schedule=str(job.schedule), next_run_at=now))
    db.session.commit()
    with caplog.at_level("INFO", logger=worker.log.name):
        worker.run_due(declared, "me")
    assert _row("often").last_status == "ok" and _row("nightly").last_status == "ok"
    lines = [r.getMessage() for r in caplog.records]
    assert not [line for line in lines if "often" in line], lines
    assert [line for line in lines if "nightly" in line], lines


def test_jobs_get_their_rows_and_a_changed_schedule_is_planned_again(app):
    declared = [Job("backup", Daily(3), lambda: None)]
    worker.run_due(declared, "me")
    row = _row("backup")
    assert row.schedule == "daily 03:00 Europe/Moscow" and row.next_run_at == Daily(3).next_after(utcnow())

    moved = [Job("backup", Daily(5), lambda: None)]
    worker.run_due(moved, "me")
    row = _row("backup")
    assert row.schedule == "daily 05:00 Europe/Moscow" and row.next_run_at == Daily(5).next_after(utcnow())
    assert row.last_run_at is None  # planned, not run


def test_the_nightly_backup_keeps_backup_keep_archives(app, tmp_path):
    app.config["BACKUP_KEEP"] = 2
    folder = tmp_path / "backups"
    folder.mkdir()
    old = []
    for day in (3, 4, 5):
        path = folder / f"mo-backup-2026120{day}-030000.tar.gz"
        path.write_bytes(b"old")
        t = time.time() - (10 - day) * 86400
        os.utime(path, (t, t))
        old.append(path)
    declared = worker.jobs(app)
    worker.run_due(declared, "me")  # makes the row, due at the next 03:00
    db.session.execute(update(table).where(table.c.name == "backup").values(next_run_at=utcnow()))
    db.session.commit()

    worker.run_due(declared, "me")
    archives = sorted(folder.glob("mo-backup-*.tar.gz"))
    assert len(archives) == 2 and old[2] in archives  # the new one and the newest old one
    new = next(p for p in archives if p not in old)
    assert backup.last_backup().path == new
    staging = tmp_path / "check"
    staging.mkdir()
    assert backup.unpack(new, staging)["database"] == db.engine.dialect.name
    row = _row("backup")
    assert row.last_status == "ok" and row.next_run_at == Daily(app.config["BACKUP_HOUR"]).next_after(row.last_run_at)


# ---- real worker processes ---------------------------------------------------------------------------------------

def _workers(tmp_path: Path, url: str, args: list[str], n: int = 2, **extra) -> list[subprocess.Popen]:
    env = app_env(tmp_path, url, WORKER_POLL_SECONDS="1", **extra)
    return [start(tmp_path, args, env, f"worker{i}.log") for i in range(n)]


def _logs(tmp_path: Path, n: int = 2) -> list[str]:
    return [(tmp_path / f"worker{i}.log").read_text() for i in range(n)]


@pytest.mark.parametrize("backend", BACKENDS)
def test_two_worker_processes_run_a_due_backup_once(tmp_path, backend):
    with backend_app(tmp_path, backend):
        url = db.engine.url.render_as_string(hide_password=False)
        db.session.execute(insert(table).values(name="backup", schedule=str(Daily(3)),
                                                next_run_at=utcnow() + timedelta(days=1)))
        db.session.commit()
        procs = _workers(tmp_path, url, ["-m", "mo_app.worker"], BACKUP_HOUR="3")
        try:
            _wait_for(lambda: all("запущен" in log for log in _logs(tmp_path)), 90, "both workers to start")
            # due in 3 s: both read it within a second and wake at that same moment
            db.session.execute(update(table).values(next_run_at=utcnow() + timedelta(seconds=3)))
            db.session.commit()
            _wait_for(lambda: _row("backup").last_status == "ok", 90, "the backup")
            time.sleep(2)  # time for a second run, were there one
        finally:
            codes = [stop(p) for p in procs]
        logs = _logs(tmp_path)
        row = _row("backup")
    assert codes == [0, 0] and all("остановлен" in log for log in logs), logs  # SIGTERM: a clean stop
    assert sum(log.count("резервная копия сохранена") for log in logs) == 1, logs
    assert len(list((tmp_path / "backups").glob("mo-backup-*.tar.gz"))) == 1
    assert row.locked_until is None and row.next_run_at == Daily(3).next_after(row.last_run_at)


@pytest.mark.parametrize("backend", BACKENDS)
def test_two_worker_processes_run_each_run_of_a_frequent_job_once(tmp_path, backend):
    """Both workers wake at the same due time (they read it from the same row): each run is claimed once."""
    out = tmp_path / "ticks.txt"
    with backend_app(tmp_path, backend):
        url = db.engine.url.render_as_string(hide_password=False)
        procs = _workers(tmp_path, url, ["-m", "tests.worker_probe", str(out)])
        try:
            _wait_for(lambda: all("запущен" in log for log in _logs(tmp_path)), 90, "both workers to start")
            out.write_text("")
            time.sleep(8)
        finally:
            for p in procs:
                stop(p)
    ticks = sorted(float(line.split()[1]) for line in out.read_text().splitlines())
    gaps = [b - a for a, b in zip(ticks, ticks[1:], strict=False)]
    assert 5 <= len(ticks) <= 10, ticks
    assert min(gaps) > 0.5, gaps  # never two runs of one due time


# ---- make run: the web server and a worker -------------------------------------------------------------------------

def test_run_serves_the_web_with_a_worker_and_starts_a_dead_worker_again(tmp_path):
    db_url = f"sqlite:///{tmp_path / 'run.sqlite3'}"
    port = free_port()
    env = app_env(tmp_path, db_url, HOST="127.0.0.1", PORT=str(port), WORKER_POLL_SECONDS="1")
    subprocess.run([sys.executable, "-m", "flask", "--app", "mo_app", "db", "upgrade"], cwd=ROOT, env=env,
                   check=True, capture_output=True)
    proc = start(tmp_path, ["-m", "mo_app.run"], env, "run.log")
    log = tmp_path / "run.log"
    base = f"http://127.0.0.1:{port}"

    def healthy() -> bool:
        with urllib.request.urlopen(base + "/healthz", timeout=5) as r:  # noqa: S310
            return r.status == 200

    try:
        wait_healthy(base, proc, log, seconds=90)
        first = int(re.search(r"фоновый процесс \(pid (\d+)\) запущены", log.read_text())[1])
        _wait_for(lambda: "фоновый процесс" in log.read_text() and "задачи: backup" in log.read_text(), 90,
                  "the worker to start")
        os.kill(first, signal.SIGKILL)
        _wait_for(lambda: "фоновый процесс остановился (код -9); веб-сервер работает" in log.read_text(), 30,
                  "the supervisor to notice")
        assert healthy()  # the web goes on serving without its worker
        second = int(_wait_for(lambda: re.search(r"фоновый процесс перезапущен \(pid (\d+)\)", log.read_text()),
                               30, "the restart")[1])
        assert second != first
        _wait_for(lambda: log.read_text().count("задачи: backup") == 2, 90, "the new worker to start")
        assert healthy()
    finally:
        code = stop(proc, signal.SIGINT)
    text = log.read_text()
    assert code == 0 and "остановлено" in text, text
    for pid in (second,):
        with pytest.raises(ProcessLookupError):
            os.kill(pid, 0)

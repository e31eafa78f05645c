"""Configuration: defaults for an intranet install, overridden by environment variables."""

import os
import secrets
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
INSTANCE = Path(os.environ.get("MO_INSTANCE_PATH", ROOT / "instance"))


def _secret_key(instance: Path) -> str:
    """SECRET_KEY from the environment, else generated once into instance/secret_key (mode 600)."""
    key = os.environ.get("SECRET_KEY")
    if key:
        return key
    path = instance / "secret_key"
    if not path.exists():
        instance.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(secrets.token_hex(32))
    return path.read_text().strip()


def _hour(value: str) -> int:
    hour = int(value)
    if not 0 <= hour <= 23:
        raise ValueError(f"an hour (BACKUP_HOUR, REMINDER_HOUR, DIGEST_HOUR) must be 0–23, not {value!r}")
    return hour


def _smtp_tls(value: str) -> str:
    value = value.strip().lower()
    if value not in ("starttls", "ssl", "none"):
        raise ValueError(f"SMTP_TLS must be starttls, ssl or none, not {value!r}")
    return value


def _database_url(instance: Path) -> str:
    url = os.environ.get("DATABASE_URL")
    if url:
        # Heroku-style URLs name no driver; we ship psycopg 3.
        for prefix in ("postgres://", "postgresql://"):
            if url.startswith(prefix):
                return "postgresql+psycopg://" + url[len(prefix):]
        return url
    return f"sqlite:///{instance / 'mo.sqlite3'}"


class Config:
    """Production-ish defaults; every value can come from the environment."""

    def __init__(self) -> None:
        self.INSTANCE_PATH = str(INSTANCE)
        self.SECRET_KEY = _secret_key(INSTANCE)
        self.SQLALCHEMY_DATABASE_URI = _database_url(INSTANCE)
        self.SQLALCHEMY_ENGINE_OPTIONS = {"pool_pre_ping": True}
        self.WTF_CSRF_TIME_LIMIT = None
        self.BABEL_DEFAULT_LOCALE = "ru"
        self.BABEL_DEFAULT_TIMEZONE = "Europe/Moscow"
        self.MAX_CONTENT_LENGTH = int(os.environ.get("MAX_CONTENT_LENGTH", 16 * 1024 * 1024))
        self.UPLOAD_MAX_BYTES = int(os.environ.get("UPLOAD_MAX_BYTES", 10 * 1024 * 1024))
        self.UPLOAD_FOLDER = os.environ.get("UPLOAD_FOLDER", str(INSTANCE / "uploads"))
        self.BACKUP_DIR = os.environ.get("BACKUP_DIR", str(INSTANCE / "backups"))
        #: finished documents kept per data stamp for every process (mo_app/documents/kept.py); a cache
        self.DOCUMENT_CACHE_DIR = os.environ.get("DOCUMENT_CACHE_DIR", str(INSTANCE / "cache" / "documents"))
        self.DOCUMENT_CACHE_BYTES = int(os.environ.get("DOCUMENT_CACHE_BYTES", 512 * 1024 * 1024))
        self.BACKUP_KEEP = int(os.environ.get("BACKUP_KEEP", "14"))  #: newest archives kept in BACKUP_DIR; 0: all
        self.BACKUP_HOUR = _hour(os.environ.get("BACKUP_HOUR", "3"))  #: the nightly backup, Moscow time
        self.WORKER_POLL_SECONDS = float(os.environ.get("WORKER_POLL_SECONDS", "5"))  #: longest sleep of the worker
        #: outgoing mail (mo_app/mail): no SMTP_HOST → letters wait in the outbox as «почта не настроена»
        self.SMTP_HOST = os.environ.get("SMTP_HOST") or None
        self.SMTP_PORT = int(os.environ.get("SMTP_PORT", "25"))
        self.SMTP_USER = os.environ.get("SMTP_USER") or None
        self.SMTP_PASSWORD = os.environ.get("SMTP_PASSWORD") or None
        self.SMTP_TLS = _smtp_tls(os.environ.get("SMTP_TLS", "starttls"))  #: starttls | ssl | none
        self.MAIL_FROM = os.environ.get("MAIL_FROM", "mo@localhost")  #: the sender's address
        self.APP_URL = os.environ.get("APP_URL", "http://localhost:5000")  #: the app's address in letters' links
        self.MAIL_SEND_SECONDS = float(os.environ.get("MAIL_SEND_SECONDS", "5"))  #: how often the worker sends
        #: a letter taken by a worker that died is sent again after this many seconds (sooner on the same host)
        self.MAIL_LEASE_SECONDS = float(os.environ.get("MAIL_LEASE_SECONDS", "300"))
        self.REMINDER_HOUR = _hour(os.environ.get("REMINDER_HOUR", "9"))  #: reminders of tomorrow's events, Moscow
        self.DIGEST_HOUR = _hour(os.environ.get("DIGEST_HOUR", "8"))  #: the methodologist's daily digest, Moscow
        self.SESSION_COOKIE_HTTPONLY = True
        self.SESSION_COOKIE_SAMESITE = "Lax"
        self.REMEMBER_COOKIE_HTTPONLY = True
        self.REMEMBER_COOKIE_SAMESITE = "Lax"
        #: a session without «Запомнить меня» ends on the server after this many days unused
        self.SESSION_IDLE_DAYS = int(os.environ.get("SESSION_IDLE_DAYS", 30))
        secure = os.environ.get("SESSION_COOKIE_SECURE", "").lower() in ("1", "true", "yes")
        self.SESSION_COOKIE_SECURE = secure
        self.REMEMBER_COOKIE_SECURE = secure
        #: login throttling counters: the database when unset, else a `limits` storage (redis://host:6379)
        self.RATELIMIT_STORAGE_URI = os.environ.get("RATELIMIT_STORAGE_URI") or None
        self.RATELIMIT_ENABLED = os.environ.get("RATELIMIT_ENABLED", "1") not in ("0", "false")
        #: failed logins allowed per (login name, address) and per address, e.g. "5 per 15 minutes"; unset: the
        #: defaults of mo_app/security.py
        self.LOGIN_LIMIT_PER_LOGIN = os.environ.get("LOGIN_LIMIT_PER_LOGIN") or None
        self.LOGIN_LIMIT_PER_ADDRESS = os.environ.get("LOGIN_LIMIT_PER_ADDRESS") or None

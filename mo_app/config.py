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
        self.SESSION_COOKIE_HTTPONLY = True
        self.SESSION_COOKIE_SAMESITE = "Lax"
        self.REMEMBER_COOKIE_HTTPONLY = True
        self.REMEMBER_COOKIE_SAMESITE = "Lax"
        secure = os.environ.get("SESSION_COOKIE_SECURE", "").lower() in ("1", "true", "yes")
        self.SESSION_COOKIE_SECURE = secure
        self.REMEMBER_COOKIE_SECURE = secure
        self.RATELIMIT_STORAGE_URI = os.environ.get("RATELIMIT_STORAGE_URI", "memory://")
        self.RATELIMIT_ENABLED = os.environ.get("RATELIMIT_ENABLED", "1") not in ("0", "false")
        self.ASSOCIATION_NAME = os.environ.get(
            "ASSOCIATION_NAME",
            "Методическое объединение библиотечных работников образовательных учреждений",
        )

"""Settings from environment variables (DESIGN §5); create_app(config) may override any key."""

from __future__ import annotations

import contextlib
import os
import secrets
from datetime import timedelta
from pathlib import Path


def database_url(url: str | None, instance_path: str) -> str:
    """The SQLAlchemy URL: SQLite in the instance folder by default; psycopg 3 for PostgreSQL."""
    if not url:
        return "sqlite:///" + str(Path(instance_path) / "deliberation.db")
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


def prepare_database_folder(url: str) -> None:
    """Create the folder of a SQLite database file (the default one lives in the instance folder)."""
    if url.startswith("sqlite:///") and (path := url.removeprefix("sqlite:///").split("?")[0]) not in ("", ":memory:"):
        Path(path).parent.mkdir(parents=True, exist_ok=True)


def secret_key(instance_path: str, name: str = "SECRET_KEY") -> str:
    """A key from the environment (SECRET_KEY, AUDIT_KEY), else one generated once into the instance
    folder (`secret_key`, `audit_key`). Several hosts share one through the environment."""
    if key := os.environ.get(name):
        return key
    path = Path(instance_path) / name.lower()
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        # Written whole under another name, then linked: a process starting at the same moment reads the
        # key once it is complete, and only the first of them makes it.
        draft = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
        fd = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(secrets.token_urlsafe(48))
        with contextlib.suppress(FileExistsError):
            os.link(draft, path)
        draft.unlink()
    return path.read_text().strip()


OPTIONAL_SETTINGS = (
    "COMMENT_RATE_LIMIT",  # "10 per minute"
    "BALLOT_RATE_LIMIT",  # "30 per minute"
    "BOOKING_RATE_LIMIT",  # "30 per hour"
    "SURVEY_SAVE_RATE_LIMIT",  # "120 per minute"
    "MAIL_FROM",  # the sender of notification e-mails; else ?from= in SMTP_URL, else noreply@<host>
    "UPLOAD_FOLDER",  # pictures; one shared folder for several hosts (default instance/uploads)
    "SMS_URL",  # console (default) | file:[path] | http(s)://provider/… (jobs/sms.py); its key in SMS_KEY
)


def from_environment(instance_path: str) -> dict:
    env = os.environ.get
    redis_url = env("REDIS_URL") or None
    scheme = env("PREFERRED_URL_SCHEME", "http")
    # Cookies marked Secure when the site is served over HTTPS (or when told so explicitly).
    secure = env("SESSION_COOKIE_SECURE", "1" if scheme == "https" else "0") == "1"
    idle = timedelta(hours=int(env("SESSION_IDLE_HOURS", str(7 * 24))))
    absolute = timedelta(hours=int(env("SESSION_ABSOLUTE_HOURS", str(30 * 24))))
    # Read only when set; otherwise the code's own defaults apply (limits.py, pictures.py, jobs/).
    optional = {key: env(key) for key in OPTIONAL_SETTINGS if env(key)}
    return optional | {
        "SECRET_KEY": secret_key(instance_path),
        # The audit chain's MACs (audit.py): outside the database, so its rows cannot be recomputed.
        "AUDIT_KEY": secret_key(instance_path, "AUDIT_KEY"),
        # Each chain's last anchored head, kept outside the database too (audit.anchor).
        "AUDIT_ANCHOR_FILE": env("AUDIT_ANCHOR_FILE") or str(Path(instance_path) / "audit-anchor.json"),
        "SQLALCHEMY_DATABASE_URI": database_url(env("DATABASE_URL"), instance_path),
        # Pooled connections are tested before use only after sitting idle (db.ping_when_idle), not at every
        # checkout as pool_pre_ping would: that is a round trip in every request.
        "DB_PING_AFTER_IDLE_S": float(env("DB_PING_AFTER_IDLE_S", "10")),
        "REDIS_URL": redis_url,
        "SMTP_URL": env("SMTP_URL") or None,
        # The address residents open the site at (https://yishi.example.org): links in e-mail and SMS
        # (jobs.deliver.absolute), also those the scheduler and the worker write outside any request.
        "SITE_URL": (env("SITE_URL") or "").rstrip("/") or None,
        # Counters shared by every process: Redis, or a file of the instance folder (limit_store.py).
        "RATELIMIT_STORAGE_URI": redis_url or f"sqlitefile://{Path(instance_path).resolve() / 'limits.sqlite'}",
        "RATELIMIT_HEADERS_ENABLED": True,
        "PROXY_FIX_HOPS": int(env("PROXY_FIX_HOPS", "0")),
        "BOOKING_HORIZON_DAYS": int(env("BOOKING_HORIZON_DAYS", "90")),
        # How many owners' written authorisations (委托) one person may hold per vote (voting.proxies).
        "PROXY_LIMIT": int(env("PROXY_LIMIT", "3")),
        "MAX_CONTENT_LENGTH": 12 * 1024 * 1024,
        "PREFERRED_URL_SCHEME": scheme,
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": secure,
        # Over HTTPS the __Host- prefix pins the cookies to this host, Secure, path / (ASVS 3.3.1, 3.3.3).
        "SESSION_COOKIE_NAME": "__Host-session" if secure else "session",
        "REMEMBER_COOKIE_NAME": "__Host-remember_token" if secure else "remember_token",
        "REMEMBER_COOKIE_HTTPONLY": True,
        "REMEMBER_COOKIE_SAMESITE": "Lax",
        "REMEMBER_COOKIE_SECURE": secure,
        # A signed-in session ends after SESSION_IDLE_TIMEOUT without a request, and in any case
        # SESSION_ABSOLUTE_LIFETIME after the password was typed (accounts.sessions.enforce_lifetimes).
        "SESSION_IDLE_TIMEOUT": idle,
        "SESSION_ABSOLUTE_LIFETIME": absolute,
        "REMEMBER_COOKIE_DURATION": absolute,
        "PERMANENT_SESSION_LIFETIME": absolute,
        # Rate limits (Flask-Limiter syntax), per client address and per account or invite code.
        "LOGIN_RATE_LIMIT": env("LOGIN_RATE_LIMIT", "20 per minute"),
        "LOGIN_ACCOUNT_RATE_LIMIT": env("LOGIN_ACCOUNT_RATE_LIMIT", "10 per 10 minutes"),
        "INVITE_RATE_LIMIT": env("INVITE_RATE_LIMIT", "10 per minute"),
        "INVITE_CODE_RATE_LIMIT": env("INVITE_CODE_RATE_LIMIT", "5 per 10 minutes"),
        "BABEL_DEFAULT_LOCALE": "zh_Hans",
        "BABEL_DEFAULT_TIMEZONE": "Asia/Shanghai",
        "BABEL_TRANSLATION_DIRECTORIES": str(Path(__file__).resolve().parent.parent / "translations"),
        "LANGUAGES": ("zh_Hans", "en"),
        "INVITE_LIFETIME": timedelta(days=30),
        "API_TOKEN_LIFETIME": timedelta(days=30),
        "WTF_CSRF_TIME_LIMIT": None,
        # flask-smorest / OpenAPI
        "API_TITLE": "deliberation",
        "API_VERSION": "v1",
        "OPENAPI_VERSION": "3.0.3",
        "OPENAPI_URL_PREFIX": "/api/v1",
        "OPENAPI_JSON_PATH": "openapi.json",
    }

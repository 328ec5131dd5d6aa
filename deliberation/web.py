"""Wiring for the application factory: extensions, request hooks, error handlers, blueprints, commands.

It imports every part of the app; nothing in the package imports it (create_app aside).
"""

from __future__ import annotations

import logging
from pathlib import Path

import click
from flask import Flask, current_app, g, has_request_context, request, session
from flask_babel import get_locale
from flask_login import current_user
from werkzeug.exceptions import HTTPException
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.routing import IntegerConverter

from deliberation import formatting, http_errors, inputs
from deliberation.api.short_way import OrdinaryBallots
from deliberation.db import configure_postgresql, configure_sqlite, end_reading, ping_when_idle, write_intent
from deliberation.errors import DomainError
from deliberation.extensions import babel, cache, csrf, db, limiter, login_manager

logger = logging.getLogger(__name__)

READ_ONLY_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})

CONTENT_SECURITY_POLICY = "; ".join([
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data: blob:",
    "font-src 'self'",
    "connect-src 'self'",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
])


class IdConverter(IntegerConverter):
    """`<int:…>` in URLs: ids fit the database's integer column, so a huge number is a 404, not a 500."""

    def __init__(self, map, *args, **kwargs):  # noqa: A002 -- werkzeug's signature
        kwargs.setdefault("max", 2**31 - 1)
        super().__init__(map, *args, **kwargs)


def migrations(app: Flask | None = None):
    """Flask-Migrate bound to the app (the current one by default), set up on first use.

    It loads Alembic, about 12 MB that the `flask db` commands, the tests and the benchmark need and
    a web worker never does; so `create_app` loads it only for the `flask` command line.
    """
    app = app or current_app._get_current_object()
    if "migrate" not in app.extensions:
        from flask_migrate import Migrate

        Migrate(app, db, directory=str(Path(app.root_path).parent / "migrations"), render_as_batch=True)
    return app.extensions["migrate"]


def cache_settings(config) -> dict:
    """Flask-Caching's settings: Redis where REDIS_URL is set (one copy for every process and host), else a
    bounded store in each process; CACHE_* settings given explicitly win."""
    given = {key: value for key, value in config.items() if key.startswith("CACHE_")}
    if config.get("REDIS_URL"):
        defaults = {"CACHE_TYPE": "RedisCache", "CACHE_REDIS_URL": config["REDIS_URL"],
                    "CACHE_KEY_PREFIX": "deliberation:"}
    else:
        # A page of comments is some 40 KB: a hundred of them stay well inside a worker's memory budget.
        defaults = {"CACHE_TYPE": "SimpleCache", "CACHE_THRESHOLD": 100}
    return {**defaults, "CACHE_DEFAULT_TIMEOUT": 600, **given}


def init_app(app: Flask) -> None:
    from deliberation.accounts import passwords, sessions

    app.url_map.converters["int"] = IdConverter

    # Ordinary new ballots are answered below Flask (api.short_way); ProxyFix, outside it, serves both.
    app.wsgi_app = OrdinaryBallots(app, app.wsgi_app, lambda secure: (*security_headers(secure), NO_STORE))
    if app.config.get("PROXY_FIX_HOPS"):
        hops = app.config["PROXY_FIX_HOPS"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)
    passwords.use_fast_hashing(app.config.get("PASSWORD_HASHING") == "fast")

    db.init_app(app)
    if click.get_current_context(silent=True) is not None:
        migrations(app)  # the `flask` command line is loading the app: offer `flask db …`
    csrf.init_app(app)
    limiter.init_app(app)
    cache.init_app(app, config=cache_settings(app.config))
    babel.init_app(app, locale_selector=select_locale)
    login_manager.init_app(app)
    login_manager.login_view = "accounts.login"
    login_manager.login_message = None
    # "basic" marks a session not fresh when the address changes; "strong" would sign out a
    # resident whose phone moves between Wi-Fi and mobile data.
    login_manager.session_protection = "basic"
    login_manager.user_loader(load_user)

    with app.app_context():
        ping_when_idle(db.engine, app.config["DB_PING_AFTER_IDLE_S"])
        if db.engine.dialect.name == "sqlite":
            configure_sqlite(db.engine)
        elif db.engine.dialect.name == "postgresql":
            configure_postgresql(db.engine)

    app.before_request(_before_request)
    app.before_request(sessions.enforce_lifetimes)
    app.before_request(inputs.check_request)
    app.after_request(_security_headers)
    app.after_request(_audit_refusal)
    app.teardown_request(_reset_write_intent)
    app.teardown_request(_end_reading)
    app.context_processor(_template_context)
    app.register_error_handler(HTTPException, http_errors.http_error)
    app.register_error_handler(DomainError, http_errors.domain_error)
    app.register_error_handler(Exception, http_errors.unexpected_error)
    app.jinja_env.filters["datetime"] = formatting.format_datetime
    app.jinja_env.filters["date"] = formatting.format_date

    from deliberation import cli
    from deliberation.accounts.routes import bp as accounts_bp
    from deliberation.api import init_api
    from deliberation.booking.routes import bp as booking_bp
    from deliberation.consultations.routes import bp as consultations_bp
    from deliberation.counter.routes import bp as counter_bp
    from deliberation.home.routes import bp as home_bp
    from deliberation.jobs.routes import bp as jobs_bp
    from deliberation.minutes.routes import bp as minutes_bp
    from deliberation.surveys.routes import bp as surveys_bp
    from deliberation.voting import (
        notice_pages,  # noqa: F401  (importing it adds its pages to the blueprint)
        proxy_pages,  # noqa: F401  (importing it adds its pages to voting_bp)
        roll_pages,  # noqa: F401  (the posted roll's pages, on the voting blueprint)
    )
    from deliberation.voting.announcement_pages import bp as announcement_bp
    from deliberation.voting.routes import bp as voting_bp

    for blueprint in (home_bp, accounts_bp, consultations_bp, voting_bp, announcement_bp, surveys_bp, minutes_bp, booking_bp,
                      counter_bp, jobs_bp):
        app.register_blueprint(blueprint)
    init_api(app)
    cli.init_app(app)


def load_user(sign_in_key: str):
    from deliberation.accounts import sessions

    return sessions.user_for_key(sign_in_key)


def select_locale() -> str:
    languages = ("zh_Hans", "en")
    if not has_request_context():
        return "zh_Hans"
    if request.path.startswith("/api/") and request.headers.get("Accept-Language"):
        # A program says which language it reads; pages keep the reader's own choice (Chinese first).
        best = request.accept_languages.best_match(("zh-Hans", "zh", "en"), default="zh")
        return "en" if best == "en" else "zh_Hans"
    if current_user and current_user.is_authenticated and current_user.locale in languages:
        return current_user.locale
    if session.get("lang") in languages:
        return session["lang"]
    return "zh_Hans"


def care_mode() -> bool:
    if not has_request_context():
        return False  # documents rendered by a command (minutes export) have no reader
    if current_user and current_user.is_authenticated:
        return current_user.care_mode
    return bool(session.get("care"))


def _before_request():
    g.write_intent_token = write_intent.set(request.method not in READ_ONLY_METHODS)


def _audit_refusal(response):
    """A signed-in user refused an object (403/404 on a matched route) leaves an audit event."""
    if response.status_code not in (403, 404) or not request.view_args or request.endpoint in (None, "static"):
        return response
    user = g.get("api_user") if request.path.startswith("/api/") else current_user
    if user is None or not user.is_authenticated:
        return response
    from deliberation import audit

    # Only ids: a path may also carry a token (calendar feed links), which must not reach the log.
    ids = {k: v for k, v in request.view_args.items() if isinstance(v, int)}
    token = write_intent.set(True)  # a refused GET records too
    try:
        audit.record_apart(db.session, user, "access.refused", community_id=ids.get("community_id"),
                           endpoint=request.endpoint, method=request.method, status=response.status_code, ids=ids)
    except Exception:  # the answer goes out even when the log cannot be written
        db.session.rollback()
        logger.exception("could not record a refused access")
    finally:
        write_intent.reset(token)
    return response


def _end_reading(exc):
    """A request that only read ends its transaction with COMMIT on PostgreSQL (db.end_reading); one that
    raised is rolled back when its session is removed."""
    if exc is None:
        end_reading(db.session)


def _reset_write_intent(exc):
    token = g.pop("write_intent_token", None)
    if token is not None:
        write_intent.reset(token)


SECURITY_HEADERS = (("Content-Security-Policy", CONTENT_SECURITY_POLICY), ("X-Content-Type-Options", "nosniff"),
                    ("Referrer-Policy", "same-origin"), ("X-Frame-Options", "DENY"),
                    ("Cross-Origin-Opener-Policy", "same-origin"))
HSTS = ("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
NO_STORE = ("Cache-Control", "no-store")  # every answer but static files


def security_headers(is_secure: bool) -> tuple[tuple[str, str], ...]:
    """The headers every answer carries (HSTS over HTTPS), but Cache-Control: also those the ordinary ballot
    gives below Flask (api.short_way)."""
    return (*SECURITY_HEADERS, HSTS) if is_secure else SECURITY_HEADERS


def _security_headers(response):
    for name, value in security_headers(request.is_secure):
        response.headers.setdefault(name, value)
    if request.endpoint != "static" and "Cache-Control" not in response.headers:
        response.headers[NO_STORE[0]] = NO_STORE[1]
    return response


def _template_context():
    locale = str(get_locale() or "zh_Hans")
    return {
        "care_mode": care_mode(),
        "html_lang": "zh-Hans" if locale.startswith("zh") else locale,
        "current_locale": locale,
        **formatting.template_gettext(),
    }

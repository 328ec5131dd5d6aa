"""Sessions, CSRF, state changes only by POST, security headers, error pages (ASVS V3, V7, V13)."""

from __future__ import annotations

import re
import time
from pathlib import Path

import pytest

from deliberation import create_app
from deliberation.extensions import db
from tests.conftest import PASSWORD, base_config

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def resident(make_user, community):
    return make_user("resident1", community)


def _set_cookies(response) -> list[str]:
    return response.headers.getlist("Set-Cookie")


def _cookie(client, name: str):
    return client.get_cookie(name)


# -- cookies -----------------------------------------------------------------------------------

def test_session_and_remember_cookies_are_httponly_and_samesite_lax(client, resident):
    response = client.post("/login", data={"username": "resident1", "password": PASSWORD, "remember": "y"})
    assert response.status_code == 302
    cookies = {c.split("=", 1)[0]: c for c in _set_cookies(response)}
    for name in ("session", "remember_token"):
        assert "HttpOnly" in cookies[name], cookies[name]
        assert "SameSite=Lax" in cookies[name], cookies[name]
        assert "Secure" not in cookies[name]  # plain HTTP in this test


def test_cookies_are_secure_when_the_site_is_served_over_https(monkeypatch, tmp_path):
    from deliberation.config import from_environment

    monkeypatch.setenv("SECRET_KEY", "x")
    monkeypatch.setenv("PREFERRED_URL_SCHEME", "https")
    monkeypatch.delenv("SESSION_COOKIE_SECURE", raising=False)
    settings = from_environment(str(tmp_path))
    assert settings["SESSION_COOKIE_SECURE"] and settings["REMEMBER_COOKIE_SECURE"]
    assert settings["SESSION_COOKIE_NAME"] == "__Host-session"
    assert settings["REMEMBER_COOKIE_NAME"] == "__Host-remember_token"
    monkeypatch.setenv("PREFERRED_URL_SCHEME", "http")
    assert not from_environment(str(tmp_path))["SESSION_COOKIE_SECURE"]
    monkeypatch.setenv("SESSION_COOKIE_SECURE", "1")  # e.g. behind a proxy that ends TLS
    assert from_environment(str(tmp_path))["SESSION_COOKIE_SECURE"]


@pytest.mark.parametrize("config_overrides", [{
    "SESSION_COOKIE_SECURE": True, "REMEMBER_COOKIE_SECURE": True, "SESSION_COOKIE_NAME": "__Host-session",
    "REMEMBER_COOKIE_NAME": "__Host-remember_token", "SERVER_NAME": None}])
def test_over_https_the_cookies_are_secure_host_only_and_hsts_is_sent(client, resident, config_overrides):
    response = client.post("/login", data={"username": "resident1", "password": PASSWORD, "remember": "y"},
                           base_url="https://localhost")
    cookies = {c.split("=", 1)[0]: c for c in _set_cookies(response)}
    for name in ("__Host-session", "__Host-remember_token"):
        assert "Secure" in cookies[name] and "Path=/" in cookies[name]
        assert "Domain=" not in cookies[name]  # a __Host- cookie is refused by browsers with a Domain
    assert response.headers["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains"
    assert client.get("/account", base_url="https://localhost").status_code == 200


# -- session lifetime --------------------------------------------------------------------------

def test_login_starts_a_fresh_session(client, resident):
    with client.session_transaction() as s:
        s["planted"] = "by an attacker"
        s["lang"] = "en"
    client.post("/login", data={"username": "resident1", "password": PASSWORD})
    with client.session_transaction() as s:
        assert "planted" not in s
        assert s["lang"] == "en"  # the display choice survives
        assert s["signed_in_at"] <= time.time()


def _signed_in(client) -> bool:
    return client.get("/account").status_code == 200


@pytest.mark.parametrize(("key", "age_hours", "still_in"), [
    ("seen_at", 24, True),                 # used yesterday: still signed in
    ("seen_at", 7 * 24 + 1, False),        # idle for more than a week
    ("signed_in_at", 29 * 24, True),
    ("signed_in_at", 30 * 24 + 1, False),  # password typed more than 30 days ago
])
def test_idle_and_absolute_lifetimes(client, resident, key, age_hours, still_in):
    client.post("/login", data={"username": "resident1", "password": PASSWORD, "remember": "y"})
    with client.session_transaction() as s:
        s[key] = int(time.time()) - age_hours * 3600
    assert _signed_in(client) is still_in
    if not still_in:
        assert client.get_cookie("remember_token") is None  # the remember cookie went too
        assert not _signed_in(client)


def test_logout_also_ends_the_remember_cookie(client, resident):
    client.post("/login", data={"username": "resident1", "password": PASSWORD, "remember": "y"})
    assert client.get_cookie("remember_token") is not None
    client.post("/logout")
    assert not _signed_in(client)


@pytest.mark.parametrize("how", ["logout_everywhere", "password_change"])
def test_an_old_cookie_stops_working_after_logout_everywhere_or_a_password_change(app, resident, how):
    client = app.test_client()
    client.post("/login", data={"username": "resident1", "password": PASSWORD, "remember": "y"})
    old_session = client.get_cookie("session").value
    old_remember = client.get_cookie("remember_token").value
    if how == "logout_everywhere":
        assert client.post("/account/logout-everywhere").status_code == 302
    else:
        response = client.post("/account", data={"old_password": PASSWORD, "new_password": "another secret 2",
                                                 "confirm": "another secret 2"})
        assert response.status_code == 302
        assert _signed_in(client)  # this browser carries on under the new token
    for name, value in (("session", old_session), ("remember_token", old_remember)):
        thief = app.test_client()
        thief.set_cookie(name, value, domain="localhost")
        response = thief.get("/account")
        assert response.status_code == 302 and "/login" in response.headers["Location"], name


def test_calendar_feed_links_are_signed_and_revoked_with_the_sessions(app, client, resident, session):
    from deliberation.booking import feeds

    token = feeds.feed_token(resident)
    assert client.get(f"/bookings/feed/{token}.ics").status_code == 200
    assert client.get(f"/bookings/feed/{token[:-2]}xx.ics").status_code == 404  # forged
    from deliberation.accounts.services import rotate_session_token

    rotate_session_token(session, resident, reason="test")
    session.commit()
    assert client.get(f"/bookings/feed/{token}.ics").status_code == 404  # revoked


# -- CSRF and methods --------------------------------------------------------------------------

def _html_rules(app, method):
    for rule in app.url_map.iter_rules():
        if method in rule.methods and not rule.rule.startswith("/api/") and rule.endpoint != "static":
            yield rule


def _build(rule, values) -> str:
    url = rule.rule
    for arg, value in values.items():
        url = re.sub(rf"<(?:[^<>]*:)?{arg}>", str(value), url)
    return url


@pytest.mark.parametrize("config_overrides", [{"WTF_CSRF_ENABLED": True}])
def test_every_state_changing_page_refuses_a_post_without_csrf_token(app, config_overrides, resident, make_user,
                                                                    community):
    make_user("admin", None, is_admin=True)
    anonymous, signed_in = app.test_client(), app.test_client()
    # Sign in with a token taken from the form, as a browser does.
    page = signed_in.get("/login").get_data(as_text=True)
    csrf = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page) or re.search(
        r'name="csrf_token" value="([^"]+)"', page)
    assert csrf, "the sign-in form carries a CSRF token"
    assert signed_in.post("/login", data={"username": "admin", "password": PASSWORD,
                                          "csrf_token": csrf.group(1)}).status_code == 302
    checked = []
    for method in ("POST", "PUT", "PATCH", "DELETE"):
        for rule in _html_rules(app, method):
            url = _build(rule, {arg: ("csv" if arg == "fmt" else 1) for arg in rule.arguments})
            for client in (anonymous, signed_in):
                response = client.open(url, method=method, data={"anything": "1"})
                assert response.status_code == 400, f"{method} {url} without a CSRF token → {response.status_code}"
            checked.append(url)
    assert len(checked) > 30
    assert _signed_in(signed_in)  # nothing above signed the administrator out


def test_the_api_ignores_session_cookies(client, login, resident, community):
    login("resident1")
    assert client.get("/api/v1/me").status_code == 401
    response = client.post(f"/api/v1/communities/{community.id}/ideas", json={"title": "t", "body": "b"})
    assert response.status_code == 401


def test_no_rule_changes_state_on_get(app):
    """Rules that accept POST/PUT/PATCH/DELETE but not GET answer a GET with 405."""
    client = app.test_client()
    checked = 0
    readable = {rule.rule for rule in app.url_map.iter_rules() if "GET" in rule.methods}
    for rule in app.url_map.iter_rules():
        if rule.rule in readable or rule.endpoint == "static":
            continue
        url = _build(rule, {arg: ("csv" if arg == "fmt" else 1) for arg in rule.arguments})
        response = client.get(url)
        assert response.status_code == 405, f"GET {url} → {response.status_code}"
        checked += 1
    assert checked > 40


# -- headers, error pages, sizes ---------------------------------------------------------------

@pytest.mark.parametrize("path", ["/", "/login", "/api/v1/openapi.json", "/no-such-page", "/api/v1/me"])
def test_security_headers_on_every_kind_of_answer(client, path):
    response = client.get(path)
    csp = response.headers["Content-Security-Policy"]
    directives = dict(d.strip().split(" ", 1) for d in csp.split(";"))
    assert directives["script-src"] == "'self'"
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
    assert directives["base-uri"] == "'none'"
    assert directives["frame-ancestors"] == "'none'"
    assert directives["object-src"] == "'none'"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] in ("same-origin", "no-referrer", "strict-origin-when-cross-origin")
    assert response.headers["X-Frame-Options"] == "DENY"
    assert "Strict-Transport-Security" not in response.headers  # plain HTTP here


def test_templates_have_no_inline_script_style_or_handlers():
    problems = []
    for path in sorted((ROOT / "templates").rglob("*.html")):
        text = path.read_text()
        for m in re.finditer(r"<script(?![^>]*\bsrc=)[^>]*>", text):
            problems.append(f"{path.relative_to(ROOT)}: inline script {m.group(0)}")
        for m in re.finditer(r"<[a-zA-Z][^>]*\s(on[a-z]+|style)\s*=", text):
            problems.append(f"{path.relative_to(ROOT)}: attribute {m.group(1)}=")
    assert not problems, "\n".join(problems)


def test_safe_filter_only_on_sanitised_html():
    """`|safe` (and Markup in Python) only on fields cleaned by consultations/markup.py or drawn by us."""
    # inline_css: the project's own stylesheet inlined into the minutes document for WeasyPrint.
    allowed = re.compile(r"(inline_css|_html|\.svg|svg|chart|qr|markup|rendered|body_html|answer_html|html)\b")
    problems = []
    for path in sorted((ROOT / "templates").rglob("*.html")):
        for m in re.finditer(r"\{\{\s*([^{}]*?)\|\s*safe\s*\}\}", path.read_text()):
            if not allowed.search(m.group(1)):
                problems.append(f"{path.relative_to(ROOT)}: {m.group(0)}")
    assert not problems, "\n".join(problems)


def test_autoescaping_is_on(app):
    assert app.jinja_env.autoescape("page.html")
    assert app.jinja_env.from_string("{{ x }}").render(x="<script>") == "&lt;script&gt;"


def test_debug_is_off_and_errors_show_a_generic_page(database_uri, monkeypatch):
    monkeypatch.delenv("FLASK_DEBUG", raising=False)
    app = create_app(base_config(database_uri, TESTING=False))
    assert app.debug is False

    @app.get("/boom")
    def boom():
        raise RuntimeError("secret detail of the failure /etc/passwd")

    for path in ("/boom", "/api/v1/boom-does-not-exist"):
        response = app.test_client().get(path)
        assert response.status_code in (404, 500)
        text = response.get_data(as_text=True)
        assert "secret detail" not in text and "Traceback" not in text and "werkzeug" not in text.lower()
    response = app.test_client().get("/boom")
    with app.app_context():
        db.engine.dispose()  # close its connections now, not whenever the app is collected
    assert response.status_code == 500
    assert "服务器内部错误" in response.get_data(as_text=True)


def test_request_size_is_limited(app, client):
    assert app.config["MAX_CONTENT_LENGTH"] <= 16 * 1024 * 1024
    body = b"x" * (app.config["MAX_CONTENT_LENGTH"] + 1)
    response = client.post("/login", data=body, content_type="application/octet-stream")
    assert response.status_code == 413
    response = client.post("/api/v1/auth/token", data=body, content_type="application/json")
    assert response.status_code == 413
    assert response.get_json()["error"]["code"] == "too_large"

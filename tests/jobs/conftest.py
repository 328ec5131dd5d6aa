"""A provider's SMS API stood in for by a local HTTP server (the one outside paid service in the tests)."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest


class SmsProvider(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.received: list[dict] = []
        self.authorizations: list[str | None] = []
        self.status = 200
        self.lock = threading.Lock()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/send"


class _Handler(BaseHTTPRequestHandler):
    def do_POST(self) -> None:  # noqa: N802 (http.server's name)
        server: SmsProvider = self.server  # type: ignore[assignment]
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        with server.lock:
            if server.status == 200:
                server.received.append(json.loads(body))
            server.authorizations.append(self.headers.get("Authorization"))
        self.send_response(server.status)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(b'{"ok": true}' if server.status == 200 else b'{"error": "busy"}')

    def log_message(self, *args) -> None:
        pass


@pytest.fixture
def sms_provider(app):
    server = SmsProvider()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    app.config["SMS_URL"] = server.url
    yield server
    for sender in [t for t in threading.enumerate() if t.name == "deliveries"]:
        sender.join(timeout=20)
    server.shutdown()
    server.server_close()
    thread.join(timeout=5)


@pytest.fixture
def texting(session, make_user, community):
    """A resident who chose SMS (the roster gives every test resident the phone 13800138000)."""
    user = make_user("wangayi", community)
    user.notify_sms = True
    session.commit()
    return user

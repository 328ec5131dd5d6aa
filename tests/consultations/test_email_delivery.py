"""E-mail of notifications without Redis: queued with the notification, sent after the response (in
the web process) to a real socket; retried with growing waits; `flask outbox send` sends what is left."""

from __future__ import annotations

import base64
import socketserver
import threading
import time
from datetime import timedelta
from email import message_from_bytes
from email.policy import default as default_policy

import pytest
from sqlalchemy import select

from deliberation.consultations import comments
from deliberation.consultations.commands import outbox_group
from deliberation.consultations.models import Comment
from deliberation.jobs import deliver, mail
from deliberation.jobs.models import Channel, Delivery, DeliveryStatus

# How long the fake mail server holds a message before answering it, at most.
HOLD_AT_MOST = 60


class _Handler(socketserver.StreamRequestHandler):
    """Just enough SMTP (RFC 5321) for smtplib: EHLO, AUTH PLAIN, MAIL, RCPT, DATA, RSET, QUIT."""

    def reply(self, text: str) -> None:
        self.wfile.write(text.encode() + b"\r\n")

    def handle(self) -> None:
        server: FakeSMTP = self.server  # type: ignore[assignment]
        self.reply("220 fake.smtp ESMTP")
        sender, recipients = None, []
        while line := self.rfile.readline():
            command = line.decode().rstrip("\r\n")
            verb = command.split(" ", 1)[0].upper()
            if verb in ("EHLO", "HELO"):
                self.reply("250-fake.smtp\r\n250-AUTH PLAIN\r\n250 8BITMIME")
            elif verb == "AUTH":
                _zid, user, password = base64.b64decode(command.split()[2]).split(b"\0")
                server.logins.append((user.decode(), password.decode()))
                self.reply("235 2.7.0 Authentication successful")
            elif verb == "MAIL":
                sender, recipients = command.split(":", 1)[1].split()[0].strip("<>"), []
                self.reply("250 OK")
            elif verb == "RCPT":
                address = command.split(":", 1)[1].strip().strip("<>")
                if address in server.refuse:
                    self.reply("550 5.1.1 No such user")
                else:
                    recipients.append(address)
                    self.reply("250 OK")
            elif verb == "DATA":
                self.reply("354 End data with <CR><LF>.<CR><LF>")
                data = b""
                while (chunk := self.rfile.readline()) not in (b".\r\n", b""):
                    data += chunk
                server.release.wait(timeout=HOLD_AT_MOST)
                server.messages.append((sender, recipients, message_from_bytes(data, policy=default_policy)))
                self.reply("250 OK queued")
            elif verb == "RSET":
                sender, recipients = None, []
                self.reply("250 OK")
            elif verb == "NOOP":
                self.reply("250 OK")
            elif verb == "QUIT":
                self.reply("221 Bye")
                return
            else:
                self.reply("502 Command not implemented")


class FakeSMTP(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.messages: list = []
        self.logins: list = []
        self.refuse: set[str] = set()
        self.release = threading.Event()  # cleared: the server holds each message until it is set
        self.release.set()

    @property
    def url(self) -> str:
        return f"smtp://yishi:s3cret%21@127.0.0.1:{self.server_address[1]}"


@pytest.fixture
def smtp(app):
    server = FakeSMTP()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    app.config["SMTP_URL"] = server.url
    app.config["MAIL_FROM"] = "yishi@example.org"
    yield server
    server.release.set()
    for sender in [t for t in threading.enumerate() if t.name == "deliveries"]:
        sender.join(timeout=20)  # no sender may outlive the test (it would hold the database)
    server.shutdown()
    server.server_close()


def _wait_for(condition, seconds: float = 15) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return False


def _rows(app):
    """Read the outbox in a context of its own: what another process would see."""
    from deliberation.extensions import db

    db.session.rollback()  # SQLite: the test's own session must not hold the write lock meanwhile
    with app.app_context():
        try:
            return db.session.execute(select(Delivery).order_by(Delivery.id)).scalars().all()
        finally:
            db.session.expunge_all()
            db.session.remove()


@pytest.fixture
def question(session, consultation, round_, resident):
    resident.email = "wangayi@example.org"
    comment = comments.post_comment(session, resident, consultation, "这次升级真的有必要吗？")
    session.commit()
    return comment


def test_an_official_answer_is_emailed_after_the_response(app, client, login, session, smtp, question,
                                                          consultation):
    login("shuji")
    response = client.post(
        f"/comments/{question.id}/replies", data={"body": "有必要：没有无障碍设施。", "official": "y"}
    )
    assert response.status_code == 302
    session.rollback()  # as the request's teardown does in production (SQLite: release the write lock)
    response.close()  # the server closes the response once sent: the sender starts now
    assert _wait_for(lambda: len(smtp.messages) == 1)
    sender, recipients, message = smtp.messages[0]
    assert sender == "yishi@example.org" and recipients == ["wangayi@example.org"]
    assert "收到了正式答复" in message["Subject"]
    assert f"/consultations/{consultation.id}#comment-" in message.get_content()
    assert message.get_content().count("http://localhost/consultations/") == 1  # an absolute link
    assert smtp.logins == [("yishi", "s3cret!")]
    assert _wait_for(lambda: all(r.sent_at is not None for r in _rows(app)))
    (row,) = _rows(app)
    assert row.attempts == 1 and row.address == "wangayi@example.org" and row.last_error == ""
    assert (row.channel, row.status) == (Channel.EMAIL, DeliveryStatus.SENT)


def test_a_slow_mail_server_does_not_slow_the_page(app, client, login, session, smtp, question):
    """The mail server holds the message until the page has been answered: a page that waited for
    it would come back only when the hold ran out, with the message delivered (the client's
    timeout is longer than the hold), and fail here; no stopwatch on a busy machine decides."""
    app.config["SMTP_URL"] = f"{smtp.url}?timeout={2 * HOLD_AT_MOST}"
    smtp.release.clear()
    login("shuji")
    response = client.post(f"/comments/{question.id}/replies", data={"body": "答复", "official": "y"})
    session.rollback()
    response.close()
    assert response.status_code == 302
    assert smtp.messages == []  # answered while the mail server still holds the message
    assert _rows(app)[0].sent_at is None
    smtp.release.set()
    assert _wait_for(lambda: _rows(app)[0].sent_at is not None)
    assert len(smtp.messages) == 1


def test_the_email_is_queued_in_the_same_transaction_as_the_notification(
    app, session, smtp, question, secretary
):
    app.config["DELIVER_AFTER_COMMIT"] = False
    comments.post_comment(session, secretary, question.consultation, "答", parent_id=question.id,
                          official_answer=True)
    assert session.execute(select(Delivery.address)).scalars().all() == ["wangayi@example.org"]
    session.rollback()  # the answer fails to save: neither the notification nor the e-mail remains
    assert session.execute(select(Delivery)).first() is None
    assert session.execute(select(Comment).where(Comment.is_official_answer)).first() is None


def test_users_without_an_address_and_sites_without_smtp_get_no_email(
    app, session, smtp, consultation, round_, resident, neighbour, secretary
):
    app.config["DELIVER_AFTER_COMMIT"] = False
    comment = comments.post_comment(session, neighbour, consultation, "没有邮箱的居民")
    comments.post_comment(session, secretary, consultation, "答", parent_id=comment.id, official_answer=True)
    assert session.execute(select(Delivery)).first() is None
    resident.email = "wangayi@example.org"
    app.config["SMTP_URL"] = None
    mine = comments.post_comment(session, resident, consultation, "有邮箱，但没有设置邮件服务器")
    comments.post_comment(session, secretary, consultation, "答", parent_id=mine.id, official_answer=True)
    assert session.execute(select(Delivery)).first() is None


def test_a_refused_message_is_retried_with_growing_waits_then_marked_failed(app, session, smtp, question,
                                                                            secretary):
    app.config["DELIVER_AFTER_COMMIT"] = False
    smtp.refuse.add("wangayi@example.org")
    comments.post_comment(session, secretary, question.consultation, "答", parent_id=question.id,
                          official_answer=True)
    session.commit()
    (row,) = _rows(app)
    now = row.due_at
    for attempt in range(1, deliver.MAX_ATTEMPTS + 1):
        outcome, wait = deliver.send_one(session, row.id, now)
        (row,) = _rows(app)
        assert row.attempts == attempt and "550" in row.last_error and row.sent_at is None
        if attempt < deliver.MAX_ATTEMPTS:
            assert (outcome, wait) == (deliver.Outcome.RETRY, deliver.backoff(attempt))
            assert row.status == DeliveryStatus.PENDING and row.due_at == now + wait
            # not due before its wait is over
            assert deliver.send_one(session, row.id, now + wait - timedelta(seconds=1))[0] == deliver.Outcome.SKIPPED
            now += wait
        else:
            assert (outcome, row.status) == (deliver.Outcome.FAILED, DeliveryStatus.FAILED)
    assert deliver.send_one(session, row.id, now + timedelta(days=1))[0] == deliver.Outcome.SKIPPED  # given up
    assert smtp.messages == []


@pytest.mark.parametrize(("attempts", "seconds"), [(1, 60), (2, 120), (3, 240), (4, 480)])
def test_the_wait_doubles_after_each_failed_attempt(attempts, seconds):
    assert deliver.backoff(attempts) == timedelta(seconds=seconds)


def test_the_outbox_send_command_sends_what_is_left(app, session, smtp, question, secretary):
    app.config["DELIVER_AFTER_COMMIT"] = False  # e.g. the process was restarted before sending
    comments.post_comment(session, secretary, question.consultation, "答", parent_id=question.id,
                          official_answer=True)
    session.commit()
    session.close()
    result = app.test_cli_runner().invoke(outbox_group, ["send"])
    assert result.exit_code == 0, result.output
    assert "已发送 1 条" in result.output
    assert len(smtp.messages) == 1
    again = app.test_cli_runner().invoke(outbox_group, ["send"])
    assert "已发送 0 条" in again.output  # sent once only


def test_smtp_url_settings():
    plain = mail.settings("smtp://mail.example.org")
    assert (plain.host, plain.port, plain.username, plain.ssl, plain.starttls) == (
        "mail.example.org", 25, None, False, False)
    assert plain.sender == "noreply@mail.example.org"
    tls = mail.settings("smtp://me%40example.org:p%3Ass@mail.example.org:587?starttls=1&from=a@b.cn")
    assert (tls.port, tls.username, tls.password, tls.starttls, tls.sender) == (
        587, "me@example.org", "p:ss", True, "a@b.cn")
    assert mail.settings("smtps://mail.example.org").port == 465
    with pytest.raises(ValueError):
        mail.settings("http://mail.example.org")

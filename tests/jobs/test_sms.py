"""The SMS gateway's backends: console, a file, and a provider's HTTP API (a local server here)."""

from __future__ import annotations

import json

import pytest

from deliberation.jobs import sms


def test_the_http_backend_posts_the_number_and_text_with_the_key(app, sms_provider, monkeypatch):
    monkeypatch.setenv("SMS_KEY", "k-123")
    sms.send(sms_provider.url, "13800138000", "【议事平台】投票明天截止")
    assert sms_provider.received == [{"to": "13800138000", "text": "【议事平台】投票明天截止"}]
    assert sms_provider.authorizations == ["Bearer k-123"]


def test_without_a_key_no_authorization_is_sent(app, sms_provider, monkeypatch):
    monkeypatch.delenv("SMS_KEY", raising=False)
    sms.send(sms_provider.url, "13800138000", "hi")
    assert sms_provider.authorizations == [None]


@pytest.mark.parametrize("status", [500, 429, 404])
def test_an_answer_other_than_2xx_is_a_failure(app, sms_provider, status):
    sms_provider.status = status
    with pytest.raises(sms.SmsError, match=f"HTTP {status}"):
        sms.send(sms_provider.url, "13800138000", "hi")
    assert sms_provider.received == []


def test_a_provider_that_cannot_be_reached_is_a_failure():
    with pytest.raises(sms.SmsError):
        sms.send("http://127.0.0.1:9/send", "13800138000", "hi", timeout=2)


def test_the_file_backend_appends_one_line_per_message(tmp_path):
    path = tmp_path / "sms.log"
    sms.send(f"file:{path}", "13800138000", "第一条")
    sms.send("file:", "13900139000", "第二条", instance_path=str(tmp_path))
    assert [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()] == [
        {"to": "13800138000", "text": "第一条"}, {"to": "13900139000", "text": "第二条"}]


def test_the_console_backend_is_the_default_and_writes_no_file(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    sms.send(None, "13800138000", "你好", instance_path=str(tmp_path))
    sms.send("console", "13800138000", "你好", instance_path=str(tmp_path))
    assert list(tmp_path.iterdir()) == []


def test_an_unknown_backend_is_refused():
    with pytest.raises(sms.SmsError):
        sms.send("carrier-pigeon://x", "13800138000", "hi")

"""SMS gateway: `send(phone, text)` through the backend SMS_URL names.

- unset or ``console``: a log line (the embedded default: nothing leaves the machine);
- ``file:`` or ``file:/path``: one JSON line per message appended to a file (default
  ``<instance>/sms.log``), for a pilot that reads the messages by hand;
- ``http://…`` or ``https://…``: a provider's SMS API: POST ``{"to": phone, "text": text}`` as JSON,
  with ``Authorization: Bearer <SMS_KEY>`` when the SMS_KEY environment variable is set. Any answer
  but 2xx, or no answer, is a failure the delivery job retries.
"""

from __future__ import annotations

import json
import logging
import os
import urllib.error
import urllib.request
from pathlib import Path

logger = logging.getLogger(__name__)


class SmsError(Exception):
    """The message was not accepted; the delivery is tried again later."""


def send(url: str | None, phone: str, text: str, *, instance_path: str = ".", timeout: float = 10) -> None:
    """Hand one message to the gateway SMS_URL names; raise SmsError when it is not accepted."""
    url = (url or "console").strip()
    if url == "console":
        logger.info("sms to %s: %s", phone, text)
    elif url.startswith("file:"):
        path = Path(url.removeprefix("file:") or Path(instance_path) / "sms.log")
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("a", encoding="utf-8") as f:
            f.write(json.dumps({"to": phone, "text": text}, ensure_ascii=False) + "\n")
    elif url.startswith(("http://", "https://")):
        _post(url, phone, text, timeout)
    else:
        raise SmsError(f"unknown SMS_URL backend: {url.split(':', 1)[0]}")


def _post(url: str, phone: str, text: str, timeout: float) -> None:
    headers = {"Content-Type": "application/json; charset=utf-8"}
    if key := os.environ.get("SMS_KEY"):
        headers["Authorization"] = f"Bearer {key}"
    body = json.dumps({"to": phone, "text": text}, ensure_ascii=False).encode()
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")  # noqa: S310 (http(s) only)
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310 (the operator's URL)
            status = response.status
    except urllib.error.HTTPError as error:
        error.close()
        raise SmsError(f"HTTP {error.code}") from None
    except (urllib.error.URLError, OSError) as error:
        raise SmsError(f"{type(error).__name__}: {error}") from None
    if not 200 <= status < 300:
        raise SmsError(f"HTTP {status}")

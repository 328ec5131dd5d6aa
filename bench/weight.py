"""Page weight: a page's HTML with the stylesheets and scripts it links, each gzip-compressed.

Pictures and fonts are left out (the pages use none of their own); each stylesheet or script is
counted once per page, as a first visit with an empty cache downloads it.
"""

from __future__ import annotations

import gzip
from dataclasses import dataclass
from html.parser import HTMLParser
from urllib.parse import urljoin

import requests


class _Assets(HTMLParser):
    def __init__(self):
        super().__init__()
        self.urls: list[str] = []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "link" and "stylesheet" in (a.get("rel") or "").split() and a.get("href"):
            self.urls.append(a["href"])
        elif tag == "script" and a.get("src"):
            self.urls.append(a["src"])


@dataclass(frozen=True)
class Weight:
    html: int  # gzip bytes
    assets: int  # gzip bytes of CSS and JS
    raw: int  # uncompressed bytes of everything
    files: int  # CSS and JS files

    @property
    def total(self) -> int:
        return self.html + self.assets


def gz(body: bytes) -> int:
    return len(gzip.compress(body, compresslevel=6))


def page_weight(http: requests.Session, url: str) -> Weight:
    page = http.get(url, timeout=30)
    page.raise_for_status()
    parser = _Assets()
    parser.feed(page.text)
    assets = raw = 0
    seen = []
    for src in parser.urls:
        absolute = urljoin(url, src)
        if absolute in seen:
            continue
        seen.append(absolute)
        body = http.get(absolute, timeout=30).content
        assets += gz(body)
        raw += len(body)
    return Weight(html=gz(page.content), assets=assets, raw=raw + len(page.content), files=len(seen))


def sign_in(base_url: str, username: str, password: str) -> requests.Session:
    """A browser-like session signed in through the login form (CSRF token and all)."""
    import re

    http = requests.Session()
    form = http.get(base_url + "/login", timeout=30)
    match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', form.text) or re.search(
        r'value="([^"]+)"[^>]*name="csrf_token"', form.text)
    data = {"username": username, "password": password}
    if match:
        data["csrf_token"] = match.group(1)
    answer = http.post(base_url + "/login", data=data, allow_redirects=False, timeout=30)
    if answer.status_code != 302:
        raise RuntimeError(f"login as {username} answered {answer.status_code}")
    return http

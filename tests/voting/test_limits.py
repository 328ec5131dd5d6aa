"""Casting is rate-limited per user, on the pages and the API alike (one bucket)."""

from __future__ import annotations

import pytest


@pytest.fixture
def config_overrides():
    return {"RATELIMIT_ENABLED": True, "BALLOT_RATE_LIMIT": "3 per minute"}


def test_fourth_ballot_in_a_minute_is_refused_with_429(client, api_token, make_vote, residents):
    vote = make_vote()
    headers = api_token("wangayi")
    statuses = [client.post(f"/api/v1/votes/{vote.id}/ballot", json={"choice": "agree"}, headers=headers).status_code
                for _n in range(4)]
    assert statuses == [201, 200, 200, 429]
    other = client.post(f"/api/v1/votes/{vote.id}/ballot", json={"choice": "agree"}, headers=api_token("lishushu"))
    assert other.status_code == 201  # per user, not per address


@pytest.mark.parametrize("scheme", ["http", "https"])
def test_the_short_way_answers_with_the_headers_of_the_full_way(client, api_token, make_vote, residents, scheme):
    """The same headers on an ordinary ballot's 201 as on a household's, which the full way answers: the security
    headers (HSTS over HTTPS), no caching, the rate limit's. Vary: Cookie comes only from the app's session."""
    ordinary, household = make_vote().id, make_vote(title="每户一票：是否同意", basis="household").id
    wang, li = api_token("wangayi"), api_token("lishushu")
    base = f"{scheme}://localhost"
    short = client.post(f"/api/v1/votes/{ordinary}/ballot", json={"choice": "agree"}, headers=wang, base_url=base)
    full = client.post(f"/api/v1/votes/{household}/ballot", json={"choice": "agree"}, headers=li, base_url=base)
    assert short.status_code == full.status_code == 201, (short.get_json(), full.get_json())
    ignored = {"Date", "Content-Length", "Vary"}
    assert set(short.headers.keys()) - ignored == set(full.headers.keys()) - ignored
    for name in ("Content-Type", "Content-Security-Policy", "Cache-Control", "X-RateLimit-Limit",
                 "X-RateLimit-Remaining"):
        assert short.headers[name] == full.headers[name]
    assert ("Strict-Transport-Security" in short.headers) == (scheme == "https")

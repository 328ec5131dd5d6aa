"""With the counters in the instance folder's file (limit_store, the default without Redis), the ordinary ballot's
short way gives the rate-limit headers the full way gives: the same bucket, the same fixed window."""

from __future__ import annotations

import pytest


@pytest.fixture
def config_overrides(tmp_path):
    return {"RATELIMIT_ENABLED": True, "BALLOT_RATE_LIMIT": "5 per minute",
            "RATELIMIT_STORAGE_URI": f"sqlitefile://{tmp_path / 'limits.sqlite'}"}


def test_the_short_way_counts_in_the_full_ways_window(client, api_token, make_vote, residents):
    household, ordinary = make_vote(title="每户一票：是否同意", basis="household").id, make_vote().id
    wang = api_token("wangayi")
    full = client.post(f"/api/v1/votes/{household}/ballot", json={"choice": "agree"}, headers=wang)
    short = client.post(f"/api/v1/votes/{ordinary}/ballot", json={"choice": "agree"}, headers=wang)
    assert full.status_code == short.status_code == 201, (full.get_json(), short.get_json())
    assert short.headers["X-RateLimit-Reset"] == full.headers["X-RateLimit-Reset"]  # the window's end, read once
    assert [int(a.headers["X-RateLimit-Remaining"]) for a in (full, short)] == [4, 3]

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

"""Live figures for the hall display: Redis publish/subscribe where REDIS_URL is set, else polling.

A cast publishes the vote's id on a channel; every stream of that vote (in any process) wakes up,
reads the figures from the database and sends them. Without Redis each stream reads them every
second. Streams end after LIVE_STREAM_SECONDS (default 300): the browser's EventSource reconnects,
so no worker is held for ever.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable, Iterator

from flask import current_app

logger = logging.getLogger(__name__)

CHANNEL = "deliberation:vote:{}"


def _redis():
    url = current_app.config.get("REDIS_URL")
    if not url:
        return None
    import redis

    clients = current_app.extensions.setdefault("voting_redis", {})
    if url not in clients:
        clients[url] = redis.Redis.from_url(url, socket_connect_timeout=2, socket_timeout=5)
    return clients[url]


def publish(vote_id: int) -> None:
    """Tell every live stream of this vote that a ballot arrived (after the commit)."""
    client = _redis()
    if client is None:
        return
    try:
        client.publish(CHANNEL.format(vote_id), "1")
    except Exception:  # a display that misses one update catches up on the next; never fail a ballot
        logger.warning("could not publish the update of vote %s", vote_id, exc_info=True)


def stream(vote_id: int, figures: Callable[[], dict], seconds: float | None = None) -> Iterator[str]:
    """Server-sent events: the figures at once, then whenever they change, for a limited time."""
    seconds = seconds if seconds is not None else current_app.config.get("LIVE_STREAM_SECONDS", 300)
    deadline = time.monotonic() + seconds
    poll = float(current_app.config.get("LIVE_POLL_SECONDS", 1.0))
    client = _redis()
    pubsub = None
    if client is not None:
        try:
            pubsub = client.pubsub(ignore_subscribe_messages=True)
            pubsub.subscribe(CHANNEL.format(vote_id))
        except Exception:
            logger.warning("live updates fall back to polling", exc_info=True)
            pubsub = None
    last = None
    last_sent = 0.0
    try:
        yield "retry: 2000\n\n"
        while True:
            data = figures()
            text = json.dumps(data, ensure_ascii=False, sort_keys=True)
            now = time.monotonic()
            if text != last:
                last, last_sent = text, now
                yield f"event: figures\ndata: {text}\n\n"
            elif now - last_sent > 15:
                last_sent = now
                yield ": keep-alive\n\n"
            if data.get("state") == "closed":
                yield "event: bye\ndata: {}\n\n"  # the page stops listening: nothing will change
                return
            if now >= deadline:
                return  # EventSource reconnects by itself; the worker is free again
            if pubsub is not None:
                # Wake up on a publication, or after a second anyway (a scheduled close, a missed message).
                pubsub.get_message(timeout=poll)
                while pubsub.get_message(timeout=0.01):
                    pass
            else:
                time.sleep(poll)
    finally:
        if pubsub is not None:
            try:
                pubsub.close()
            except Exception:
                logger.debug("pubsub close failed", exc_info=True)

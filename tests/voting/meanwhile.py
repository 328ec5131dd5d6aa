"""Another writer closing a vote at the very moment a request reaches a given statement: the race a request that
reads first (db.reads_first) must see under its write lock."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator

from sqlalchemy import create_engine, update

from deliberation.db import utcnow
from deliberation.extensions import db
from deliberation.voting.models import Vote
from tests.statements import each_statement


@contextlib.contextmanager
def vote_closed_meanwhile(vote_id: int, at: Callable[[str], bool]) -> Iterator[list[bool]]:
    """While the block runs, the first statement of this app for which ``at(statement)`` holds is preceded by
    another writer's close of the vote, outside this process's line of writers. Yields a list that holds True
    once the vote was closed (a test asserts it: the request reached that moment)."""
    other = create_engine(db.engine.url)
    closed: list[bool] = []

    def close(statement: str) -> None:
        if at(statement) and not closed:
            with other.begin() as connection:
                connection.execute(update(Vote).where(Vote.id == vote_id).values(closed_at=utcnow()))
            closed.append(True)

    try:
        with each_statement(close):
            yield closed
    finally:
        other.dispose()

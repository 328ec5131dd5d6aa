"""The statements this app sends to its database inside a block: recorded by the tests that pin what a page or a
request costs, or acted on at a chosen one (tests/voting/meanwhile.py)."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator

from sqlalchemy import event

from deliberation.extensions import db


@contextlib.contextmanager
def each_statement(act: Callable[[str], None]) -> Iterator[None]:
    """While the block runs, `act(statement)` before each statement the app's engine sends."""

    def listen(conn, cursor, statement, parameters, context, executemany):
        act(statement)

    event.listen(db.engine, "before_cursor_execute", listen)
    try:
        yield
    finally:
        event.remove(db.engine, "before_cursor_execute", listen)


@contextlib.contextmanager
def recorded(skip: tuple[str, ...] = ()) -> Iterator[list[str]]:
    """The statements sent inside the block, but those that start with one of `skip`."""
    statements: list[str] = []
    with each_statement(lambda statement: None if statement.startswith(skip) else statements.append(statement)):
        yield statements

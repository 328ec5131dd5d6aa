"""The ordinary new ballot answered below Flask's request machinery: the hot path of a vote.

When a vote opens, ballots come by the thousand, nearly all of them the ordinary kind that voting.quick writes
in few statements: a resident of the frozen electorate, a first ballot, an answer of 201. For those, Flask's
request and response objects, the app's hooks and the view's argument parsing cost more than the ballot does.
This WSGI layer takes POST /api/v1/votes/{id}/ballot before Flask and, inside an app context, does what the
ordinary ballot needs: the bearer token and the JSON body as sent, the user's ballot rate limit (the same bucket
as the pages' and the API's, limits.count), the read and the writes of voting.quick (reads first, SQLite's write
lock only for the writes), the live displays told, the answer with the app's security headers.

Anything else — another path or method, another body or content type, a token that is not a resident's of the
vote's electorate, a changed ballot, a closed vote, a rate limit reached, an error — goes to the app unchanged
(with the body it sent), whose full way (api.voting.cast_ballot) answers and refuses as it always has, with its
audit events; a request counted here is not counted again there (limits.COUNTED).
"""

from __future__ import annotations

import io
import json
import logging
import re
from collections.abc import Callable, Iterable
from contextlib import nullcontext

from flask import Flask, current_app, has_app_context

from deliberation.db import reads_first
from deliberation.extensions import db
from deliberation.limits import BALLOT_SCOPE, COUNTED, ballot_count
from deliberation.voting import live, quick

logger = logging.getLogger(__name__)

PATH = re.compile(r"/api/v1/votes/([1-9][0-9]{0,9})/ballot")
LARGEST_ID = 2**31 - 1  # ids are 32-bit integers on PostgreSQL
LONGEST_BODY = 200  # {"choice": "disagree"} with room to spare; anything longer goes the full way


class OrdinaryBallots:
    """WSGI middleware in front of the app: ordinary new ballots answered here, everything else passed on.

    ``security_headers(is_secure)`` gives the headers every answer of the app carries (web.security_headers)."""

    def __init__(self, app: Flask, wsgi_app: Callable, security_headers: Callable[[bool], Iterable[tuple[str, str]]]):
        self.app, self.wsgi_app = app, wsgi_app
        self.headers = {secure: tuple(security_headers(secure)) for secure in (False, True)}  # by HTTPS or not

    def __call__(self, environ: dict, start_response: Callable):
        match = PATH.fullmatch(environ.get("PATH_INFO", "")) if environ.get("REQUEST_METHOD") == "POST" else None
        if match is not None and int(match[1]) <= LARGEST_ID:
            answer = self._answer(environ, int(match[1]))
            if answer is not None:
                content, headers = answer
                start_response("201 CREATED", headers)
                return [content]
        return self.wsgi_app(environ, start_response)

    def _answer(self, environ: dict, vote_id: int) -> tuple[bytes, list[tuple[str, str]]] | None:
        """The 201 answer of an ordinary new ballot (its body and headers, nothing built that nobody reads), or
        None for the app (the body put back for it to read)."""
        token = quick.bearer(environ.get("HTTP_AUTHORIZATION", ""))
        content_type = environ.get("CONTENT_TYPE", "").partition(";")[0].strip().lower()
        length = environ.get("CONTENT_LENGTH", "")
        if not token or content_type != "application/json" or not length.isdigit() or int(length) > LONGEST_BODY:
            return None
        body = environ["wsgi.input"].read(int(length))
        environ["wsgi.input"] = io.BytesIO(body)  # as sent, for the app should it answer instead
        try:
            data = json.loads(body)
        except ValueError:
            return None
        # Inside the app's context; a test that holds one for its client shares it (as Flask's requests do).
        context = (nullcontext() if has_app_context() and current_app._get_current_object() is self.app
                   else self.app.app_context())
        with context:
            try:
                answer = reads_first(_cast)(environ, vote_id, token, data)
            except Exception:  # the full way answers: the same error, or what it decides
                logger.exception("the short way of a ballot failed; the full way answers")
                db.session.rollback()
                return None
            if answer is None:
                return None
            body, headers = answer
            live.publish(vote_id)
            content = f"{self.app.json.dumps(body)}\n".encode()  # as the app's JSON answers are written
        return content, [("Content-Type", "application/json"), ("Content-Length", str(len(content))),
                         *headers.items(), *self.headers[environ.get("wsgi.url_scheme") == "https"]]


def _cast(environ: dict, vote_id: int, token: str, data) -> tuple[dict, dict[str, str]] | None:
    """The ballot written by voting.quick, counted against the user's rate limit between its read and its writes:
    the answer's body and the rate-limit headers, or None (nothing written) for the full way."""
    row = quick.ordinary(vote_id, token, data)
    if row is None:
        return None
    headers = ballot_count(row.user_id)
    if headers is None:
        return None  # the limit is reached: the full way answers 429
    environ.setdefault(COUNTED, set()).add(BALLOT_SCOPE)
    body = quick.cast(row, data["choice"])
    return None if body is None else (body, headers)

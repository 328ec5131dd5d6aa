"""The JSON API under /api/v1: thin adapters over the same services the pages use.

flask-smorest (marshmallow + apispec) validates requests and generates the OpenAPI document at
/api/v1/openapi.json from the same schemas. Errors always have the body
{"error": {"code": ..., "message": ..., "fields": {...}}}, with the message in the request's language
(its Accept-Language; Chinese without one).
"""

from __future__ import annotations

from flask import Flask
from flask_smorest import Api
from marshmallow import INCLUDE, Schema, fields


class ErrorDetail(Schema):
    """An error's code, message and field messages, and any facts the refusal names beside them (a conflict's
    booking, the vote that holds a proposal's version, a limit…): the document allows those extra keys."""

    class Meta:
        unknown = INCLUDE

    code = fields.String(metadata={"description": "bad_request, unauthorized, forbidden, not_found, conflict, "
                                                  "invalid, rate_limited …"})
    message = fields.String(metadata={"description": "for people, in the request's language"})
    fields_ = fields.Dict(data_key="fields", keys=fields.String(), values=fields.String(),
                          metadata={"description": "a message per invalid value, in the request's language; "
                                                   "nested values by their path, e.g. entries.2.room"})


class Error(Schema):
    """Every error answer: {"error": {"code", "message", "fields", …}} (DESIGN §4)."""

    error = fields.Nested(ErrorDetail)


class JsonApi(Api):
    ERROR_SCHEMA = Error

    def _register_error_handlers(self):
        """Errors are answered by the app's own handlers (`http_errors`), which know pages from the API."""


api = JsonApi(spec_kwargs={"components": {"securitySchemes": {
    "bearerAuth": {"type": "http", "scheme": "bearer"}}}})


def init_api(app: Flask) -> None:
    from deliberation.api import (
        accounts,
        announcement,
        booking,
        consultations,
        counter,
        home,
        minutes,
        notices,
        proxies,
        roll,
        surveys,
        voting,
    )
    from deliberation.extensions import csrf

    api.init_app(app)
    modules = (accounts, home, consultations, voting, announcement, proxies, roll, notices, surveys, minutes, booking,
               counter)
    for blueprint in (module.bp for module in modules):
        csrf.exempt(blueprint)  # bearer tokens only, never cookies: no cross-site request can use it
        api.register_blueprint(blueprint, url_prefix="/api/v1")


"""The JSON API under /api/v1: thin adapters over the same services the pages use.

flask-smorest (marshmallow + apispec) validates requests and generates the OpenAPI document at
/api/v1/openapi.json from the same schemas. Errors always have the body
{"error": {"code": ..., "message": ..., "fields": {...}}}, with the message in the request's language.
"""

from __future__ import annotations

from flask import Flask, jsonify
from flask_babel import gettext as _
from flask_smorest import Api
from marshmallow import Schema, fields
from werkzeug.exceptions import HTTPException

from deliberation.errors import DomainError

CODES = {400: "bad_request", 401: "unauthorized", 403: "forbidden", 404: "not_found", 405: "method_not_allowed",
         409: "conflict", 413: "too_large", 415: "unsupported_media_type", 422: "invalid", 429: "rate_limited"}


class ErrorDetail(Schema):
    code = fields.String(metadata={"description": "bad_request, unauthorized, forbidden, not_found, conflict, "
                                                  "invalid, rate_limited …"})
    message = fields.String(metadata={"description": "for people, in the request's language"})
    fields_ = fields.Dict(data_key="fields", keys=fields.String(), values=fields.String(),
                          metadata={"description": "a message per invalid field"})


class Error(Schema):
    """Every error answer: {"error": {"code", "message", "fields", …}} (DESIGN §4)."""

    error = fields.Nested(ErrorDetail)


class JsonApi(Api):
    ERROR_SCHEMA = Error

    def _register_error_handlers(self):
        """Errors are answered by the app's own handler, which knows pages from the API."""


api = JsonApi(spec_kwargs={"components": {"securitySchemes": {
    "bearerAuth": {"type": "http", "scheme": "bearer"}}}})


def json_error(status: int, code: str, message: str, fields: dict | None = None, **extra):
    body = {"error": {"code": code, "message": message, "fields": fields or {}, **extra}}
    return jsonify(body), status


def error_response(error: HTTPException):
    from deliberation.web import error_message

    status = error.code or 500
    fields = {}
    data = getattr(error, "data", None) or {}
    if messages := data.get("messages"):
        # webargs puts messages per location: {"json": {"field": ["..."]}}
        for location_messages in messages.values():
            if isinstance(location_messages, dict):
                for name, problems in location_messages.items():
                    fields[name] = " ".join(problems) if isinstance(problems, list) else str(problems)
    # A description given where the error was raised is meant for the user; werkzeug's defaults are not.
    custom = error.description and error.description != type(error).description
    message = error.description if custom else error_message(error)
    if status == 422 and fields:
        message = _("提交的内容有误：%(fields)s", fields="、".join(fields))
    response, status = json_error(status, CODES.get(status, "error"), message, fields)
    if status == 429 and error.get_response().headers.get("Retry-After"):
        response.headers["Retry-After"] = error.get_response().headers["Retry-After"]
    return response, status


def domain_error_response(error: DomainError):
    return json_error(error.status, error.code, error.message, error.fields, **error.detail)


def init_api(app: Flask) -> None:
    from deliberation.api import accounts, booking, consultations, minutes, surveys, voting
    from deliberation.extensions import csrf

    api.init_app(app)
    app.register_error_handler(DomainError, _domain_error)
    for blueprint in (accounts.bp, consultations.bp, voting.bp, surveys.bp, minutes.bp, booking.bp):
        csrf.exempt(blueprint)  # bearer tokens only, never cookies: no cross-site request can use it
        api.register_blueprint(blueprint, url_prefix="/api/v1")


def _domain_error(error: DomainError):
    """A service refused: JSON under /api/, otherwise the error page with the service's message."""
    from flask import render_template

    from deliberation.extensions import db
    from deliberation.web import wants_json

    db.session.rollback()
    if wants_json():
        return domain_error_response(error)
    return render_template("errors/error.html", status=error.status, message=error.message), error.status

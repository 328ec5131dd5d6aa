"""HTTP errors for pages and the API alike: the message per status, the JSON error body, the error
page, and the handlers the app registers. The API and the wiring import it; it imports neither."""

from __future__ import annotations

import logging
from urllib.parse import urlsplit

from flask import Response, flash, jsonify, make_response, redirect, render_template, request
from flask_babel import gettext as _
from werkzeug.exceptions import HTTPException

from deliberation.errors import DomainError
from deliberation.extensions import db
from deliberation.field_errors import flatten

logger = logging.getLogger(__name__)

CODES = {400: "bad_request", 401: "unauthorized", 403: "forbidden", 404: "not_found", 405: "method_not_allowed",
         409: "conflict", 413: "too_large", 415: "unsupported_media_type", 422: "invalid", 429: "rate_limited"}


def wants_json() -> bool:
    """An API request (under /api/) is answered with a JSON error, any other with the error page."""
    return request.path.startswith("/api/")


def error_message(error: HTTPException) -> str:
    """The message for people for an HTTP status, in the request's language."""
    messages = {
        400: _("请求有误。如果是表单，请刷新页面后重新提交。"),
        401: _("请先登录"),
        403: _("您没有权限进行此操作"),
        404: _("找不到该页面或内容"),
        405: _("不支持该请求方式"),
        409: _("操作与现有内容冲突"),
        413: _("上传的文件太大"),
        422: _("提交的内容有误"),
        429: _("操作太频繁，请稍后再试"),
    }
    return messages.get(error.code or 500, _("出错了"))


def json_error(status: int, code: str, message: str, fields: dict | None = None, **extra):
    """The API's error answer: {"error": {"code", "message", "fields", …}} (DESIGN §4)."""
    body = {"error": {"code": code, "message": message, "fields": fields or {}, **extra}}
    return jsonify(body), status


def error_response(error: HTTPException):
    """An HTTP error as the API's JSON error, with the invalid fields webargs found.

    webargs puts marshmallow's messages per location, nested as the input is ({"json": {"entries":
    {2: {"room": ["Missing data for required field."]}}}}): they are answered flat and translated,
    {"entries.2.room": "必须填写"} (field_errors).
    """
    status = error.code or 500
    fields: dict[str, str] = {}
    data = getattr(error, "data", None) or {}
    if messages := data.get("messages"):
        for location_messages in messages.values():
            fields.update(flatten(location_messages))
    whole_body = fields.pop("", None)  # e.g. a body that is not JSON at all
    # A description given where the error was raised is meant for the user; werkzeug's defaults are not,
    # nor is Flask-Limiter's, which describes the limit in English ("10 per 1 minute").
    custom = status != 429 and error.description and error.description != type(error).description
    message = error.description if custom else (whole_body or error_message(error))
    if status == 422 and fields:
        message = _("提交的内容有误：%(fields)s", fields="、".join(fields))
    return json_error(status, CODES.get(status, "error"), message, fields)


def domain_error_response(error: DomainError):
    """A service's refusal as the API's JSON error."""
    return json_error(error.status, error.code, error.message, error.fields, **error.detail)


def error_page(status: int, message: str) -> Response:
    """The error page, answered with its status."""
    return make_response(render_template("errors/error.html", status=status, message=message), status)


def http_error(error: HTTPException):
    """Handler for HTTP errors (abort, routing, CSRF, rate limits): JSON under /api/, otherwise the page."""
    if wants_json():
        response, status = error_response(error)
    else:
        db.session.rollback()
        response, status = error_page(error.code, error_message(error)), error.code
    # The one place an answer takes the Retry-After of a 429 raised with werkzeug's `retry_after`.
    # Flask-Limiter's refusals carry none: its after-request hook sets Retry-After on every limited
    # answer, pages and API alike (RATELIMIT_HEADERS_ENABLED).
    if error.code == 429 and (retry := error.get_response().headers.get("Retry-After")):
        response.headers["Retry-After"] = retry
    return response, status


def page_back() -> str | None:
    """The page a form was sent from, when it is one of this site's own pages (not this action's URL)."""
    referrer = request.referrer
    if not referrer:
        return None
    came_from, here = urlsplit(referrer), urlsplit(request.host_url)
    if (came_from.scheme, came_from.netloc) != (here.scheme, here.netloc) or came_from.path == request.path:
        return None
    return came_from.path + (f"?{came_from.query}" if came_from.query else "")


def domain_error(error: DomainError):
    """Handler for a service's refusal: JSON under /api/; a button's refusal (409, 422) goes back to the page
    it was pressed on, the message shown there; otherwise the error page with the service's message."""
    db.session.rollback()
    if wants_json():
        return domain_error_response(error)
    if request.method == "POST" and error.status in (409, 422) and (back := page_back()):
        flash(error.message, "error")
        return redirect(back, 303)
    return error_page(error.status, error.message)


def unexpected_error(error: Exception):
    """Handler for anything else: rolled back, logged with its traceback, answered with a plain 500."""
    db.session.rollback()
    logger.exception("unhandled error on %s %s", request.method, request.path)
    if wants_json():
        return json_error(500, "server_error", _("服务器内部错误，请稍后再试"))
    return error_page(500, _("服务器内部错误，请稍后再试"))

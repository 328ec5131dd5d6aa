"""Domain errors raised by services. Routes turn them into a message; the API into a JSON error."""

from __future__ import annotations


class DomainError(Exception):
    status = 400
    code = "bad_request"

    def __init__(self, message: str, fields: dict[str, str] | None = None, detail: dict | None = None):
        message = str(message)  # a lazy string (lazy_gettext) is translated when the error is raised
        super().__init__(message)
        self.message = message
        self.fields = fields or {}
        self.detail = detail or {}


class Invalid(DomainError):
    status = 422
    code = "invalid"


class Forbidden(DomainError):
    status = 403
    code = "forbidden"


class NotFound(DomainError):
    status = 404
    code = "not_found"


class Conflict(DomainError):
    status = 409
    code = "conflict"


def require(allowed: bool, message: str, *, hidden: bool = False) -> None:
    """Refuse unless allowed: 403 with the message, or 404 where the object must stay unseen.

    The one way services refuse on a model's ``can_*`` answer, e.g.
    ``require(community.can_view(actor), _("找不到该居民区"), hidden=True)`` then
    ``require(community.can_moderate(actor), _("只有本居民区的主持人可以进行此操作"))``.
    """
    if not allowed:
        raise (NotFound if hidden else Forbidden)(message)

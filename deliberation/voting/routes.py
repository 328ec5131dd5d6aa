"""Pages of the voting capability."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("voting", __name__)

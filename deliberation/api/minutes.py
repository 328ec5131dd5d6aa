"""API of the minutes capability."""

from __future__ import annotations

from flask_smorest import Blueprint

bp = Blueprint("api_minutes", __name__, description="会议纪要：草稿、发布与导出")

"""API of the surveys capability."""

from __future__ import annotations

from flask_smorest import Blueprint

bp = Blueprint("api_surveys", __name__, description="问卷：创建、发布、填写与结果")

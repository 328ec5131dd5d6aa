"""API of the voting capability."""

from __future__ import annotations

from flask_smorest import Blueprint

bp = Blueprint("api_voting", __name__, description="表决：创建、开启、关闭、投票、纸质征询单、结果与回执")

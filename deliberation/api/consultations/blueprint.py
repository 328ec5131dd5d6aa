"""The blueprint of the consultations API."""

from deliberation.api.arguments import Blueprint

bp = Blueprint("api_consultations", __name__, description="议事：方案、意见征集、审核与居民心愿墙")

"""API of the consultations capability."""

from flask_smorest import Blueprint

bp = Blueprint("api_consultations", __name__, description="consultations")

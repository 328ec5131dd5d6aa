"""API of the booking capability."""

from flask_smorest import Blueprint

bp = Blueprint("api_booking", __name__, description="booking")

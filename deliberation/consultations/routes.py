"""Pages of the consultations capability."""

from flask import Blueprint

bp = Blueprint("consultations", __name__)

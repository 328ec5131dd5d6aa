"""Pages of consultations, one module per concern, all on the one blueprint `consultations`."""

from deliberation.consultations.routes import (  # noqa: F401  (importing a module registers its pages)
    comments,
    ideas,
    meetings,
    moderation,
    notifications,
    proposals,
    sessions,
)
from deliberation.consultations.routes.blueprint import bp

__all__ = ["bp"]

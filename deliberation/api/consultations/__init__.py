"""API of the consultations capability: sessions, proposals, comments, moderation and the wish wall.

Thin adapters over the operations the pages call too (deliberation.consultations.sessions, proposals,
comments, moderation, ideas), one module per concern on the one blueprint `api_consultations`. Objects
a user may not see answer 404, exactly as the pages do; hidden comment text is never sent to residents.
"""

# The order of these imports is the order of the endpoints in the OpenAPI document.
# isort: off
from deliberation.api.consultations import sessions  # noqa: F401  (importing a module registers its endpoints)
from deliberation.api.consultations import proposals  # noqa: F401
from deliberation.api.consultations import comments  # noqa: F401
from deliberation.api.consultations import ideas  # noqa: F401
# isort: on
from deliberation.api.consultations.blueprint import bp

__all__ = ["bp"]

"""The operations of consultations, by concern: import from the module that owns a function.

This name stays for scripts written before the split; the package's own code does not use it.
"""

from deliberation.consultations.comments import *  # noqa: F403
from deliberation.consultations.ideas import *  # noqa: F403
from deliberation.consultations.models import MAX_LONG_TEXT, MAX_TEXT, SORTS  # noqa: F401
from deliberation.consultations.moderation import *  # noqa: F403
from deliberation.consultations.notifications import *  # noqa: F403
from deliberation.consultations.proposals import *  # noqa: F403
from deliberation.consultations.sessions import *  # noqa: F403

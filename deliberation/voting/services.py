"""The voting operations under their former single name, for scripts written before the split.

New code imports the module that owns the operation: labels, electorate, lifecycle, casting, paper,
receipts, results.
"""

from deliberation.voting.casting import *  # noqa: F403
from deliberation.voting.electorate import *  # noqa: F403
from deliberation.voting.labels import *  # noqa: F403
from deliberation.voting.lifecycle import *  # noqa: F403
from deliberation.voting.paper import *  # noqa: F403
from deliberation.voting.receipts import *  # noqa: F403
from deliberation.voting.results import *  # noqa: F403

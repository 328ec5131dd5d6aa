"""Jobs: what happens after a notification is written (deliveries by e-mail and SMS, the daily digest),
the periodic work (scheduled openings and closings, reminders, digests) and the queue that runs them.

Imports accounts and audit only; capabilities call `deliver.queue` and register periodic tasks here.
"""

from deliberation.jobs import digest  # noqa: F401  (registers the daily digest as a periodic task)

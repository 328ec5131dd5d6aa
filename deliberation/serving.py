"""gunicorn's threaded worker, with the kept-alive connections shared evenly among the workers.

A gthread worker serves every connection it accepted until the client closes it, so which worker accepts
decides where the requests of a kept-alive connection go. From one listening socket the worker that woke
first took nearly all of a burst of connections (measured: 100 % / 0 % and 98 % / 2 % in half of the runs); a
socket per worker (SO_REUSEPORT) spreads them by a hash of their addresses, which is not a queue: four
connections all landed on one worker in one run in eight, and that worker served four pages at once on one
core while the other core idled.

Here the workers share one listening socket and a small table in shared memory (`Shares`, made by the arbiter
before it forks): each worker writes how many connections it holds, and accepts a new one only while it holds
no more than the fewest any other live worker holds. The worker with the fewest always accepts, so a
connection is never left waiting for long; the counts of any two workers differ by one at most, a burst of
four connections goes two and two. A worker that has not been through its loop for `FRESH` seconds (hung, or
stopping) is left out of the comparison, so the others never wait on it. A worker over its share looks again
every `OVER_SHARE_POLL` seconds (gunicorn's loop otherwise waits up to a second between looks).

`deploy/gunicorn.conf.py` names the worker and installs the arbiter's hooks (`on_starting`, `pre_fork`,
`child_exit`).
"""

from __future__ import annotations

import time
from multiprocessing.sharedctypes import RawArray

from gunicorn.workers.gthread import ThreadWorker

SLOTS = 64  # workers of one arbiter that share; any beyond accept as gunicorn's own gthread worker does
FRESH = 2.0  # seconds; a worker's loop comes round at least once a second
OVER_SHARE_POLL = 0.02


class Shares:
    """The workers' rows in memory shared by the arbiter and its workers: the connections each holds, and when
    it last came round its loop (time.monotonic, the same clock in every process). Slots are handed out and
    taken back by the arbiter alone."""

    def __init__(self, slots: int = SLOTS):
        self.connections = RawArray("i", slots)
        self.seen = RawArray("d", slots)
        self._taken: set[int] = set()

    def take(self) -> int | None:
        """A free slot for a worker about to be forked, or None when all are taken."""
        free = next((slot for slot in range(len(self.connections)) if slot not in self._taken), None)
        if free is not None:
            self._taken.add(free)
            self.connections[free], self.seen[free] = 0, 0.0
        return free

    def give_back(self, slot: int | None) -> None:
        if slot is not None:
            self._taken.discard(slot)
            self.connections[slot], self.seen[slot] = 0, 0.0

    def fewest_elsewhere(self, slot: int, now: float) -> int | None:
        """The fewest connections any other live worker holds; None when there is no other."""
        return min((self.connections[other] for other in range(len(self.connections))
                    if other != slot and now - self.seen[other] < FRESH), default=None)


class FairThreadWorker(ThreadWorker):
    """gunicorn's gthread worker that accepts a connection only while it holds no more than its share."""

    shares: Shares | None = None  # set by pre_fork, in the arbiter
    slot: int | None = None
    _over_share = False

    @property
    def nr_conns(self) -> int:
        return self._connections

    @nr_conns.setter
    def nr_conns(self, value: int) -> None:
        self._connections = value
        if self.shares is not None and self.slot is not None:
            self.shares.connections[self.slot] = value

    @property
    def worker_connections(self) -> int:
        """gthread's loop accepts while nr_conns < worker_connections, and reads this once a round: here the
        worker also notes that it came round, and answers what it holds while it is over its share (accept none)."""
        if self.shares is None or self.slot is None:
            return self._most
        now = time.monotonic()
        self.shares.seen[self.slot] = now
        fewest = self.shares.fewest_elsewhere(self.slot, now)
        self._over_share = fewest is not None and self._connections > fewest
        return self._connections if self._over_share else self._most

    @worker_connections.setter
    def worker_connections(self, value: int) -> None:
        self._most = value

    def wait_for_and_dispatch_events(self, timeout):
        super().wait_for_and_dispatch_events(min(timeout, OVER_SHARE_POLL) if self._over_share else timeout)


# -- the arbiter's hooks (deploy/gunicorn.conf.py) ---------------------------------------------------------

def on_starting(server) -> None:
    server.connection_shares = Shares()


def pre_fork(server, worker) -> None:
    shares = getattr(server, "connection_shares", None)
    if isinstance(worker, FairThreadWorker) and shares is not None:
        worker.shares, worker.slot = shares, shares.take()


def child_exit(server, worker) -> None:
    shares = getattr(server, "connection_shares", None)
    if isinstance(worker, FairThreadWorker) and shares is not None:
        shares.give_back(worker.slot)

"""The decision deadlines of the open contacts this process has written, kept in memory for
the overdue sweep.

The sweep's query on the read model (undecided, past the deadline, not announced) is an
index lookup on MongoDB, but FerretDB answers any filter other than `_id` by reading every
contact document: at 60,000 contacts that read, every 30 seconds, was the tail of the
publish-to-figure latency (p99 at 1,000 events/s: 1.5 s with it, 0.8 s without). So most
sweeps take their candidates from here. The read model is still asked (a full sweep) when
what is here may be incomplete: at start (contacts written before this process started),
after every rebalance of intake's consumers (another instance started or stopped: the
contacts a stopped instance wrote are now this one's to announce), and every
`overdue_full_sweep_every`-th sweep. A candidate is always checked against its records
before anything is announced, so a stale entry costs a read, never a wrong event.

Memory is bounded: beyond `KEEP` open contacts (about 220-370 bytes each), those with the
latest deadlines are let go, and the sweep reads the read model again once the earliest of
them may be due. A real partnership has few contacts open at once (a decision is due within a
working day); a backlog beyond `KEEP` that is overdue all at once makes every sweep a full one
until it is announced.
"""

from __future__ import annotations

import heapq
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from shared.records import Key

KEEP = 100_000  # open contacts kept in memory (as many as the entity cache holds files)


class OpenDeadlines:
    """Open contact → its decision deadline; an entry leaves when the contact is decided or
    announced overdue."""

    def __init__(self, keep: int = KEEP) -> None:
        self._due: dict[Key, datetime] = {}
        self._keep = keep
        # False until the read model has been read, and again after each rebalance.
        self._complete = False
        # No open contact let go (to stay within `keep`) is due before this.
        self._beyond: datetime | None = None

    def outdated(self) -> None:
        """Other instances may have written open contacts missing here (a rebalance)."""
        self._complete = False

    def reading(self) -> None:
        """A read of every open contact in the read model begins (a full sweep)."""
        self._complete = True  # a rebalance during the read marks it again
        self._beyond = None

    def stale(self, now: datetime) -> bool:
        """Whether a sweep at `now` must read the read model: open contacts may be missing
        here (start, rebalance), or one let go may be due."""
        return not self._complete or (self._beyond is not None and self._beyond <= now)

    def note(self, docs: Iterable[Mapping[str, Any]]) -> None:
        """Bring the entries of these contacts up to their read-model documents: open (a
        deadline, undecided, not announced) or not."""
        for doc in docs:
            key = (doc["partnership"], doc["contact_id"])
            due = doc.get("decision_due_at")
            if due is not None and "decided_at" not in doc and not doc.get("overdue_emitted"):
                self._due[key] = due
            else:
                self._due.pop(key, None)
        if len(self._due) > self._keep + self._keep // 4:  # trimmed in steps, not per entry
            self._let_go()

    def _let_go(self) -> None:
        kept = heapq.nsmallest(self._keep, self._due.items(), key=lambda item: item[1])
        # Every contact let go is due at or after the last one kept.
        boundary = kept[-1][1]
        self._beyond = boundary if self._beyond is None else min(self._beyond, boundary)
        self._due = dict(kept)

    def due(self, now: datetime, limit: int) -> list[Key]:
        """Up to `limit` contacts whose deadline has passed at `now`, earliest first."""
        passed = ((due, key) for key, due in self._due.items() if due <= now)
        return [key for _, key in heapq.nsmallest(limit, passed)]

    def __len__(self) -> int:
        return len(self._due)

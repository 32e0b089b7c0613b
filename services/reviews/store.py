"""The reviews database: every review (and every escalation) is a chain of immutable
versions, one document per version, `_id` = "<id>@<version>".

Why versions and not one document updated in place: FerretDB has no transactions, and its
conditional updates are not atomic either: two concurrent `update_one({"_id": x, "_rev": 3},
...)` can both match (measured on FerretDB 1.24), which loses one of the changes. An insert
with a taken `_id` is reliably refused, so a command claims version n+1 by inserting it; the
loser of a race re-reads and decides again. The chain is also the plan's history the business
unit asks for: each version holds the whole state after one command, what changed, and the
events that command published, so a redelivered command re-publishes exactly those.

`sweep_claims` holds one document per overdue action and target date, or breached clock: see
`handlers.sweep`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from pymongo import ASCENDING
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

from shared.mongo import Document

# What a version document carries besides the state (shown by the history query).
_META = {"_id": 0, "version": 1, "event_id": 1, "command": 1, "at": 1, "summary": 1}


@dataclass(frozen=True)
class Version:
    """One version of an aggregate: its number, state and the events that produced it."""

    doc: Document

    @property
    def number(self) -> int:
        return int(self.doc["version"])

    @property
    def state(self) -> Document:
        state: Document = self.doc["state"]
        return state

    @property
    def events(self) -> list[Document]:
        events: list[Document] = self.doc.get("events", [])
        return events

    def version_applying(self, event_id: str) -> int | None:
        """The version made by command `event_id`, if this or an earlier version applied it."""
        for applied in self.doc.get("applied", ()):
            if applied["event_id"] == event_id:
                return int(applied["version"])
        return None


def version_id(aggregate_id: str, number: int) -> str:
    # Ids never contain '@' (see the contracts' id pattern), so this cannot collide.
    return f"{aggregate_id}@{number:06d}"


class Versions:
    """The version chains of one kind of aggregate (reviews, or escalations).

    Every lookup is by `_id` (FerretDB 1.x scans and sorts in memory for anything else): the
    versions are `<id>@<n>`, and a head document per aggregate, `<id>`, copies the newest
    version it knows of. The head is only a hint, rewritten after every append and possibly
    behind for a moment when two appends race, so a reader probes for newer versions after
    it, and a writer re-checks after writing it (the last writer leaves it current).
    """

    def __init__(
        self, versions: AsyncCollection[Document], heads: AsyncCollection[Document]
    ) -> None:
        self.versions = versions
        self.heads = heads

    async def create_indexes(self) -> None:
        await self.heads.create_index([("partnership", ASCENDING)])

    async def _newer(self, aggregate_id: str, known: Document | None) -> Document | None:
        newest = known
        number = 0 if known is None else int(known["version"])
        while True:
            doc = await self.versions.find_one({"_id": version_id(aggregate_id, number + 1)})
            if doc is None:
                return newest
            newest, number = doc, number + 1

    async def latest(self, aggregate_id: str, *, probe: bool = True) -> Version | None:
        """The newest version. Without `probe`, the head's copy, which may be behind: a
        writer can start from it, since appending after a stale head collides with the newer
        version and the retry probes."""
        head = await self.heads.find_one({"_id": aggregate_id})
        newest = await self._newer(aggregate_id, head) if probe or head is None else head
        return None if newest is None else Version(newest)

    async def applied(self, latest: Version, event_id: str) -> Version | None:
        """The version made by command `event_id`, when `latest` or an earlier one applied it."""
        number = latest.version_applying(event_id)
        if number is None:
            return None
        if number == latest.number:
            return latest
        return await self.at(str(latest.doc["agg"]), number)

    async def append(
        self,
        previous: Version | None,
        aggregate_id: str,
        *,
        partnership: str,
        state: Document,
        event_id: str,
        meta: Mapping[str, Any],
    ) -> bool:
        """Insert the version after `previous`; False when someone else took its number."""
        number = 1 if previous is None else previous.number + 1
        applied = [] if previous is None else list(previous.doc.get("applied", ()))
        doc = {
            "agg": aggregate_id,
            "version": number,
            "partnership": partnership,
            "event_id": event_id,
            "state": state,
            # FerretDB stores no nested arrays, hence objects.
            "applied": [*applied, {"event_id": event_id, "version": number}],
            **meta,
        }
        try:
            await self.versions.insert_one({"_id": version_id(aggregate_id, number), **doc})
        except DuplicateKeyError:
            return False
        await self._advance_head(aggregate_id, doc)
        return True

    async def _advance_head(self, aggregate_id: str, doc: Document) -> None:
        while True:
            head = {k: v for k, v in doc.items() if k != "_id"}
            for _ in range(3):  # two first upserts of one head can collide on its `_id`
                try:
                    await self.heads.replace_one({"_id": aggregate_id}, head, upsert=True)
                    break
                except DuplicateKeyError:
                    continue
            newer = await self.versions.find_one(
                {"_id": version_id(aggregate_id, int(doc["version"]) + 1)}
            )
            if newer is None:
                return
            doc = newer

    async def history(self, aggregate_id: str) -> list[Document]:
        latest = await self.latest(aggregate_id)
        if latest is None:
            return []
        ids = [version_id(aggregate_id, n) for n in range(1, latest.number + 1)]
        cursor = self.versions.find({"_id": {"$in": ids}}, _META)
        return sorted([doc async for doc in cursor], key=lambda d: int(d["version"]))

    async def at(self, aggregate_id: str, number: int) -> Version | None:
        doc = await self.versions.find_one({"_id": version_id(aggregate_id, number)})
        return None if doc is None else Version(doc)

    async def latest_states(self, partnership: str | None = None) -> list[Document]:
        """The current state of every aggregate (of one partnership), from the heads."""
        query: dict[str, Any] = {"partnership": partnership} if partnership else {}
        return [d["state"] async for d in self.heads.find(query, {"state": 1})]


class ReviewStore:
    def __init__(self, db: AsyncDatabase[Document]) -> None:
        self.reviews = Versions(db["review_versions"], db["reviews"])
        self.escalations = Versions(db["escalation_versions"], db["escalations"])
        self.claims = db["sweep_claims"]

    async def create_indexes(self) -> None:
        await self.reviews.create_indexes()
        await self.escalations.create_indexes()
        await self.reviews.heads.create_index([("state.actions.action_id", ASCENDING)])

    async def review_with_action(self, action_id: str) -> str | None:
        doc = await self.reviews.heads.find_one({"state.actions.action_id": action_id}, {"_id": 1})
        return None if doc is None else str(doc["_id"])

    # -- sweep claims: see handlers.sweep for why publish happens between claim and done

    async def published(self, keys: list[str]) -> set[str]:
        """The keys whose event is known to be on the topic."""
        query = {"_id": {"$in": keys}, "state": "published"}
        return {str(d["_id"]) async for d in self.claims.find(query, {"_id": 1})}

    async def claim(self, key: str, lease: timedelta, now: datetime | None = None) -> bool:
        """Take the right to publish `key`: a new claim (an insert, which only one sweep can
        win), or one whose holder let its lease run out without finishing (it died between
        claiming and publishing). Taking over a stale claim is a conditional update, which
        FerretDB may let two sweeps win; both then publish the same event id."""
        now = now or datetime.now(UTC)
        try:
            await self.claims.insert_one({"_id": key, "state": "claimed", "claimed_at": now})
        except DuplicateKeyError:
            result = await self.claims.update_one(
                {"_id": key, "state": "claimed", "claimed_at": {"$lt": now - lease}},
                {"$set": {"claimed_at": now}},
            )
            return result.modified_count == 1
        return True

    async def done(self, key: str) -> None:
        await self.claims.update_one({"_id": key}, {"$set": {"state": "published"}})

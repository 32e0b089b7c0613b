"""The reviews database: every review and every escalation is a history of append-only
records (`shared.records`), one per command, each holding the whole state after it, what
changed, and the events the command published, so a redelivered command re-publishes exactly
those. The history is also the plan's version history the business unit asks for.

Collections: `review_records` and `escalation_records` (keys `(partnership, id)`); `reviews`
and `escalations`, read models of the newest state (`_id` = `[partnership, id]`), written
newest-wins, for lists, the tracker and the sweep; `sweep_claims`, one document per overdue
action and target date, or breached clock (see `handlers.sweep`).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from pymongo import ASCENDING
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

from shared.mongo import Document
from shared.read_models import VERSION, write_newest
from shared.records import Change, EntityCache, Key, MongoRecordStore, Record, Repository

# What a version shows besides the state (the history query).
META_FIELDS = ("command", "at", "summary", "action_id", "recommendation")


@dataclass(frozen=True)
class Chain:
    """An aggregate's newest state (None: never created) and, per command applied, the events
    it published."""

    state: Document | None = None
    published: Mapping[str, list[Document]] = field(default_factory=dict)


class ChainFolding:
    def initial(self, key: Key) -> Chain:
        return Chain()

    def apply(self, state: Chain, record: Record) -> Chain:
        [change] = record.changes
        [command_id] = record.events
        return Chain(change["state"], {**state.published, command_id: change["events"]})


def version_change(state: Document, meta: Mapping[str, Any]) -> Change:
    """The record of one command: the state after it and what it did (`meta`: command, at,
    summary, events, and the action or recommendation it changed)."""
    return {"kind": "version", "state": state, **meta}


@dataclass(frozen=True)
class Version:
    """One version of an aggregate: its number, the state after it, and what made it."""

    number: int
    state: Document
    meta: Document


def _version(record: Record) -> Version:
    [change] = record.changes
    meta = {k: change[k] for k in META_FIELDS if change.get(k) is not None}
    return Version(record.version, change["state"], {"event_id": record.events[0], **meta})


def read_model_id(key: Key) -> str:
    return json.dumps(list(key), separators=(",", ":"))


class Aggregates:
    """The histories of one kind of aggregate (reviews, or escalations), and their read model."""

    def __init__(
        self, db: AsyncDatabase[Document], name: str, cache: EntityCache[Chain] | None
    ) -> None:
        self.records = MongoRecordStore(db[f"{name}_records"])
        self.repository = Repository(self.records, ChainFolding(), cache)
        self.latest = db[f"{name}s"]

    async def create_indexes(self) -> None:
        await self.records.ensure_indexes()
        await self.latest.create_index([("partnership", ASCENDING)])
        await self.latest.create_index([("id", ASCENDING)])

    async def project(self, entities: Iterable[tuple[Key, int, Chain]]) -> None:
        await write_newest(
            self.latest,
            [
                {
                    "_id": read_model_id(key),
                    "partnership": key[0],
                    "id": key[1],
                    VERSION: version,
                    "state": chain.state,
                }
                for key, version, chain in entities
                if chain.state is not None
            ],
        )

    async def find(self, aggregate_id: str, partnership: str | None) -> list[Document]:
        """The newest state documents of `aggregate_id`, in `partnership` or in any."""
        query: dict[str, Any] = {"id": aggregate_id}
        if partnership is not None:
            query = {"_id": read_model_id((partnership, aggregate_id))}
        return [doc async for doc in self.latest.find(query)]

    async def history(self, key: Key) -> list[Version]:
        [records] = (await self.records.read({key: 0})).values()
        return [_version(r) for r in records]

    async def latest_states(self, partnership: str | None = None) -> list[Document]:
        """The current state of every aggregate (of one partnership), from the read model."""
        query: dict[str, Any] = {"partnership": partnership} if partnership else {}
        return [d["state"] async for d in self.latest.find(query, {"state": 1})]


class ReviewStore:
    def __init__(
        self,
        db: AsyncDatabase[Document],
        caches: tuple[EntityCache[Chain], EntityCache[Chain]] | None = None,
    ) -> None:
        reviews_cache, escalations_cache = caches or (None, None)
        self.reviews = Aggregates(db, "review", reviews_cache)
        self.escalations = Aggregates(db, "escalation", escalations_cache)
        self.claims = db["sweep_claims"]

    async def create_indexes(self) -> None:
        await self.reviews.create_indexes()
        await self.escalations.create_indexes()
        await self.reviews.latest.create_index([("state.actions.action_id", ASCENDING)])

    async def review_with_action(self, partnership: str, action_id: str) -> str | None:
        doc = await self.reviews.latest.find_one(
            {"partnership": partnership, "state.actions.action_id": action_id}, {"id": 1}
        )
        return None if doc is None else str(doc["id"])

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

"""Entity histories as append-only records: the persistence model of intake, reviews and
training.

An entity's history is a run of immutable records keyed `(partnership, entity, version)`,
versions dense from 1. Records are only ever inserted; the store's unique `_id` refuses a
second record with the same key, and that refusal is the optimistic-concurrency conflict. No
read-modify-write happens in the database, so the model holds with any number of writers on
any MongoDB-wire server (FerretDB 1.x makes no conditional update atomic). A record carries
the ids of the inbound events it applied, so a redelivered event is recognised from the
history itself, with no extra write.
"""

from __future__ import annotations

import json
from collections import OrderedDict, defaultdict
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Generic, Protocol, TypeVar

from pymongo import ASCENDING
from pymongo.asynchronous.collection import AsyncCollection

from shared.mongo import Document, find_by_ids, from_opaque, insert_new, opaque

Key = tuple[str, str]  # (partnership, entity id)
Change = Mapping[str, Any]  # one domain change, JSON-able; the domain decides its shape
S = TypeVar("S")
T = TypeVar("T")


@dataclass(frozen=True)
class Record:
    """Version `version` of entity `entity` in `partnership`: the changes one unit of work
    made to it, and the inbound events they applied."""

    partnership: str
    entity: str
    version: int
    changes: tuple[Change, ...]
    events: tuple[str, ...]
    at: datetime

    @property
    def key(self) -> Key:
        return (self.partnership, self.entity)


def record_id(partnership: str, entity: str, version: int) -> str:
    """The stored `_id`: unambiguous whatever characters the ids hold."""
    return json.dumps([partnership, entity, version], separators=(",", ":"))


class RecordStore(Protocol):
    async def read(self, after: Mapping[Key, int]) -> dict[Key, list[Record]]:
        """For each key, its records with a version above the one given (0: all), oldest
        first; a key with none maps to an empty list."""
        ...

    async def append(self, records: Sequence[Record]) -> set[Key]:
        """Write records (at most one per key); returns the keys whose version was already
        taken, whose records were not written."""
        ...


def _check_one_per_key(records: Sequence[Record]) -> None:
    if len({r.key for r in records}) != len(records):
        raise ValueError("append takes at most one record per entity")


class MemoryRecordStore:
    """The same contract in memory: the fast tier of handler tests."""

    def __init__(self) -> None:
        self.records: dict[Key, list[Record]] = defaultdict(list)

    async def read(self, after: Mapping[Key, int]) -> dict[Key, list[Record]]:
        return {
            key: [r for r in self.records.get(key, []) if r.version > v] for key, v in after.items()
        }

    async def append(self, records: Sequence[Record]) -> set[Key]:
        _check_one_per_key(records)
        taken: set[Key] = set()
        for record in records:
            history = self.records[record.key]
            if record.version != len(history) + 1:
                if record.version <= len(history):
                    taken.add(record.key)
                    continue
                raise ValueError(f"version {record.version} of {record.key} leaves a gap")
            history.append(record)
        return taken


class MongoRecordStore:
    """Records in one collection, `_id` from the key. Reads ask for the next few versions of
    every key by `_id` (`$in`), the one lookup every MongoDB-wire server answers from an index,
    and ask again for the keys whose window came back full."""

    WINDOW = 4  # versions asked for at first; doubled for a key whose window came back full

    def __init__(self, collection: AsyncCollection[Document]) -> None:
        self.collection = collection

    async def ensure_indexes(self) -> None:
        # Listing an entity's history without knowing its length (admin, erasure).
        await self.collection.create_index(
            [("p", ASCENDING), ("e", ASCENDING), ("v", ASCENDING)], name="history"
        )

    async def read(self, after: Mapping[Key, int]) -> dict[Key, list[Record]]:
        found: dict[Key, list[Record]] = {key: [] for key in after}
        pending = dict(after)
        window = self.WINDOW
        while pending:
            ids = [
                record_id(p, e, v)
                for (p, e), last in pending.items()
                for v in range(last + 1, last + 1 + window)
            ]
            by_id = {doc["_id"]: doc for doc in await find_by_ids(self.collection, ids)}
            following: dict[Key, int] = {}
            for (p, e), last in pending.items():
                version = last
                while (doc := by_id.get(record_id(p, e, version + 1))) is not None:
                    found[(p, e)].append(_from_document(doc))
                    version += 1
                if version == last + window:
                    following[(p, e)] = version
            pending = following
            window *= 2
        return found

    async def append(self, records: Sequence[Record]) -> set[Key]:
        _check_one_per_key(records)
        taken = await insert_new(self.collection, [_to_document(r) for r in records])
        return {records[i].key for i in taken}


def _to_document(record: Record) -> Document:
    return {
        "_id": record_id(record.partnership, record.entity, record.version),
        "p": record.partnership,
        "e": record.entity,
        "v": record.version,
        "c": opaque([dict(c) for c in record.changes]),  # see `shared.mongo.opaque`
        "events": list(record.events),
        "at": record.at,
    }


def _from_document(doc: Document) -> Record:
    changes = (
        from_opaque(doc["c"])
        if "c" in doc
        else doc["changes"]  # written before the changes were stored as one value
    )
    return Record(
        partnership=doc["p"],
        entity=doc["e"],
        version=doc["v"],
        changes=tuple(changes),
        events=tuple(doc["events"]),
        at=doc["at"],
    )


# ---------------------------------------------------------------------------------------------
# Folding records into state


class Folding(Protocol[S]):
    """How a service turns an entity's records into its state."""

    def initial(self, key: Key) -> S: ...

    def apply(self, state: S, record: Record) -> S: ...


@dataclass(frozen=True)
class Entity(Generic[S]):
    """An entity's state as of `version`, and every inbound event its history applied."""

    key: Key
    version: int
    state: S
    applied: frozenset[str]

    def then(self, record: Record, folding: Folding[S]) -> Entity[S]:
        assert record.version == self.version + 1, "records are folded in order"
        return Entity(
            self.key,
            record.version,
            folding.apply(self.state, record),
            self.applied | frozenset(record.events),
        )


class EntityCache(Generic[S]):
    """The latest known state of recently used entities, per process. A stale entry is never
    wrong, only late: appending after it conflicts, and the conflict reloads the entity."""

    def __init__(self, size: int = 100_000) -> None:
        self.size = size
        self._entries: OrderedDict[Key, Entity[S]] = OrderedDict()

    def get(self, key: Key) -> Entity[S] | None:
        entity = self._entries.get(key)
        if entity is not None:
            self._entries.move_to_end(key)
        return entity

    def put(self, entity: Entity[S]) -> None:
        current = self._entries.get(entity.key)
        if current is not None and current.version > entity.version:
            return
        self._entries[entity.key] = entity
        self._entries.move_to_end(entity.key)
        while len(self._entries) > self.size:
            self._entries.popitem(last=False)

    def drop(self, keys: Iterable[Key]) -> None:
        for key in keys:
            self._entries.pop(key, None)


class Repository(Generic[S]):
    """A record store, the service's folding and its cache: loads entities, appends records."""

    def __init__(
        self, store: RecordStore, folding: Folding[S], cache: EntityCache[S] | None = None
    ) -> None:
        self.store = store
        self.folding = folding
        self.cache: EntityCache[S] = cache if cache is not None else EntityCache()

    async def load(self, keys: Iterable[Key]) -> dict[Key, Entity[S]]:
        """The entities as their records now stand; an entity never written is at version 0
        in its initial state. The cache saves reading and folding what is known already: only
        records after the cached version are read, in one round trip for all the keys, so a
        decision (and above all a refusal) is never taken on a state another writer has moved
        on from."""
        known: dict[Key, Entity[S]] = {}
        for key in dict.fromkeys(keys):
            cached = self.cache.get(key)
            known[key] = cached or Entity(key, 0, self.folding.initial(key), frozenset())
        newer = await self.store.read({key: e.version for key, e in known.items()})
        for key, records in newer.items():
            entity = known[key]
            for record in records:
                entity = entity.then(record, self.folding)
            known[key] = entity
            self.cache.put(entity)
        return known

    async def append(self, records: Sequence[Record], after: Mapping[Key, Entity[S]]) -> set[Key]:
        """Write the records; `after` holds each entity as its record leaves it, which the
        cache takes. Returns the keys that conflicted (dropped from the cache)."""
        conflicts = await self.store.append(records)
        self.cache.drop(conflicts)
        for record in records:
            if record.key not in conflicts:
                self.cache.put(after[record.key])
        return conflicts


class UnitOfWork(Generic[S]):
    """One attempt at a batch: load entities, decide, stage at most one record per entity;
    `commit` appends them all. The caller retries the attempt on conflict (`retrying`)."""

    def __init__(self, repository: Repository[S]) -> None:
        self.repository = repository
        self.entities: dict[Key, Entity[S]] = {}
        self.staged: dict[Key, Record] = {}
        # Each staged entity folded once, when staged: folding runs the domain's validation
        # again, and reading the state back is what every handler does next.
        self.after: dict[Key, Entity[S]] = {}
        self.written: list[Record] = []

    async def load(self, keys: Iterable[Key]) -> dict[Key, Entity[S]]:
        wanted = [k for k in dict.fromkeys(keys) if k not in self.entities]
        self.entities.update(await self.repository.load(wanted))
        return {k: self.current(k) for k in dict.fromkeys(keys)}

    def current(self, key: Key) -> Entity[S]:
        """The entity with what this unit of work staged for it applied."""
        return self.after.get(key) or self.entities[key]

    def stage(
        self, key: Key, changes: Sequence[Change], events: Sequence[str], at: datetime
    ) -> Entity[S]:
        """Add changes (caused by `events`) to the entity's next record; returns its state."""
        entity = self.entities[key]
        staged = self.staged.get(key)
        record = Record(
            partnership=key[0],
            entity=key[1],
            version=entity.version + 1,
            changes=(*(staged.changes if staged else ()), *changes),
            events=tuple(dict.fromkeys((*(staged.events if staged else ()), *events))),
            at=at,
        )
        self.staged[key] = record
        self.after[key] = entity.then(record, self.repository.folding)
        return self.after[key]

    async def commit(self) -> set[Key]:
        if not self.staged:
            return set()
        records = list(self.staged.values())
        conflicts = await self.repository.append(records, self.after)
        for record in records:
            if record.key not in conflicts:
                self.entities[record.key] = self.after[record.key]
                self.written.append(record)
        self.staged, self.after = {}, {}
        return conflicts


class TooManyConflicts(RuntimeError):
    """Other writers kept taking the same versions; transient, so the batch is retried."""


MAX_ATTEMPTS = 20


async def retrying(
    repository: Repository[S],
    attempt: Callable[[UnitOfWork[S]], Awaitable[T]],
    *,
    attempts: int = MAX_ATTEMPTS,
    written: list[Record] | None = None,
) -> T:
    """Run `attempt(uow)` and commit, again until nothing conflicts. A conflicting entity is
    dropped from the cache, so the next try reloads it; records committed by an earlier try are
    part of the history it loads, so their events are recognised as applied, not recorded
    twice. `written`, when given, receives every record committed on the way."""
    for _ in range(attempts):
        uow = UnitOfWork(repository)
        result = await attempt(uow)
        conflicts = await uow.commit()
        if written is not None:
            written += uow.written
        if not conflicts:
            return result
    raise TooManyConflicts(f"still conflicting after {attempts} attempts")

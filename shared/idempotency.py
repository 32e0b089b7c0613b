"""Apply an event to a document at most once.

Neither FerretDB nor a standalone MongoDB gives us multi-document transactions, so the guard
lives in the document the event changes: the event id is added to the document's `_events`
in the same atomic update as the change, and the update only matches while that id is
absent. A redelivered event then matches nothing; as an upsert it collides with the existing
`_id`, and that duplicate-key error is the 'already applied' answer.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from pymongo import UpdateOne
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.errors import BulkWriteError, DuplicateKeyError

from shared.mongo import DUPLICATE_KEY, chunks, find_by_ids, insert_new

APPLIED_FIELD = "_events"


@dataclass(frozen=True)
class Change:
    """`update` (a MongoDB update document) applied to document `doc_id` because of `event_id`."""

    doc_id: str
    event_id: str
    update: dict[str, Any]


def _guarded(change: Change) -> tuple[dict[str, Any], dict[str, Any]]:
    update = dict(change.update)
    push = dict(update.get("$push", {}))
    push[APPLIED_FIELD] = change.event_id
    update["$push"] = push
    return {"_id": change.doc_id, APPLIED_FIELD: {"$ne": change.event_id}}, update


async def apply_once(
    collection: AsyncCollection[Any], change: Change, *, upsert: bool = True
) -> bool:
    """True when the change was applied now, False when it had been applied before."""
    query, update = _guarded(change)
    try:
        result = await collection.update_one(query, update, upsert=upsert)
    except DuplicateKeyError:
        return False
    return bool(result.modified_count or result.upserted_id is not None)


async def apply_many(collection: AsyncCollection[Any], changes: Sequence[Change]) -> list[bool]:
    """Apply a batch as upserts; returns, per change, whether it was applied now.

    Changes already recorded in their documents are skipped after one read. The rest run in
    rounds, the k-th change of every document in round k, so no round holds two changes to
    one document (their order is kept) and a duplicate-key error can only mean 'applied by
    someone else meanwhile'."""
    applied = [False] * len(changes)
    seen: set[tuple[str, str]] = set()
    existing: set[str] = set()
    for doc in await find_by_ids(collection, [c.doc_id for c in changes], {APPLIED_FIELD: 1}):
        existing.add(doc["_id"])
        seen.update((doc["_id"], e) for e in doc.get(APPLIED_FIELD, ()))
    per_doc: dict[str, list[int]] = defaultdict(list)
    for index, change in enumerate(changes):
        if (change.doc_id, change.event_id) not in seen:
            seen.add((change.doc_id, change.event_id))  # the same event twice in one batch
            per_doc[change.doc_id].append(index)
    depth = max((len(v) for v in per_doc.values()), default=0)
    for round_no in range(depth):
        indices = [v[round_no] for v in per_doc.values() if len(v) > round_no]
        if round_no == 0:
            # A document not there yet is inserted whole: an insert is cheap everywhere, while
            # stock FerretDB 1.24 answers each upsert with a scan of the collection.
            fresh = [i for i in indices if changes[i].doc_id not in existing]
            for index, ok in zip(fresh, await _insert_new(collection, fresh, changes), strict=True):
                applied[index] = ok
            indices = [i for i in indices if changes[i].doc_id in existing]
        for index, ok in zip(
            indices, await _apply_round(collection, [changes[i] for i in indices]), strict=True
        ):
            applied[index] = ok
    return applied


def as_new_document(change: Change) -> dict[str, Any] | None:
    """The document `change` creates when applied to nothing, or None when its update uses an
    operator this does not evaluate."""
    doc: dict[str, Any] = {"_id": change.doc_id}
    for op, fields in change.update.items():
        for path, value in fields.items():
            if op in ("$set", "$setOnInsert", "$inc", "$max", "$min"):
                new = value
            elif op in ("$push", "$addToSet"):
                new = (
                    list(value["$each"])
                    if isinstance(value, dict) and "$each" in value
                    else [value]
                )
            else:
                return None
            target = doc
            *parents, leaf = path.split(".")
            for part in parents:
                target = target.setdefault(part, {})
                if not isinstance(target, dict):
                    return None
            if op == "$setOnInsert" and leaf in target:
                continue
            target[leaf] = new
    doc.setdefault(APPLIED_FIELD, []).append(change.event_id)
    return doc


async def _insert_new(
    collection: AsyncCollection[Any], indices: list[int], changes: Sequence[Change]
) -> list[bool]:
    docs = {i: doc for i in indices if (doc := as_new_document(changes[i])) is not None}
    insertable = list(docs)
    taken = {insertable[k] for k in await insert_new(collection, list(docs.values()))}
    # Created meanwhile by someone else, or not expressible as an insert: the guarded path.
    rest = [i for i in indices if i in taken or i not in docs]
    results = dict(
        zip(rest, await _apply_round(collection, [changes[i] for i in rest]), strict=True)
    )
    return [results.get(i, True) for i in indices]


async def _apply_round(collection: AsyncCollection[Any], changes: list[Change]) -> list[bool]:
    applied: list[bool] = []
    for part in chunks(changes):
        applied += await _apply_chunk(collection, list(part))
    return applied


async def _apply_chunk(collection: AsyncCollection[Any], changes: list[Change]) -> list[bool]:
    ops = [UpdateOne(*_guarded(c), upsert=True) for c in changes]
    try:
        await collection.bulk_write(ops, ordered=False)
    except BulkWriteError as exc:
        failed = set()
        for err in exc.details.get("writeErrors", []):
            if err.get("code") != DUPLICATE_KEY:
                raise
            failed.add(err["index"])
        return [i not in failed for i in range(len(changes))]
    except KeyError:
        # FerretDB leaves `nModified` out of a bulk reply that carries a write error, which
        # PyMongo cannot merge; the ops are idempotent, so settle each one on its own.
        return [await apply_once(collection, c) for c in changes]
    # An upsert either matches (and its $push modifies) or inserts: every op was applied.
    return [True] * len(changes)

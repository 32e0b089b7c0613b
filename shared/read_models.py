"""Read models: documents derived from entity records for queries, written newest-wins.

A read model is never the source of truth (the records are), so it needs no idempotency
guard: each document carries the version of the history it shows, and a write replaces it only
with a newer one. A writer holding an older version is simply too late.
"""

from __future__ import annotations

import contextlib
from collections.abc import Sequence
from typing import Any

from pymongo import ReplaceOne
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.errors import BulkWriteError, DuplicateKeyError

from shared.mongo import DUPLICATE_KEY, Document, chunks, insert_new

VERSION = "version"


async def write_newest(collection: AsyncCollection[Any], docs: Sequence[Document]) -> None:
    """Store each document unless the stored one has the same or a newer `version`.

    Version 1 is inserted (cheap everywhere); a later version replaces an older one by
    `{_id, version < new}` with upsert, whose duplicate-key error means 'a newer one is there'.
    """
    latest: dict[Any, Document] = {}
    for doc in docs:
        held = latest.get(doc["_id"])
        if held is None or held[VERSION] < doc[VERSION]:
            latest[doc["_id"]] = doc
    firsts = [d for d in latest.values() if d[VERSION] == 1]
    taken = {firsts[i]["_id"] for i in await insert_new(collection, firsts)}
    later = [d for d in latest.values() if d[VERSION] > 1 or d["_id"] in taken]
    for part in chunks(later):
        await _replace_older(collection, list(part))


async def _replace_older(collection: AsyncCollection[Any], docs: list[Document]) -> None:
    ops = [
        ReplaceOne({"_id": d["_id"], VERSION: {"$lt": d[VERSION]}}, d, upsert=True) for d in docs
    ]
    try:
        await collection.bulk_write(ops, ordered=False)
    except BulkWriteError as exc:
        if any(e.get("code") != DUPLICATE_KEY for e in exc.details.get("writeErrors", [])):
            raise
    except KeyError:
        # FerretDB leaves `nModified` out of a bulk reply that carries a write error, which
        # PyMongo cannot merge; each replace is idempotent, so settle them one by one.
        for doc in docs:
            with contextlib.suppress(DuplicateKeyError):
                await collection.replace_one(
                    {"_id": doc["_id"], VERSION: {"$lt": doc[VERSION]}}, doc, upsert=True
                )

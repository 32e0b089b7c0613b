"""MongoDB clients. An AsyncMongoClient belongs to the event loop that made it, so clients are
made by the running service (or test), never at import time."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator, Sequence
from typing import Any, TypeVar

from pymongo import AsyncMongoClient
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import ConnectionFailure, OperationFailure, PyMongoError

Document = dict[str, Any]
T = TypeVar("T")


def create_client(url: str, *, app_name: str) -> AsyncMongoClient[Document]:
    return AsyncMongoClient(
        url,
        appname=app_name,
        serverSelectionTimeoutMS=5_000,
        connectTimeoutMS=5_000,
        tz_aware=True,
    )


def is_transient(exc: BaseException) -> bool:
    """A database error that will pass by itself (server restarting, network blip)."""
    if isinstance(exc, ConnectionFailure):
        return True
    if isinstance(exc, OperationFailure):
        return False
    return isinstance(exc, PyMongoError) and exc.has_error_label("RetryableWriteError")


# FerretDB 1.x (SQLite) holds one pooled connection per statement of a write command until the
# command ends, from a pool of 100 per database: an update command of 100 statements on
# existing documents waits forever for a connection, and the server's metadata lock with it.
# Writes are therefore sent in commands of at most this many statements.
MAX_WRITE_BATCH = 20


def chunks(ops: Sequence[T], size: int = MAX_WRITE_BATCH) -> Iterator[Sequence[T]]:
    for start in range(0, len(ops), size):
        yield ops[start : start + size]


_FERRETDB: dict[int, bool] = {}


async def is_ferretdb(db: AsyncDatabase[Document]) -> bool:
    """Whether `db` is served by FerretDB (asked once per client). FerretDB 1.x plans queries
    differently from MongoDB, and the write and read paths below pick what is fast on each."""
    key = id(db.client)
    if key not in _FERRETDB:
        info = await db.command("buildInfo")
        _FERRETDB[key] = "ferretdbVersion" in info
    return _FERRETDB[key]


async def find_by_ids(
    collection: AsyncCollection[Document],
    ids: Sequence[str],
    projection: dict[str, Any] | None = None,
) -> list[Document]:
    """The documents with these ids. Stock FerretDB 1.24 scans the whole collection for `$in`
    but can find a single `_id` cheaply, so there the ids are looked up one by one,
    concurrently (the local stack's patched FerretDB would manage `$in` too)."""
    ids = list(dict.fromkeys(ids))
    if not ids:
        return []
    if not await is_ferretdb(collection.database):
        return [d async for d in collection.find({"_id": {"$in": ids}}, projection)]
    gate = asyncio.Semaphore(16)

    async def one(doc_id: str) -> Document | None:
        async with gate:
            return await collection.find_one({"_id": doc_id}, projection)

    return [d for d in await asyncio.gather(*(one(i) for i in ids)) if d is not None]

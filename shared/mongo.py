"""MongoDB clients. An AsyncMongoClient belongs to the event loop that made it, so clients are
made by the running service (or test), never at import time."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import UTC
from typing import Any, TypeVar

import bson
from bson import Binary
from bson.codec_options import CodecOptions
from pymongo import AsyncMongoClient
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.errors import BulkWriteError, ConnectionFailure, OperationFailure, PyMongoError

Document = dict[str, Any]
T = TypeVar("T")
DUPLICATE_KEY = 11000


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
# Inserts are not affected: FerretDB writes an insert command's documents in one transaction
# (one connection), and one command of 500 took half the time of 25 commands of 20.
MAX_INSERT_BATCH = 500


def chunks(ops: Sequence[T], size: int = MAX_WRITE_BATCH) -> Iterator[Sequence[T]]:
    for start in range(0, len(ops), size):
        yield ops[start : start + size]


# Ids per `$in` read: below the 1,000 the local FerretDB pushes down to its `_id` index
# (`ops.ferretdb_patch`).
MAX_READ_BATCH = 500


async def find_by_ids(
    collection: AsyncCollection[Document],
    ids: Sequence[str],
    projection: dict[str, Any] | None = None,
) -> list[Document]:
    """The documents with these ids, by `$in` in reads of at most `MAX_READ_BATCH` ids.
    MongoDB and the local stack's FerretDB answer from the `_id` index. Stock FerretDB 1.24
    uses no index at all (not even for a single `_id`, which only looks fast for documents
    near the start of the table), so one scan per read is the least it costs there."""
    ids = list(dict.fromkeys(ids))
    found: list[Document] = []
    for part in chunks(ids, MAX_READ_BATCH):
        found += [d async for d in collection.find({"_id": {"$in": list(part)}}, projection)]
    return found


async def insert_new(
    collection: AsyncCollection[Any], docs: Sequence[Document], size: int = MAX_INSERT_BATCH
) -> list[int]:
    """Insert documents whose `_id` may be there already (a redelivery, a concurrent writer),
    in unordered commands of at most `size`; returns the positions in `docs` of those that
    were there (left as they were), for the caller to update, re-plan or ignore.

    Inserts, not upserts: an insert is cheap everywhere, while stock FerretDB 1.24 answers
    each upsert with a scan of the collection. FerretDB can also answer a partly duplicate
    write with a reply PyMongo cannot merge (a KeyError): then which ones were there is not
    known, and every position of that command is returned once all its ids are found."""
    taken: list[int] = []
    for start in range(0, len(docs), size):
        part = list(docs[start : start + size])
        try:
            await collection.insert_many(part, ordered=False)
        except BulkWriteError as exc:
            errors = exc.details.get("writeErrors", [])
            if any(e.get("code") != DUPLICATE_KEY for e in errors):
                raise
            taken += [start + e["index"] for e in errors]
        except KeyError:
            ids = [d["_id"] for d in part]
            if len(await find_by_ids(collection, ids, {"_id": 1})) != len(set(ids)):
                raise
            taken += range(start, start + len(part))
    return taken


# Values the database never looks inside (a record's changes, a log entry's updates) are
# stored as one BSON binary: FerretDB converts a nested document field by field, which made
# inserts twice and reads 2.4 times as slow.
_OPAQUE: CodecOptions[dict[str, Any]] = CodecOptions(tz_aware=True, tzinfo=UTC)


def opaque(values: Sequence[Any]) -> Binary:
    return Binary(bson.encode({"v": list(values)}))


def from_opaque(blob: bytes) -> list[Any]:
    """What `opaque` stored, as it reads back (dates tz-aware, to the millisecond)."""
    return list(bson.decode(blob, codec_options=_OPAQUE)["v"])

"""Concurrent writers of one document lose nothing: every acknowledged update, increment,
upsert and claim is in the data, as on MongoDB. Stock FerretDB 1.x does not make these
read-modify-writes atomic; the local stack's build holds a lock per collection
(`ops.ferretdb_patch`). Each test runs on the suite's database and on the second
server (SecantusDB)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import pytest
from pymongo import AsyncMongoClient, ReturnDocument
from pymongo.asynchronous.collection import AsyncCollection

from ops.system import Infra

WRITERS = 4
Coll = AsyncCollection[dict[str, Any]]


@pytest.fixture(params=["suite-db", "secantusdb"])
def mongo_url(request: pytest.FixtureRequest) -> str:
    if request.param == "suite-db":
        infra: Infra = request.getfixturevalue("infra")
        return infra.mongodb_url
    url: str = request.getfixturevalue("second_mongo_url")
    return url


@pytest.fixture
async def collections(mongo_url: str, run_id: str) -> AsyncIterator[list[Coll]]:
    """The same collection seen through one client per writer, in a database of the test's own."""
    clients: list[AsyncMongoClient[dict[str, Any]]] = [
        AsyncMongoClient(mongo_url) for _ in range(WRITERS)
    ]
    try:
        yield [client[f"t{run_id}_concurrent"]["docs"] for client in clients]
    finally:
        await clients[0].drop_database(f"t{run_id}_concurrent")
        for client in clients:
            await client.close()


async def _all_at_once(colls: list[Coll], writer: Callable[[Coll], Awaitable[None]]) -> None:
    await asyncio.gather(*(writer(coll) for coll in colls))


async def test_version_guarded_updates_are_never_lost(collections: list[Coll]) -> None:
    await collections[0].insert_one({"_id": "counter", "n": 0, "_rev": 0})
    wanted, claimed, acknowledged, conflicts = 1000, 0, 0, 0

    async def writer(coll: Coll) -> None:
        nonlocal claimed, acknowledged, conflicts
        while claimed < wanted:
            claimed += 1
            while True:  # retry on conflict until this increment is acknowledged
                seen = await coll.find_one({"_id": "counter"})
                assert seen is not None
                done = await coll.find_one_and_update(
                    {"_id": "counter", "_rev": seen["_rev"]},
                    {"$set": {"n": seen["n"] + 1}, "$inc": {"_rev": 1}},
                    return_document=ReturnDocument.AFTER,
                )
                if done is not None:
                    acknowledged += 1
                    break
                conflicts += 1

    await _all_at_once(collections, writer)

    final = await collections[0].find_one({"_id": "counter"}, {"_id": 0})
    assert acknowledged == wanted
    assert final == {"n": acknowledged, "_rev": acknowledged}, f"{conflicts} conflicts retried"


async def test_increments_are_never_lost(collections: list[Coll]) -> None:
    """Half the writers find the document by `_id`, half by another field (the local FerretDB
    locks one document for the first and the whole collection for the second)."""
    await collections[0].insert_one({"_id": "counter", "name": "counter", "n": 0})
    acknowledged = 0

    async def writer(coll: Coll, by: dict[str, str]) -> None:
        nonlocal acknowledged
        for _ in range(500):
            result = await coll.update_one(by, {"$inc": {"n": 1}})
            acknowledged += result.modified_count

    await asyncio.gather(
        *(
            writer(coll, {"_id": "counter"} if i % 2 else {"name": "counter"})
            for i, coll in enumerate(collections)
        )
    )

    final = await collections[0].find_one({"_id": "counter"}, {"_id": 0, "n": 1})
    assert acknowledged == WRITERS * 500
    assert final == {"n": acknowledged}


async def test_concurrent_upserts_of_one_id_make_one_document_holding_every_increment(
    collections: list[Coll],
) -> None:
    keys = [f"k{i}" for i in range(100)]

    async def writer(coll: Coll) -> None:
        for key in keys:
            await coll.update_one({"_id": key}, {"$inc": {"n": 1}}, upsert=True)

    await _all_at_once(collections, writer)

    stored = {d["_id"]: d["n"] async for d in collections[0].find({})}
    assert stored == dict.fromkeys(keys, WRITERS)


async def test_each_document_is_claimed_by_exactly_one_writer(collections: list[Coll]) -> None:
    """findAndModify with remove, the usual way to take work from a shared queue."""
    await collections[0].insert_many([{"_id": i} for i in range(400)])
    claims: list[int] = []

    async def writer(coll: Coll) -> None:
        while (taken := await coll.find_one_and_delete({})) is not None:
            claims.append(taken["_id"])

    await _all_at_once(collections, writer)

    assert sorted(claims) == list(range(400))
    assert await collections[0].count_documents({}) == 0

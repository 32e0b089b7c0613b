"""Lookups by `_id` give MongoDB's answers on the database under test. The local stack's
FerretDB narrows these queries to its `_id` index (`ops.ferretdb_patch`); the rest of
the filter must still apply."""

from __future__ import annotations

from typing import Any

from bson import ObjectId
from pymongo import AsyncMongoClient

from ops.system import Infra
from shared.mongo import insert_new


async def test_id_filters_match_exactly_what_mongodb_matches(infra: Infra, run_id: str) -> None:
    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(infra.mongodb_url)
    try:
        coll = client[f"t{run_id}_ids"]["docs"]
        oid = ObjectId()
        await coll.insert_many(
            [{"_id": f"k{i}", "n": i, "_rev": 1} for i in range(300)]
            + [{"_id": 7, "n": -7}, {"_id": oid, "n": -1}]
        )

        async def ids(flt: dict[str, Any]) -> list[Any]:
            return sorted([d["_id"] async for d in coll.find(flt)], key=str)

        assert await ids({"_id": "k250"}) == ["k250"]
        assert await ids({"_id": oid}) == [oid]
        assert await ids({"_id": "k250", "n": 250}) == ["k250"]
        assert await ids({"_id": "k250", "n": 1}) == []
        assert await ids({"_id": {"$in": ["k1", "k299", "nope", oid]}}) == sorted(
            ["k1", "k299", oid], key=str
        )
        assert await ids({"_id": {"$in": ["k1", 7]}}) == [7, "k1"]  # mixed types
        assert await ids({"_id": {"$in": ["k1", "k2"]}, "n": {"$gt": 1}}) == ["k2"]
        assert await ids({"_id": {"$in": []}}) == []
        assert await ids({"_id": {"$gte": "k97"}}) == ["k97", "k98", "k99"]
        assert (
            await coll.count_documents({"_id": {"$in": [f"k{i}" for i in range(0, 300, 2)]}}) == 150
        )

        # An update guarded by a revision applies once; a stale revision matches nothing.
        first = await coll.update_one(
            {"_id": "k260", "_rev": 1}, {"$set": {"x": 1}, "$inc": {"_rev": 1}}
        )
        stale = await coll.update_one(
            {"_id": "k260", "_rev": 1}, {"$set": {"x": 2}, "$inc": {"_rev": 1}}
        )
        assert (first.matched_count, stale.matched_count) == (1, 0)
        assert await coll.find_one({"_id": "k260"}, {"_id": 0}) == {"n": 260, "_rev": 2, "x": 1}

        deleted = await coll.delete_many({"_id": {"$in": ["k3", "k4"]}, "n": 3})
        assert deleted.deleted_count == 1
        assert await coll.count_documents({}) == 301
    finally:
        await client.drop_database(f"t{run_id}_ids")
        await client.close()


async def test_insert_new_reports_the_documents_already_there_and_leaves_them(
    infra: Infra, run_id: str
) -> None:
    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(infra.mongodb_url)
    try:
        coll = client[f"t{run_id}_insert_new"]["docs"]
        assert await insert_new(coll, [{"_id": "a", "v": 1}, {"_id": "c", "v": 1}]) == []
        docs = [{"_id": k, "v": 2} for k in ("a", "b", "c", "d", "e")]
        # commands of two: the positions are in the caller's list, across commands
        assert sorted(await insert_new(coll, docs, size=2)) == [0, 2]
        stored = {d["_id"]: d["v"] async for d in coll.find({})}
        assert stored == {"a": 1, "b": 2, "c": 1, "d": 2, "e": 2}
    finally:
        await client.drop_database(f"t{run_id}_insert_new")
        await client.close()

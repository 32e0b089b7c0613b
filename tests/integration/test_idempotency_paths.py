"""The fast paths of idempotent writes (insert for new documents, one-by-one reads on
FerretDB) give the same documents as the guarded upserts."""

from __future__ import annotations

from typing import Any

from pymongo import AsyncMongoClient

from shared.idempotency import Change, apply_many, as_new_document
from shared.ops.system import Infra


def test_new_documents_are_built_like_an_upsert_would() -> None:
    change = Change(
        "c1",
        "e1",
        {
            "$set": {"a": 1, "b.c": 2},
            "$setOnInsert": {"a": 9, "d": 3},
            "$push": {"t": {"$each": [1, 2]}, "u": 5},
            "$inc": {"n": 4},
        },
    )
    assert as_new_document(change) == {
        "_id": "c1",
        "a": 1,
        "b": {"c": 2},
        "d": 3,
        "t": [1, 2],
        "u": [5],
        "n": 4,
        "_events": ["e1"],
    }
    assert as_new_document(Change("c1", "e1", {"$rename": {"a": "b"}})) is None


async def test_batches_mixing_new_and_existing_documents(infra: Infra, run_id: str) -> None:
    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(infra.mongodb_url)
    try:
        coll = client[f"t{run_id}_paths"]["docs"]
        first = [
            Change(f"d{i}", f"e{i}", {"$set": {"v": i}, "$push": {"log": i}}) for i in range(45)
        ]
        assert all(await apply_many(coll, first))
        second = [
            *[Change(f"d{i}", f"f{i}", {"$push": {"log": -i}}) for i in range(0, 45, 3)],
            *[Change(f"n{i}", f"g{i}", {"$set": {"v": i}}) for i in range(30)],
            *first[:5],  # redelivered
        ]
        result = await apply_many(coll, second)
        assert result == [True] * 45 + [False] * 5
        docs = {d["_id"]: d async for d in coll.find({})}
        assert len(docs) == 75
        assert docs["d3"]["log"] == [3, -3]
        assert docs["d4"]["log"] == [4]
        assert docs["n7"]["v"] == 7
    finally:
        await client.drop_database(f"t{run_id}_paths")
        await client.close()

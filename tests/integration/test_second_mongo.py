"""The second MongoDB-wire server the contract tests run against answers like MongoDB."""

from __future__ import annotations

from typing import Any

import pytest
from pymongo import AsyncMongoClient
from pymongo.errors import DuplicateKeyError


async def test_the_second_server_stores_documents_and_refuses_a_duplicate_id(
    second_mongo_url: str, run_id: str
) -> None:
    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(second_mongo_url)
    try:
        assert (await client.admin.command("ping"))["ok"] == 1
        coll = client[f"t{run_id}_second"]["docs"]
        await coll.insert_one({"_id": "a", "n": 1})
        assert await coll.find_one({"_id": "a"}) == {"_id": "a", "n": 1}
        with pytest.raises(DuplicateKeyError):
            await coll.insert_one({"_id": "a", "n": 2})
        assert [d async for d in coll.find({})] == [{"_id": "a", "n": 1}]
    finally:
        await client.drop_database(f"t{run_id}_second")
        await client.close()

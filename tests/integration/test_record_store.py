"""The record store contract on real database servers, through the network: the suite's
(FerretDB on the local stack, MongoDB in compose) and a second MongoDB-wire server (SecantusDB,
MongoDB 8.2 semantics), so code that holds here holds on both."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from ops.system import Infra
from shared.mongo import create_client
from shared.read_models import write_newest
from shared.records import MongoRecordStore
from tests.support.record_store_contract import RecordStoreContract


async def _store(url: str, run_id: str) -> AsyncIterator[MongoRecordStore]:
    client = create_client(url, app_name="contract")
    try:
        store = MongoRecordStore(client[f"t{run_id}_records"]["records"])
        await store.ensure_indexes()
        yield store
    finally:
        await client.drop_database(f"t{run_id}_records")
        await client.close()


class TestMongoRecordStore(RecordStoreContract):
    @pytest.fixture
    async def store(self, infra: Infra, run_id: str) -> AsyncIterator[MongoRecordStore]:
        async for store in _store(infra.mongodb_url, run_id):
            yield store


class TestRecordStoreOnASecondServer(RecordStoreContract):
    @pytest.fixture
    async def store(self, second_mongo_url: str, run_id: str) -> AsyncIterator[MongoRecordStore]:
        async for store in _store(second_mongo_url, run_id):
            yield store


async def test_a_read_model_takes_only_newer_versions(infra: Infra, run_id: str) -> None:
    client = create_client(infra.mongodb_url, app_name="contract")
    try:
        latest = client[f"t{run_id}_records"]["latest"]
        await write_newest(latest, [{"_id": "r1", "version": 1, "n": 1}])
        await write_newest(latest, [{"_id": "r1", "version": 3, "n": 3}])
        # A writer that decided on version 2 arrives late, and a copy of version 1 again.
        await write_newest(latest, [{"_id": "r1", "version": 2, "n": 2}])
        await write_newest(latest, [{"_id": "r1", "version": 1, "n": 1}])
        assert await latest.find_one({"_id": "r1"}) == {"_id": "r1", "version": 3, "n": 3}
        # In one call, only the newest of several versions of a document is written.
        await write_newest(latest, [{"_id": "r2", "version": v, "n": v} for v in (2, 5, 4)])
        assert (await latest.find_one({"_id": "r2"}) or {})["n"] == 5
    finally:
        await client.drop_database(f"t{run_id}_records")
        await client.close()

"""The record store contract on the real database server, through the network."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from shared.mongo import create_client
from shared.ops.system import Infra
from shared.records import MongoRecordStore
from tests.support.record_store_contract import RecordStoreContract


class TestMongoRecordStore(RecordStoreContract):
    @pytest.fixture
    async def store(self, infra: Infra, run_id: str) -> AsyncIterator[MongoRecordStore]:
        client = create_client(infra.mongodb_url, app_name="contract")
        try:
            store = MongoRecordStore(client[f"t{run_id}_records"]["records"])
            await store.ensure_indexes()
            yield store
        finally:
            await client.drop_database(f"t{run_id}_records")
            await client.close()

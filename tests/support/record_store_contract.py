"""The contract every record store keeps, written once and run against each store: the
in-memory one of the handler tests, and the real database servers (as the eventsourcing
library runs one suite against every recorder), so a fake can never drift from the real thing.
A subclass provides the `store` fixture."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import pytest

from shared.records import Record, RecordStore

AT = datetime(2026, 11, 9, 10, 0, tzinfo=UTC)


def rec(
    entity: str, version: int, *, partnership: str = "p01", events: tuple[str, ...] = ()
) -> Record:
    return Record(
        partnership=partnership,
        entity=entity,
        version=version,
        changes=({"kind": "noted", "n": version, "nested": {"list": [1, "two"]}},),
        events=events or (f"ev-{entity}-{version}",),
        at=AT,
    )


class RecordStoreContract:
    async def test_an_entity_never_written_has_no_records(self, store: RecordStore) -> None:
        assert await store.read({("p01", "nobody"): 0}) == {("p01", "nobody"): []}

    async def test_records_come_back_as_written_and_in_order(self, store: RecordStore) -> None:
        for version in range(1, 11):  # more than one read window
            assert await store.append([rec("e-1", version)]) == set()
        [history] = (await store.read({("p01", "e-1"): 0})).values()
        assert [r.version for r in history] == list(range(1, 11))
        assert history[0] == rec("e-1", 1)
        assert history[0].at == AT

    async def test_reading_after_a_version_gives_only_newer_records(
        self, store: RecordStore
    ) -> None:
        for version in (1, 2, 3):
            await store.append([rec("e-1", version)])
        found = await store.read({("p01", "e-1"): 2, ("p01", "e-2"): 0})
        assert [r.version for r in found[("p01", "e-1")]] == [3]
        assert found[("p01", "e-2")] == []

    async def test_a_version_already_taken_is_a_conflict_and_the_first_stays(
        self, store: RecordStore
    ) -> None:
        await store.append([rec("e-1", 1, events=("first",))])
        taken = await store.append([rec("e-1", 1, events=("second",)), rec("e-2", 1)])
        assert taken == {("p01", "e-1")}
        found = await store.read({("p01", "e-1"): 0, ("p01", "e-2"): 0})
        assert [r.events for r in found[("p01", "e-1")]] == [("first",)]
        assert len(found[("p01", "e-2")]) == 1  # the rest of the call was written

    async def test_of_many_concurrent_writers_of_one_version_exactly_one_wins(
        self, store: RecordStore
    ) -> None:
        writers = [store.append([rec("e-1", 1, events=(f"w{n}",))]) for n in range(8)]
        results = await asyncio.gather(*writers)
        assert sum(1 for taken in results if not taken) == 1
        assert len((await store.read({("p01", "e-1"): 0}))[("p01", "e-1")]) == 1

    async def test_partnerships_and_odd_characters_never_collide(self, store: RecordStore) -> None:
        keys = [("p/1", "e"), ("p", "1/e"), ("p01", 'e"1'), ("p02", 'e"1'), ("p01", "é-ø")]
        for partnership, entity in keys:
            assert await store.append([rec(entity, 1, partnership=partnership)]) == set()
        found = await store.read(dict.fromkeys(keys, 0))
        for key in keys:
            [only] = found[key]
            assert only.key == key

    async def test_two_records_of_one_entity_in_one_call_are_refused(
        self, store: RecordStore
    ) -> None:
        with pytest.raises(ValueError, match="at most one record per entity"):
            await store.append([rec("e-1", 1), rec("e-1", 2)])

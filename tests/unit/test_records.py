"""The record model without infrastructure: the memory store keeps the store contract, and a
repository's units of work recognise redelivered events, retry conflicts and lose nothing."""

from __future__ import annotations

import dataclasses

import pytest

from shared.records import (
    Key,
    MemoryRecordStore,
    Record,
    Repository,
    TooManyConflicts,
    UnitOfWork,
    retrying,
)
from tests.support.record_store_contract import AT, RecordStoreContract


class TestMemoryRecordStore(RecordStoreContract):
    @pytest.fixture
    def store(self) -> MemoryRecordStore:
        return MemoryRecordStore()


@dataclasses.dataclass(frozen=True)
class Tally:
    notes: tuple[str, ...] = ()


class Tallying:
    def initial(self, key: Key) -> Tally:
        return Tally()

    def apply(self, state: Tally, record: Record) -> Tally:
        return Tally(state.notes + tuple(c["note"] for c in record.changes))


KEY = ("p01", "e-1")


def note(uow: UnitOfWork[Tally], event_id: str) -> None:
    """Stage one note for `event_id`, unless the history already applied that event."""
    if event_id not in uow.current(KEY).applied:
        uow.stage(KEY, [{"note": event_id}], [event_id], AT)


async def test_a_redelivered_event_is_recognised_from_the_history() -> None:
    repository = Repository(MemoryRecordStore(), Tallying())

    async def attempt(uow: UnitOfWork[Tally]) -> Tally:
        await uow.load([KEY])
        note(uow, "ev-1")
        return uow.current(KEY).state

    assert (await retrying(repository, attempt)).notes == ("ev-1",)
    assert (await retrying(repository, attempt)).notes == ("ev-1",)
    fresh = Repository(repository.store, Tallying())  # another process, nothing cached
    assert (await retrying(fresh, attempt)).notes == ("ev-1",)


async def test_two_writers_of_one_entity_both_land_whatever_their_caches_say() -> None:
    store = MemoryRecordStore()
    one, two = Repository(store, Tallying()), Repository(store, Tallying())
    for repository in (one, two):  # both cache version 0
        await repository.load([KEY])

    def writing(event_id: str):  # type: ignore[no-untyped-def]
        async def attempt(uow: UnitOfWork[Tally]) -> None:
            await uow.load([KEY])
            note(uow, event_id)

        return attempt

    await retrying(one, writing("from-http"))
    await retrying(two, writing("from-kafka"))  # its cache is stale: conflict, reload, append
    [history] = (await store.read({KEY: 0})).values()
    assert [r.events for r in history] == [("from-http",), ("from-kafka",)]


async def test_several_changes_to_one_entity_in_a_unit_of_work_make_one_record() -> None:
    repository = Repository(MemoryRecordStore(), Tallying())

    async def attempt(uow: UnitOfWork[Tally]) -> Tally:
        await uow.load([KEY])
        for event_id in ("a", "b", "a"):
            note(uow, event_id)
        return uow.current(KEY).state

    assert (await retrying(repository, attempt)).notes == ("a", "b")
    [history] = (await repository.store.read({KEY: 0})).values()
    assert [r.events for r in history] == [("a", "b")]


async def test_a_writer_that_always_loses_gives_up_with_a_transient_error() -> None:
    class Taken(MemoryRecordStore):
        async def append(self, records):  # type: ignore[no-untyped-def]
            return {r.key for r in records}

    async def attempt(uow: UnitOfWork[Tally]) -> None:
        await uow.load([KEY])
        note(uow, "ev")

    with pytest.raises(TooManyConflicts):
        await retrying(Repository(Taken(), Tallying()), attempt, attempts=3)

"""Intake's handler over a unit of work, with the in-memory record store: the fast tier.
The same paths run on the real broker and database in tests/integration/intake."""

from __future__ import annotations

from datetime import timedelta

import pytest

from services.intake import domain
from services.intake.handlers import ACCEPTED, record_batch
from services.intake.overdue import mark_overdue
from services.intake.store import ContactFolding
from shared.contracts import decode_inbound
from shared.contracts.intake import DECIDED, DECISION_OVERDUE, RECEIVED
from shared.events import Envelope, encode
from shared.records import MemoryRecordStore, Repository
from shared.rejections import Rejected
from tests.unit.intake.factories import at, contact, decision, inbound, vist

NOW = at(2026, 11, 12, 12)
SKEW = timedelta(minutes=5)
KEY = ("glos", "c-1")


def repository(store: MemoryRecordStore | None = None) -> Repository[domain.ContactFile]:
    return Repository(store or MemoryRecordStore(), ContactFolding())


def lifecycle(*events: Envelope) -> list[tuple[Envelope, domain.Lifecycle]]:
    decoded = [decode_inbound(encode(e), ACCEPTED) for e in events]
    return [(d.envelope, d.data) for d in decoded]  # type: ignore[misc]


async def test_a_decision_before_its_contact_is_announced_when_the_contact_arrives() -> None:
    repo = repository()
    first = await record_batch(repo, lifecycle(inbound("decision", decision())), now=NOW, skew=SKEW)
    assert first.outgoing == []
    assert first.receipts[0].status == "awaiting-contact"
    then = await record_batch(repo, lifecycle(inbound("contact", contact())), now=NOW, skew=SKEW)
    assert {e.type for e in then.outgoing} >= {RECEIVED, DECIDED}
    assert then.receipts[0].status == "decided"


async def test_a_redelivered_batch_writes_nothing_and_publishes_the_same_events() -> None:
    events = lifecycle(inbound("contact", contact()), inbound("decision", decision()))
    repo = repository()
    once = await record_batch(repo, events, now=NOW, skew=SKEW)
    again = await record_batch(repository(repo.store), events, now=NOW, skew=SKEW)  # new process
    assert len(once.written) == 1  # both events of the contact in one record
    assert again.written == []
    assert [e.id for e in again.outgoing] == [e.id for e in once.outgoing]


async def test_one_unusable_event_leaves_the_whole_batch_unwritten() -> None:
    store = MemoryRecordStore()
    future = decision("c-2", decided_at=(NOW + timedelta(days=2)).isoformat())
    batch = lifecycle(inbound("contact", contact()), inbound("decision", future))
    with pytest.raises(Rejected):
        await record_batch(repository(store), batch, now=NOW, skew=SKEW)
    assert await store.read({KEY: 0, ("glos", "c-2"): 0}) == {KEY: [], ("glos", "c-2"): []}


async def test_writers_with_stale_views_of_one_contact_both_land() -> None:
    store = MemoryRecordStore()
    http, kafka = repository(store), repository(store)
    await record_batch(http, lifecycle(inbound("contact", contact())), now=NOW, skew=SKEW)
    await kafka.load([KEY])  # the consumer's instance caches the contact as it is now
    await record_batch(http, lifecycle(inbound("decision", decision())), now=NOW, skew=SKEW)
    await record_batch(kafka, lifecycle(inbound("vist", vist())), now=NOW, skew=SKEW)
    [entity] = (await repository(store).load([KEY])).values()
    assert entity.state.decision is not None
    assert entity.state.vist is not None
    assert entity.version == 3


async def test_the_overdue_mark_never_lands_on_a_contact_decided_meanwhile() -> None:
    store = MemoryRecordStore()
    sweeper, consumer = repository(store), repository(store)
    await record_batch(consumer, lifecycle(inbound("contact", contact())), now=NOW, skew=SKEW)
    [seen] = (await sweeper.load([KEY])).values()
    assert domain.is_overdue(seen.state, NOW)  # what the sweep saw before publishing
    await record_batch(consumer, lifecycle(inbound("decision", decision())), now=NOW, skew=SKEW)
    [marked] = await mark_overdue(sweeper, [KEY], NOW)
    assert not marked.state.overdue_emitted
    assert marked.state.status == "decided"


async def test_the_overdue_mark_is_recorded_once() -> None:
    repo = repository()
    await record_batch(repo, lifecycle(inbound("contact", contact())), now=NOW, skew=SKEW)
    await mark_overdue(repo, [KEY], NOW)
    [entity] = await mark_overdue(repository(repo.store), [KEY], NOW)
    assert entity.state.status == "decision-overdue"
    assert entity.version == 2
    assert domain.overdue_event(entity.state).type == DECISION_OVERDUE

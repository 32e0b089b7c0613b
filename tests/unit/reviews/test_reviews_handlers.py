"""Reviews' commands as units of work over the in-memory record store: the fast tier. The same
paths run on the real broker and database in tests/integration/reviews."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import BaseModel

from services.reviews import handlers
from services.reviews.store import Chain, ChainFolding
from shared.codes import ReviewKind
from shared.contracts import Inbound
from shared.contracts import reviews as c
from shared.events import new_event
from shared.records import MemoryRecordStore, Repository, retrying
from shared.rejections import Conflict
from tests.unit.reviews.review_factories import DAY, P, open_cmd

SIN = ReviewKind.SIN


def command(type_: str, data: BaseModel, *, id: str, partnership: str = P) -> Inbound:
    envelope = new_event(
        id=id,
        type=type_,
        source="agency/gcc",
        partnership=partnership,
        data=data.model_dump(mode="json"),
    )
    return Inbound(envelope, data)


def repository(store: MemoryRecordStore | None = None) -> Repository[Chain]:
    return Repository(store or MemoryRecordStore(), ChainFolding())


async def run(repo: Repository[Chain], item: Inbound) -> list[Any]:
    data = item.data
    if isinstance(data, c.OpenReview):
        return await retrying(repo, lambda uow: handlers._open(uow, item, data))
    change = handlers.REVIEW_COMMANDS[type(data)]
    return await retrying(repo, lambda uow: handlers._change_review(uow, item, change))


OPEN = command(c.OPEN_REQUESTED, open_cmd(SIN), id="cmd-open")
NOTIFY = command(
    c.NOTIFICATION_REPORTED, c.RecordNotification(review_id="r1", notified_on=DAY), id="cmd-2"
)


async def test_a_redelivered_command_changes_nothing_and_gives_back_the_same_events() -> None:
    repo = repository()
    first = await run(repo, OPEN)
    assert [e.type for e in first] == [c.OPENED]
    again = await run(repository(repo.store), OPEN)  # another process, nothing cached
    assert [e.id for e in again] == [e.id for e in first]
    assert len(repo.store.records[(P, "r1")]) == 1


async def test_a_writer_with_a_stale_view_decides_again_on_the_newer_history() -> None:
    store = MemoryRecordStore()
    one, two = repository(store), repository(store)
    await run(one, OPEN)
    await two.load([(P, "r1")])  # caches version 1
    await run(one, NOTIFY)  # version 2, written by the other writer
    close = command(c.CLOSE_REQUESTED, c.CloseReview(review_id="r1", closed_on=DAY), id="cmd-close")
    await run(two, close)
    history = store.records[(P, "r1")]
    assert [r.events for r in history] == [("cmd-open",), ("cmd-2",), ("cmd-close",)]


async def test_another_partnerships_review_is_not_there() -> None:
    repo = repository()
    await run(repo, OPEN)
    theirs = command(
        c.NOTIFICATION_REPORTED,
        c.RecordNotification(review_id="r1", notified_on=DAY),
        id="cmd-theirs",
        partnership="wilts",
    )
    with pytest.raises(Conflict, match="does not exist"):
        await run(repo, theirs)

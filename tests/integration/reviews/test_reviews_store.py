"""The version chain on the real database: one winner per version number, and a head that is
allowed to fall behind without anyone deciding on it for good."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest
from pymongo import AsyncMongoClient

from services.reviews.store import Version, Versions
from shared.ops.system import Infra


@pytest.fixture
async def versions(infra: Infra, run_id: str) -> AsyncIterator[Versions]:
    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(infra.mongodb_url)
    db = client[f"t{run_id}_versions"]
    try:
        yield Versions(db["versions"], db["heads"])
    finally:
        await client.drop_database(db.name)
        await client.close()


async def _append(versions: Versions, previous: Version | None, event_id: str) -> bool:
    number = 1 if previous is None else previous.number + 1
    return await versions.append(
        previous, "r1", partnership="p", state={"n": number}, event_id=event_id, meta={}
    )


async def test_of_concurrent_appends_after_one_version_exactly_one_wins(versions: Versions) -> None:
    assert await _append(versions, None, "e0")
    first = await versions.latest("r1")
    results = await asyncio.gather(*(_append(versions, first, f"e{i}") for i in range(1, 9)))
    assert sum(results) == 1
    latest = await versions.latest("r1")
    assert latest is not None
    assert latest.number == 2
    winner = f"e{results.index(True) + 1}"
    assert await versions.applied(latest, winner) == latest
    assert await versions.applied(latest, "e3" if winner != "e3" else "e4") is None


async def test_a_head_left_behind_is_seen_through_and_caught_up(versions: Versions) -> None:
    assert await _append(versions, None, "e1")
    v1 = await versions.latest("r1")
    assert await _append(versions, v1, "e2")
    # As if the writer of version 2 died before updating the head.
    assert v1 is not None
    await versions.heads.replace_one({"_id": "r1"}, {k: v for k, v in v1.doc.items() if k != "_id"})
    stale = await versions.latest("r1", probe=False)
    newest = await versions.latest("r1")
    assert (stale and stale.number, newest and newest.number) == (1, 2)
    assert not await _append(versions, stale, "e3")  # deciding on the stale copy cannot land
    assert await _append(versions, newest, "e3")
    head = await versions.latest("r1", probe=False)
    assert head is not None
    assert head.number == 3
    assert [h["version"] for h in await versions.history("r1")] == [1, 2, 3]
    assert await versions.applied(head, "e1") == await versions.at("r1", 1)
    assert await versions.latest_states() == [{"n": 3}]

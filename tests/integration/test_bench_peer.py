"""The bench's peer recount counts what reporting counts: contacts received per partnership
and financial year (London dates), each contact once however often its event was published."""

from __future__ import annotations

import uuid

from ops.bench.peer import dataframe_recount
from ops.system import Infra
from shared.contracts.intake import ACKNOWLEDGED, RECEIVED
from shared.events import new_event
from shared.kafka import ensure_topics
from shared.topics import Topics
from tests.support.kafka import produce


def _event(type_: str, partnership: str, contact: str, received_at: str):  # type: ignore[no-untyped-def]
    return new_event(
        id=str(uuid.uuid5(uuid.NAMESPACE_URL, f"{contact}/{type_}")),
        type=type_,
        source="pulse/intake",
        partnership=partnership,
        subject=contact,
        data={"contact_id": contact, "received_at": received_at},
    )


async def test_the_recount_counts_contacts_per_partnership_and_financial_year(
    infra: Infra, run_id: str
) -> None:
    topics = Topics(f"t{run_id}.")
    names = [topics.intake_events, topics.reviews_events, topics.training_events]
    await ensure_topics(infra.kafka_bootstrap_servers, names)
    events = [
        _event(RECEIVED, "p01", "c1", "2021-03-31T22:30:00+00:00"),  # 23:30 BST: still March
        _event(RECEIVED, "p01", "c2", "2021-03-31T23:30:00+00:00"),  # 00:30 BST on 1 April
        _event(RECEIVED, "p01", "c2", "2021-03-31T23:30:00+00:00"),  # published twice
        _event(ACKNOWLEDGED, "p01", "c2", "2021-03-31T23:30:00+00:00"),
        _event(RECEIVED, "p02", "c1", "2021-06-01T09:00:00+00:00"),
    ]
    await produce(infra.kafka_bootstrap_servers, topics.intake_events, *events)
    recount = await dataframe_recount(infra.kafka_bootstrap_servers, topics, lambda *_: None)
    assert recount.events == len(events)
    assert recount.contacts_by_year == {
        ("p01", "2020-21"): 1,
        ("p01", "2021-22"): 1,
        ("p02", "2021-22"): 1,
    }

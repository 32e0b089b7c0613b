"""The open deadlines intake keeps for its overdue sweep, and when they must be read again."""

from __future__ import annotations

from aiokafka import TopicPartition

from services.intake.deadlines import OpenDeadlines
from shared.consumer import OnAssigned
from tests.unit.intake.factories import at


def _doc(contact_id: str, due_day: int, **extra: object) -> dict[str, object]:
    return {
        "partnership": "p01",
        "contact_id": contact_id,
        "decision_due_at": at(2026, 11, due_day, 12),
        **extra,
    }


def test_only_open_contacts_past_their_deadline_are_due_earliest_first() -> None:
    deadlines = OpenDeadlines()
    deadlines.note(
        [
            _doc("late", 10),
            _doc("later", 11),
            _doc("not-yet", 20),
            _doc("decided", 9, decided_at=at(2026, 11, 9, 13)),
            _doc("announced", 9, overdue_emitted=True),
        ]
    )
    assert deadlines.due(at(2026, 11, 12, 12), limit=10) == [("p01", "late"), ("p01", "later")]
    assert deadlines.due(at(2026, 11, 12, 12), limit=1) == [("p01", "late")]
    # A contact decided since leaves.
    deadlines.note([_doc("late", 10, decided_at=at(2026, 11, 12, 9))])
    assert deadlines.due(at(2026, 11, 12, 12), limit=10) == [("p01", "later")]


async def test_a_rebalance_makes_the_next_sweep_read_the_read_model_again() -> None:
    deadlines = OpenDeadlines()
    assert not deadlines.complete  # nothing read yet: the first sweep is a full one
    deadlines.complete = True  # as a full sweep leaves it
    told: list[set[TopicPartition]] = []

    def on_assigned(assigned: set[TopicPartition]) -> None:
        told.append(assigned)
        deadlines.outdated()

    await OnAssigned(on_assigned).on_partitions_assigned({TopicPartition("t", 0)})
    assert told == [{TopicPartition("t", 0)}]
    assert not deadlines.complete

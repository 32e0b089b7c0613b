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
    now = at(2026, 11, 12, 12)
    assert deadlines.stale(now)  # nothing read yet: the first sweep is a full one
    deadlines.reading()
    assert not deadlines.stale(now)
    told: list[set[TopicPartition]] = []

    def on_assigned(assigned: set[TopicPartition]) -> None:
        told.append(assigned)
        deadlines.outdated()

    await OnAssigned(on_assigned).on_partitions_assigned({TopicPartition("t", 0)})
    assert told == [{TopicPartition("t", 0)}]
    assert deadlines.stale(now)


def test_beyond_its_bound_it_lets_the_latest_go_and_asks_again_when_they_may_be_due() -> None:
    deadlines = OpenDeadlines(keep=4)
    deadlines.reading()
    deadlines.note([_doc(f"c-{day}", day) for day in range(10, 15)])  # 5: within 4 + 4 // 4
    assert len(deadlines) == 5
    deadlines.note([_doc("c-15", 15), _doc("c-9", 9)])  # 7: the latest three are let go
    assert len(deadlines) == 4
    # The earliest four are kept.
    assert deadlines.due(at(2026, 11, 30, 12), limit=10) == [
        ("p01", "c-9"),
        ("p01", "c-10"),
        ("p01", "c-11"),
        ("p01", "c-12"),
    ]
    # Asked again from the deadline of the last one kept (the 12th at noon): those let go
    # are due from then on.
    assert not deadlines.stale(at(2026, 11, 12, 11))
    assert deadlines.stale(at(2026, 11, 12, 12))
    deadlines.reading()  # the full sweep reads them all again
    assert not deadlines.stale(at(2026, 11, 30, 12))

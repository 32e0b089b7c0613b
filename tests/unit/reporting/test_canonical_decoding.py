"""What reporting does with each record of a canonical topic."""

from __future__ import annotations

import pytest

from services.reporting.handlers import decode_canonical, fact_updates
from shared.contracts import intake
from shared.events import encode, new_event
from shared.rejections import Rejected
from tests.integration.reporting.reporting_events import received


def test_a_known_event_becomes_fact_updates_of_its_partnership() -> None:
    item = decode_canonical(encode(received("p9", "c1", "6", "police")))
    [(partnership, update)] = fact_updates([item])
    assert partnership == "p9"
    assert update.kind == "contacts"
    assert update.fields["fy"] == "2020-21"
    assert "child_ref" not in update.fields  # reporting keeps no child reference


def test_an_unknown_type_is_skipped_not_dead_lettered() -> None:
    raw = encode(
        new_event(
            type="pulse.intake.something-new.v1",
            source="pulse/intake",
            partnership="p",
            data={"x": 1},
        )
    )
    item = decode_canonical(raw)
    assert item.data is None
    assert fact_updates([item]) == []


def test_a_known_type_with_bad_data_is_rejected_for_the_dead_letter_topic() -> None:
    raw = encode(
        new_event(
            type=intake.DECIDED, source="pulse/intake", partnership="p", data={"contact_id": "c1"}
        )
    )
    with pytest.raises(Rejected) as caught:
        decode_canonical(raw)
    assert caught.value.reason == "schema"

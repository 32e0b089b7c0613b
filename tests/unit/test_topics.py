"""Per-agency inbound topics: which topics a service reads and whose they are."""

from __future__ import annotations

import re

import pytest

from shared.topics import Topics, agency_of, agency_topic, dlq, inbound_pattern


def test_inbound_pattern_matches_bare_and_agency_topics_but_not_dead_letters() -> None:
    inbound = Topics("t1.").intake_inbound
    pattern = re.compile(inbound_pattern(inbound))
    assert pattern.match(inbound)
    assert pattern.match(agency_topic(inbound, "police"))
    assert pattern.match(agency_topic(inbound, "acute-trust"))
    assert not pattern.match(dlq(inbound))
    assert not pattern.match(dlq(agency_topic(inbound, "police")))
    assert not pattern.match(Topics("t1.").reviews_inbound)
    assert not pattern.match(Topics("t2.").intake_inbound)  # another prefix's topics


def test_agency_of_names_the_writer() -> None:
    inbound = Topics().training_inbound
    assert agency_of(inbound, inbound) is None
    assert agency_of(inbound, f"{inbound}.learning-platform") == "learning-platform"


@pytest.mark.parametrize("bad", ["Police", "dlq", "a.b", "", "x" * 64])
def test_agency_codes_must_be_safe_topic_segments(bad: str) -> None:
    with pytest.raises(ValueError, match="agency code"):
        agency_topic("pulse.intake.inbound", bad)

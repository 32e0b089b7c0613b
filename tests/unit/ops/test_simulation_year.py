"""The simulated year (no network): the same seed gives the same events, every event is one
its service accepts, the year has the shape the seeds describe, and the simulator's totals
agree with the events it generated."""

from __future__ import annotations

from collections import Counter
from datetime import datetime
from functools import cache

import pytest

from ops.simulation.model import Outbound, Plan, Totals, financial_year
from ops.simulation.year import Simulation, run_dry
from shared.codes import REFERRAL_OUTCOMES, ContactSource, Sector, Theme
from shared.contracts import accepted_types, decode_inbound
from shared.contracts.intake import DECISION_RECORDED, SUBMITTED
from shared.contracts.reviews import OPEN_REQUESTED, RECOMMENDATION_SUBMITTED
from shared.events import encode
from shared.workdays import working_day_deadline

SMALL = Plan(seed=7, scale=0.05)


@cache
def small_year() -> tuple[list[Outbound], Totals]:
    return run_dry(SMALL)


def test_the_same_seed_gives_the_same_events_byte_for_byte() -> None:
    again, _ = run_dry(SMALL)
    assert [encode(o.envelope) for o in again] == [encode(o.envelope) for o in small_year()[0]]


def test_another_seed_gives_another_year() -> None:
    other, _ = run_dry(Plan(seed=8, scale=0.05), parts=("frontdoor",))
    mine = [o.envelope for o in small_year()[0] if o.service == "intake"]
    assert [o.envelope.data for o in other[:50]] != [e.data for e in mine[:50]]


def test_events_come_in_time_order_and_ids_are_unique() -> None:
    events, _ = small_year()
    times = [o.at for o in events]
    assert times == sorted(times)
    assert len({o.envelope.id for o in events}) == len(events)


def test_every_event_is_accepted_by_its_service() -> None:
    # The same decoding the services do: envelope, personal-data refusal, schema.
    accepted = {s: accepted_types(s) for s in ("intake", "reviews", "training")}
    for item in small_year()[0]:
        inbound = decode_inbound(encode(item.envelope), accepted[item.service])
        assert inbound.envelope.partnership == "p01"


def test_totals_agree_with_the_events_generated() -> None:
    events, totals = small_year()
    p01 = totals.partnerships["p01"]
    assert p01.events == len(events) == totals.events
    assert Counter(o.envelope.type for o in events) == p01.events_by_type
    submitted = {
        o.envelope.data["contact_id"]: o.envelope for o in events if o.envelope.type == SUBMITTED
    }
    decisions = [o.envelope.data for o in events if o.envelope.type == DECISION_RECORDED]
    assert p01.contacts == len(submitted)
    assert p01.decisions == len(decisions)
    assert p01.undecided == p01.contacts - p01.decisions
    within = sum(
        _decided_in_time(submitted[d["contact_id"]].data["received_at"], d["decided_at"])
        for d in decisions
    )
    assert p01.decisions_within_target == within
    assert p01.referrals == sum(d["outcome"] in set(REFERRAL_OUTCOMES) for d in decisions)


def _decided_in_time(received: str, decided: str) -> bool:
    return datetime.fromisoformat(decided) < working_day_deadline(
        datetime.fromisoformat(received), 1
    )


def test_the_front_door_has_the_shape_the_seeds_describe() -> None:
    _, totals = run_dry(Plan(seed=3, scale=0.5), parts=("frontdoor",))
    t = totals.partnerships["p01"]
    by_source = t.contacts_by_source.most_common()
    assert {by_source[0][0], by_source[1][0]} == {ContactSource.POLICE, ContactSource.SCHOOLS}
    overall = t.referrals / t.contacts
    health = (
        sum(t.referrals_by_source[s] for s in t.contacts_by_source if s.startswith("3"))
        / t.contacts_by_sector[Sector.HEALTH]
    )
    police = (
        t.referrals_by_source[ContactSource.POLICE] / t.contacts_by_source[ContactSource.POLICE]
    )
    assert health < overall  # the thresholds finding
    assert police < overall
    assert 0.85 < t.decisions_within_target / t.decisions < 1  # most, not all, on time
    assert 0 < t.vists_same_day < t.vists  # some VISTs days or weeks late
    assert 0 < t.encompass_on_time < t.encompass_notifications
    assert t.early_help_allocations > 0
    assert 0 < t.wishes_and_feelings_recorded < t.contacts
    assert len(t.contacts_by_month) == 12


def test_reviews_nine_rapid_reviews_three_of_which_became_one_thematic_lcspr() -> None:
    events, totals = run_dry(SMALL, parts=("reviews",))
    t = totals.partnerships["p01"]
    assert t.serious_incidents == t.rapid_reviews == 9
    assert t.rapid_reviews_by_theme[Theme.CHILD_SEXUAL_EXPLOITATION] == 3
    assert t.lcsprs == 1
    assert 0 < t.rapid_reviews_within_15_working_days < 9
    [lcspr] = [
        o.envelope.data
        for o in events
        if o.envelope.type == OPEN_REQUESTED and o.envelope.data["kind"] == "lcspr"
    ]
    assert len(lcspr["origin_review_ids"]) == 3
    numbers = [
        o.envelope.data["number"] for o in events if o.envelope.type == RECOMMENDATION_SUBMITTED
    ]
    assert len([n for n in numbers if "." not in n]) == 10  # the seeds' ten recommendations
    assert t.actions == sum(t.actions_by_status.values()) == 15
    assert t.escalations_resolved <= t.escalations_raised


def test_several_partnerships_each_get_their_own_year() -> None:
    plan = Plan(seed=1, partnerships=3, scale=0.02)
    events, totals = run_dry(plan, parts=("frontdoor", "reviews"))
    assert plan.partnership_ids == ["p01", "p02", "p03"]
    assert set(totals.partnerships) == {"p01", "p02", "p03"}
    assert {o.envelope.partnership for o in events} == {"p01", "p02", "p03"}
    assert len({t.contacts for t in totals.partnerships.values()}) > 1  # different sizes
    # Adding partnerships does not change the first one's year.
    alone, _ = run_dry(Plan(seed=1, partnerships=1, scale=0.02), parts=("frontdoor", "reviews"))
    assert [o.envelope.id for o in alone] == [
        o.envelope.id for o in events if o.envelope.partnership == "p01"
    ]


def test_scale_multiplies_the_volume() -> None:
    _, small = run_dry(Plan(seed=2, scale=0.05), parts=("frontdoor",))
    _, bigger = run_dry(Plan(seed=2, scale=0.2), parts=("frontdoor",))
    ratio = bigger.partnerships["p01"].contacts / small.partnerships["p01"].contacts
    assert 3 < ratio < 5


def test_simulation_can_be_iterated_lazily() -> None:
    sim = Simulation(SMALL, parts=("frontdoor",))
    first = next(iter(sim))
    assert first.envelope.type == SUBMITTED


@pytest.mark.parametrize("label", ["2020", "2020-22", "20-21", "2020/21"])
def test_a_year_must_be_a_financial_year(label: str) -> None:
    with pytest.raises(ValueError, match="year"):
        financial_year(label)
    with pytest.raises(ValueError):
        Plan(year=label)


def test_reviews_and_training_events_keep_one_kafka_key_per_partnership() -> None:
    # They depend on each other across entities (an LCSPR follows its rapid reviews, an
    # enrolment needs its course), so each partnership's stay on one partition, in order.
    events, _ = small_year()
    keys: dict[str, set[str]] = {o.service: set() for o in events}
    for o in events:
        keys[o.service].add(o.key)
    assert keys["reviews"] == {"p01-reviews"}
    assert keys["training"] == {"p01-learning-platform"}
    assert len(keys["intake"]) > 100  # contacts spread over partitions by contact id

"""The simulated front door's Operation Encompass and casework clocks (no network): police log
each domestic-abuse incident with a child present and most are notified, after attendance and
mostly before the next school day; the council front door records strategy discussions, ICPCs
and assessments for referred contacts, mostly within their statutory clocks; and intake's own
rules, replayed over the simulated year, give the simulator's tally."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta
from functools import cache
from typing import Any

from ops.simulate import SimulateOptions, _route, topic_for
from ops.simulation.model import Outbound, Plan, Totals
from ops.simulation.year import run_dry
from services.intake import domain
from services.intake.handlers import FRONT_DOOR_TYPES
from shared.codes import REFERRAL_OUTCOMES, MashOutcome
from shared.contracts import accepted_types as accepted
from shared.contracts import decode_inbound
from shared.contracts.casework import (
    ASSESSMENT_COMPLETED,
    ASSESSMENT_RECORDED,
    CONFERENCE_HELD,
    CONFERENCE_RECORDED,
    STRATEGY_DISCUSSION_HELD,
    STRATEGY_DISCUSSION_RECORDED,
)
from shared.contracts.intake import (
    DA_INCIDENT_ATTENDED,
    DECISION_RECORDED,
    ENCOMPASS_DUE,
    ENCOMPASS_NOTIFICATION_SENT,
    ENCOMPASS_NOTIFIED,
    VIST_SUBMITTED,
)
from shared.events import encode
from shared.topics import Topics

PLAN = Plan(seed=11, scale=0.05)
CASEWORK = (STRATEGY_DISCUSSION_RECORDED, CONFERENCE_RECORDED, ASSESSMENT_RECORDED)


@cache
def year() -> tuple[list[Outbound], Totals]:
    return run_dry(PLAN, parts=("frontdoor",))


def _by_contact(events: list[Outbound]) -> dict[str, dict[str, dict[str, Any]]]:
    out: dict[str, dict[str, dict[str, Any]]] = {}
    for o in events:
        out.setdefault(o.envelope.data["contact_id"], {})[o.envelope.type] = o.envelope.data
    return out


def _t(value: str) -> datetime:
    return datetime.fromisoformat(value)


@cache
def replayed() -> Counter[str]:
    """Every intake event of the year through intake's own rules (`domain.record`, which
    refuses impossible times), then the figures reporting takes from the canonical events."""
    events, _ = year()
    files: dict[str, domain.ContactFile] = {}
    ids = accepted("intake")
    now = datetime(2030, 1, 1, tzinfo=UTC)
    for o in events:
        data = decode_inbound(encode(o.envelope), ids).data
        contact_id = o.envelope.data["contact_id"]
        files[contact_id] = domain.record(
            files.get(contact_id, domain.ContactFile(contact_id)),
            event_id=o.envelope.id,
            partnership=o.envelope.partnership,
            data=data,  # type: ignore[arg-type]
            now=now,
            skew=timedelta(seconds=5),
            source=o.envelope.source,
        )
    figures: Counter[str] = Counter()
    for file in files.values():
        for out in domain.canonical_events(file):
            d = out.data.model_dump()
            if out.type == ENCOMPASS_DUE:
                figures["encompass_incidents"] += 1
            elif out.type == ENCOMPASS_NOTIFIED:
                figures["encompass_notifications"] += 1
                figures["encompass_on_time"] += d["on_time"]
                figures["encompass_incidents_notified_on_time"] += (
                    d["on_time"] and d["incident_recorded"]
                )
            elif out.type == STRATEGY_DISCUSSION_HELD:
                figures["strategy_discussions"] += 1
            elif out.type == CONFERENCE_HELD:
                figures["icpcs"] += 1
                figures["icpcs_within_15_working_days"] += d["within_target"]
            elif out.type == ASSESSMENT_COMPLETED:
                figures["assessments_completed"] += 1
                figures["assessments_within_45_working_days"] += d["within_target"]
    return figures


def test_intakes_own_clocks_give_the_simulators_tally() -> None:
    _, totals = year()
    t = totals.partnerships["p01"]
    names = (
        "encompass_incidents",
        "encompass_notifications",
        "encompass_on_time",
        "encompass_incidents_notified_on_time",
        "strategy_discussions",
        "icpcs",
        "icpcs_within_15_working_days",
        "assessments_completed",
        "assessments_within_45_working_days",
    )
    assert {n: replayed()[n] for n in names} == {n: getattr(t, n) for n in names}
    assert all(replayed()[n] > 0 for n in names)
    assert t.encompass_incidents_not_notified == (
        t.encompass_incidents - t.encompass_incidents_notified
    )


def test_police_log_one_incident_per_child_and_most_are_notified_after_attendance() -> None:
    events, totals = year()
    t = totals.partnerships["p01"]
    for contact_id, kinds in _by_contact(events).items():
        if DA_INCIDENT_ATTENDED not in kinds:
            assert ENCOMPASS_NOTIFICATION_SENT not in kinds, contact_id
            continue
        incident = kinds[DA_INCIDENT_ATTENDED]
        # The incident of the police contact's VIST, attended after it happened.
        assert incident["incident_at"] == kinds[VIST_SUBMITTED]["incident_at"]
        assert _t(incident["attended_at"]) >= _t(incident["incident_at"])
        notice = kinds.get(ENCOMPASS_NOTIFICATION_SENT)
        if notice is not None:
            assert notice["attended_at"] == incident["attended_at"]
            assert _t(notice["notified_at"]) > _t(incident["attended_at"])
    police = [o for o in events if o.envelope.type == DA_INCIDENT_ATTENDED]
    assert {o.envelope.source for o in police} == {"agency/p01-police"}
    assert all(o.kafka_sender for o in police)  # police systems publish on Kafka
    # Most notified, a few never; most notifications on time, some late.
    assert t.encompass_incidents > 50
    assert 0 < t.encompass_incidents_not_notified < 0.15 * t.encompass_incidents
    assert 0.6 * t.encompass_notifications < t.encompass_on_time < t.encompass_notifications


def test_referred_contacts_get_casework_mostly_within_the_clocks() -> None:
    events, totals = year()
    t = totals.partnerships["p01"]
    for contact_id, kinds in _by_contact(events).items():
        outcome = kinds.get(DECISION_RECORDED, {}).get("outcome")
        if any(k in kinds for k in CASEWORK):
            assert outcome is not None, contact_id
            assert MashOutcome(outcome) in REFERRAL_OUTCOMES, contact_id
        if STRATEGY_DISCUSSION_RECORDED in kinds:
            assert outcome == MashOutcome.STRATEGY_DISCUSSION_S47
        if CONFERENCE_RECORDED in kinds:
            assert STRATEGY_DISCUSSION_RECORDED in kinds
    assert t.strategy_discussions > 0
    assert 0 < t.icpcs < t.strategy_discussions
    assert t.assessments_completed < t.referrals
    assert 0.7 * t.icpcs < t.icpcs_within_15_working_days < t.icpcs
    assert 0.7 * t.assessments_completed < t.assessments_within_45_working_days
    assert t.assessments_within_45_working_days < t.assessments_completed


def test_casework_comes_from_the_front_door_on_the_bare_inbound_topic() -> None:
    """Front-door types (intake refuses them on an agency's topic): the MASH's system, on
    Kafka on the bare inbound topic, or over HTTP with the simulator's (decide) key."""
    events, _ = year()
    casework = [o for o in events if o.envelope.type in CASEWORK]
    assert {o.envelope.type for o in casework} == set(CASEWORK) <= FRONT_DOOR_TYPES
    topics = Topics("t1.")
    both = SimulateOptions(via="both", bootstrap_servers="k:9092")
    http = SimulateOptions(via="http", bootstrap_servers="k:9092")
    for o in casework:
        assert o.envelope.source == "agency/p01-mash"
        assert _route(both, o) == "kafka"
        assert _route(http, o) == "http"
        assert topic_for(topics, o) == topics.intake_inbound

"""Year after year (no network): ids unique per partnership and year, learners who come back
for refresher training, and acknowledgement "as at" the simulated day.

Issue 15: "`pulse simulate --year 2021-22` after 2020-21 for the same partnership reuses
review, action and escalation ids (`p01-sin-09`, `p01-rr-09`), so the second year's reviews
are dead-lettered as conflicts"; "a multi-year run (`--years 2020-21,2021-22,2022-23`) gives
every year its own complete figures".
"""

from __future__ import annotations

import statistics
from collections.abc import Iterable
from functools import cache

import pytest

from ops.simulate import years_of
from ops.simulation.model import Outbound, Plan, Totals
from ops.simulation.year import run_dry
from shared.contracts import accepted_types, decode_inbound
from shared.contracts.assurance import ALTE_REVIEW_SUBMITTED, AUDIT_REQUESTED, CHILD_DEATH_NOTIFIED
from shared.contracts.intake import SUBMITTED, ContactSubmitted
from shared.contracts.reviews import ESCALATION_RAISED, OPEN_REQUESTED
from shared.contracts.training import (
    COMPLETION_RECORDED,
    ENROLMENT_RECORDED,
    REGISTRATION_RECORDED,
)
from shared.events import encode

YEARS = ("2020-21", "2021-22", "2022-23")


@cache
def year(label: str) -> tuple[list[Outbound], Totals]:
    return run_dry(Plan(seed=5, scale=0.02, year=label))


def _ids(events: Iterable[Outbound]) -> set[str]:
    """Every entity id a year creates: contacts, reviews, actions, escalations, audit rounds,
    child death and ALTE cases."""
    out = set()
    for o in events:
        data, type_ = o.envelope.data, o.envelope.type
        if type_ == SUBMITTED:
            out.add(data["contact_id"])
        elif type_ == OPEN_REQUESTED:
            out.add(data["review_id"])
        elif type_ == ESCALATION_RAISED:
            out.add(data["escalation_id"])
        elif "action_id" in data:
            out.add(data["action_id"])
        elif type_ in (AUDIT_REQUESTED, CHILD_DEATH_NOTIFIED, ALTE_REVIEW_SUBMITTED):
            out.add(data.get("audit_id") or data["case_id"])
    return out


def test_every_year_creates_its_own_ids_for_the_same_partnership() -> None:
    """Contacts, reviews (SINs, rapid reviews, LCSPRs, audits), actions, escalations, audit
    rounds and CDOP/ALTE cases of one year never reuse another year's ids, so the next year's
    commands are not conflicts."""
    seen: dict[str, str] = {}
    for label in YEARS:
        ids = _ids(year(label)[0])
        assert any("-sin-" in i for i in ids)
        assert any("-rr-" in i for i in ids)
        assert any("-s175" in i for i in ids)
        assert any("-cd-" in i for i in ids)
        assert any("-alte-" in i for i in ids)
        clash = ids & set(seen)
        assert not clash, f"{label} reuses {sorted(clash)[:3]} of {seen[next(iter(clash))]}"
        seen.update(dict.fromkeys(ids, label))


def test_events_of_different_years_are_different_events_except_resent_registrations() -> None:
    """Event ids are unique across years; the one exception is a returning learner's
    registration, sent again byte for byte (so it is recognised as already seen)."""
    by_id: dict[str, bytes] = {}
    for label in YEARS:
        for o in year(label)[0]:
            body = encode(o.envelope)
            if o.envelope.id in by_id:
                assert o.envelope.type == REGISTRATION_RECORDED
                assert by_id[o.envelope.id] == body
            by_id[o.envelope.id] = body


def test_learners_recur_and_take_refresher_courses_they_completed_the_year_before() -> None:
    """Issue 15: "a refresher in a later year is a new enrolment and completion"."""
    first, first_totals = year("2020-21")
    second, second_totals = year("2021-22")
    assert first_totals.partnerships["p01"].refresher_enrolments == 0
    t = second_totals.partnerships["p01"]
    assert t.refresher_enrolments > 0
    assert t.refresher_completions > 0
    completed_before = {
        (o.envelope.data["learner_id"], o.envelope.data["course_id"])
        for o in first
        if o.envelope.type == COMPLETION_RECORDED
    }
    again = [
        (o.envelope.data["learner_id"], o.envelope.data["course_id"])
        for o in second
        if o.envelope.type == ENROLMENT_RECORDED
        and (o.envelope.data["learner_id"], o.envelope.data["course_id"]) in completed_before
    ]
    assert len(again) == t.refresher_enrolments
    # Everyone enrolling was registered first, in the stream of that year alone.
    registered: set[str] = set()
    for o in second:
        if o.envelope.type == REGISTRATION_RECORDED:
            registered.add(o.envelope.data["learner_id"])
        elif o.envelope.type == ENROLMENT_RECORDED:
            assert o.envelope.data["learner_id"] in registered


def test_each_year_registers_only_its_new_learners() -> None:
    """ "By the end March 2021, there were 7,200 registered users on the training portal":
    registrations count in the year the learner registered, not again when they return."""
    for label in YEARS:
        events, totals = year(label)
        plan = Plan(year=label)
        new = {
            o.envelope.data["learner_id"]
            for o in events
            if o.envelope.type == REGISTRATION_RECORDED and plan.start <= o.at.date() < plan.end
        }
        assert len(new) == totals.partnerships["p01"].learners_registered > 0


def test_contacts_say_when_they_were_acknowledged_on_the_day() -> None:
    """PRODUCT.md: "acknowledge a submitted contact | at once (the inspection found portal
    acknowledgements late)": seconds mostly, some hours late; never years."""
    events, totals = year("2020-21")
    accepted = accepted_types("intake")
    delays = []
    for o in events:
        if o.envelope.type != SUBMITTED:
            continue
        contact = decode_inbound(encode(o.envelope), accepted).data
        assert isinstance(contact, ContactSubmitted)
        assert contact.acknowledged_at is not None
        delays.append((contact.acknowledged_at - contact.received_at).total_seconds())
    assert min(delays) > 0
    assert max(delays) <= 4 * 3600
    median = statistics.median(delays)
    assert median <= 120
    assert totals.partnerships["p01"].acknowledgement_seconds_median == median


def test_years_are_named_as_financial_years_and_run_oldest_first() -> None:
    """Issue 15: "`--years 2020-21,2021-22,2022-23`": financial years, run in order so each
    year's refreshers follow the year before."""
    assert years_of("2022-23, 2020-21,2021-22,2020-21") == ["2020-21", "2021-22", "2022-23"]
    for wrong in ("", "2020-22", "2020"):
        with pytest.raises(ValueError):
            years_of(wrong)

"""The simulated assurance year (no network): at --scale 1 the reference partnership's
2020-21 is the annual report's (933 settings asked for the S175 audit, 100% returned; 32 child
deaths, 11 unexpected, 4 expected, 17 neonatal; six ALTE reviews, none to a rapid review);
smaller scales scale the settings and cases down; section 11 returns rate the four standards;
and every command is one reviews accepts."""

from __future__ import annotations

from collections import Counter
from functools import cache

from ops.simulation.model import Outbound, Plan, Totals
from ops.simulation.year import run_dry
from services.reviews import assurance
from shared.contracts import accepted_types, decode_inbound
from shared.contracts.assurance import (
    ALTE_REVIEW_SUBMITTED,
    AUDIT_REQUESTED,
    CHILD_DEATH_NOTIFIED,
    SECTION_11_RETURN_SUBMITTED,
    SECTION_175_RETURN_SUBMITTED,
    Section11Standard,
)
from shared.events import encode

ASSURANCE = (
    AUDIT_REQUESTED,
    SECTION_11_RETURN_SUBMITTED,
    SECTION_175_RETURN_SUBMITTED,
    CHILD_DEATH_NOTIFIED,
    ALTE_REVIEW_SUBMITTED,
)


@cache
def reviews_year(year: str = "2020-21", scale: float = 1.0) -> tuple[list[Outbound], Totals]:
    return run_dry(Plan(seed=3, scale=scale, year=year), parts=("reviews",))


def _of(events: list[Outbound], type_: str) -> list[dict]:  # type: ignore[type-arg]
    return [o.envelope.data for o in events if o.envelope.type == type_]


def test_the_reference_year_at_scale_1_is_the_annual_reports() -> None:
    events, totals = reviews_year()
    t = totals.partnerships["p01"]
    assert t.section_175_settings_asked == 933
    assert t.section_175_returns == 933  # "100% return rate"
    assert len({d["setting_id"] for d in _of(events, SECTION_175_RETURN_SUBMITTED)}) == 933
    assert t.child_deaths == 32
    assert t.child_deaths_by_category == {"unexpected": 11, "expected": 4, "neonatal": 17}
    assert t.alte_reviews == 6
    assert t.alte_reviews_to_rapid_review == 0
    requests = {d["audit"]: d for d in _of(events, AUDIT_REQUESTED)}
    assert requests["section-175"]["asked"] == 933
    assert requests["section-11"]["asked"] == t.section_11_agencies_asked


def test_smaller_scales_scale_settings_and_cases_down_but_keep_every_figure() -> None:
    _, totals = reviews_year(scale=0.1)
    t = totals.partnerships["p01"]
    assert t.section_175_settings_asked == 93
    assert t.child_deaths_by_category == {"unexpected": 1, "expected": 1, "neonatal": 2}
    assert t.alte_reviews == 1
    _, tiny = reviews_year(scale=0.001)
    assert tiny.partnerships["p01"].section_175_settings_asked == 1  # at least one


def test_section_11_returns_rate_the_four_standards_from_the_agency_itself() -> None:
    events, totals = reviews_year()
    t = totals.partnerships["p01"]
    returns = [o for o in events if o.envelope.type == SECTION_11_RETURN_SUBMITTED]
    assert len(returns) == t.section_11_returns == t.section_11_agencies_asked
    for o in returns:
        assert o.envelope.source == f"agency/{o.envelope.data['agency']}"
        assert {r["standard"] for r in o.envelope.data["ratings"]} == set(Section11Standard)
    ratings = Counter(r["rating"] for o in returns for r in o.envelope.data["ratings"])
    assert t.section_11_standards_rated == 4 * len(returns) == sum(ratings.values())
    assert t.section_11_standards_met == ratings["met"] > ratings["partly-met"] > 0


def test_other_years_have_a_few_returns_missing() -> None:
    _, totals = reviews_year("2021-22")
    t = totals.partnerships["p01"]
    assert 0.9 * t.section_175_settings_asked < t.section_175_returns
    assert t.section_175_returns < t.section_175_settings_asked


def test_every_assurance_command_is_accepted_by_reviews_within_its_year() -> None:
    events, totals = reviews_year(scale=0.1)
    sent = [o for o in events if o.envelope.type in ASSURANCE]
    assert {o.envelope.type for o in sent} == set(ASSURANCE)
    ids = accepted_types("reviews")
    for o in sent:
        inbound = decode_inbound(encode(o.envelope), ids)
        assert assurance.subject_of(inbound.data) == o.envelope.subject  # type: ignore[arg-type]
        assert o.service == "reviews"
        assert o.key == "p01-reviews"
        data = o.envelope.data
        if "financial_year" in data:
            assert data["financial_year"] == "2020-21"
        for field in ("notified_on", "reviewed_on", "returned_on", "requested_on"):
            if field in data:
                assert "2020-04-01" <= data[field] < "2021-04-01"
    counted = Counter(o.envelope.type for o in sent)
    assert counted == {k: totals.partnerships["p01"].events_by_type[k] for k in ASSURANCE}

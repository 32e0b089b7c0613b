"""The simulated training year reproduces the annual report's 2020/21 tables (PRODUCT.md's
reference figures) at scale 1, and scales them otherwise."""

from __future__ import annotations

import importlib
from functools import cache

from ops.simulation import reference
from ops.simulation.model import Outbound, Plan, Totals
from ops.simulation.training import Tables, apportion
from ops.simulation.year import run_dry
from shared.codes import Organisation
from shared.contracts.training import ENROLMENT_RECORDED


@cache
def reference_year() -> tuple[list[Outbound], Totals]:
    return run_dry(Plan(seed=11, scale=1.0), parts=("training",))


def _table(totals: Totals, group: str) -> dict[str, int]:
    t = totals.partnerships["p01"]
    prefix = f"{group}/"
    return {
        k.removeprefix(prefix): v
        for k, v in t.enrolments_by_course_and_organisation.items()
        if k.startswith(prefix)
    }


def _nonzero(table: dict[Organisation, int]) -> dict[str, int]:
    return {org.value: n for org, n in table.items() if n}


def test_the_annual_report_tables_come_out_exactly_at_scale_1() -> None:
    _, totals = reference_year()
    t = totals.partnerships["p01"]
    assert _table(totals, "elearning") == _nonzero(reference.ELEARNING_ENROLMENTS)
    assert _table(totals, "cp-virtual") == _nonzero(reference.CP_VIRTUAL_INDIVIDUALS)
    assert _table(totals, "neglect-virtual") == _nonzero(reference.NEGLECT_VIRTUAL_INDIVIDUALS)
    assert t.enrolments_by_format["elearning"] == reference.ELEARNING_TOTAL == 9658
    assert t.learners_registered == reference.REGISTERED_USERS == 7200
    rate = t.completions_by_format["elearning"] / t.enrolments_by_format["elearning"]
    assert round(rate, 2) == reference.ELEARNING_COMPLETION_RATE
    assert t.completions == t.completions_by_format["elearning"] == 7726


def test_the_constabulary_registers_but_takes_no_course() -> None:
    _, totals = reference_year()
    t = totals.partnerships["p01"]
    assert t.learners_by_organisation[Organisation.CONSTABULARY] > 0
    assert not any(k.endswith("/constabulary") for k in t.enrolments_by_course_and_organisation)


def test_nobody_enrols_twice_on_one_course_and_everyone_registers_first() -> None:
    events, _ = reference_year()
    registered: set[str] = set()
    pairs = set()
    for o in events:
        data = o.envelope.data
        if "organisation" in data and o.envelope.type.endswith("registration.recorded.v1"):
            registered.add(data["learner_id"])
        if o.envelope.type == ENROLMENT_RECORDED:
            assert data["learner_id"] in registered
            pair = (data["learner_id"], data["course_id"])
            assert pair not in pairs
            pairs.add(pair)


def test_all_training_happens_within_the_year() -> None:
    events, _ = reference_year()
    plan = Plan(seed=11)
    assert all(plan.start <= o.at.date() < plan.end for o in events)


def test_a_smaller_scale_gives_proportionally_smaller_tables() -> None:
    tables = Tables.for_factor(0.1)
    assert tables.elearning[Organisation.EDUCATION] == 746
    assert sum(tables.learners.values()) == 720


def test_apportion_keeps_the_total() -> None:
    shares = apportion(
        10, {Organisation.EDUCATION: 1.0, Organisation.DISTRICTS: 1.0, Organisation.VOLUNTARY: 1.0}
    )
    assert sum(shares.values()) == 10


def test_reference_figures_equal_the_training_fixture() -> None:
    # The training fixture takes the report's figures from the simulator's reference module
    # and derives its own completions; the tables it feeds must be the simulator's.
    fixture = importlib.import_module("tests.fixtures.training_reference")
    assert _nonzero(reference.ELEARNING_ENROLMENTS) == _as_values(fixture.ELEARNING_ENROLMENTS)
    assert _nonzero(reference.CP_VIRTUAL_INDIVIDUALS) == _as_values(fixture.CP_VIRTUAL_INDIVIDUALS)
    assert _nonzero(reference.NEGLECT_VIRTUAL_INDIVIDUALS) == _as_values(
        fixture.NEGLECT_VIRTUAL_INDIVIDUALS
    )
    assert reference.REGISTERED_USERS == fixture.REGISTERED_USERS
    completions = Tables.for_factor(1.0).elearning_completions
    assert _nonzero(completions) == _as_values(fixture.ELEARNING_COMPLETIONS)
    assert sum(completions.values()) == fixture.ELEARNING_COMPLETIONS_TOTAL


def _as_values(table: dict[object, int]) -> dict[str, int]:
    return {str(getattr(k, "value", k)): n for k, n in table.items() if n}

"""Issue 15's missing figures end to end, on the real broker and database: the council front
door's strategy discussions, conferences and assessments go into intake (Kafka and HTTP),
section 11 and 175 returns, child deaths and ALTE reviews into reviews (Kafka and HTTP); both
publish canonical events, and reporting gives the clocks, open early-help waits, wishes and
feelings by agency, % returned and the CDOP / ALTE counts, unsuppressed and published."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from ops.system import Infra
from shared.contracts import assurance as a
from shared.contracts import casework as cw
from shared.contracts import intake
from shared.events import Envelope, encode, new_event
from tests.support.kafka import eventually, produce
from tests.support.services import RunningService, running

FAST = {"recompute_debounce_s": 0.3, "recompute_max_delay_s": 2.0, "snapshot_interval_s": 3600}
P = "glos"
FY = "2020-21"


def at(month: int, day: int, hour: int = 10) -> str:
    return datetime(2020, month, day, hour, tzinfo=UTC).isoformat()


def _in(type_: str, data: dict[str, Any], source: str = "agency/gcc-mash") -> Envelope:
    subject = data.get("contact_id") or data.get("case_id") or data.get("setting_id")
    return new_event(type=type_, source=source, partnership=P, subject=subject, data=data)


def contact(cid: str, agency: str, source: str, wishes: bool) -> Envelope:
    data = {
        "contact_id": cid,
        "agency": agency,
        "source": source,
        "channel": "marf",
        "received_at": at(5, 4, 9),
        "child_ref": f"ref-{cid}-001",
        "age_years": 6,
        "consent": "obtained",
        "wishes_and_feelings_recorded": wishes,
    }
    return _in(intake.SUBMITTED, data, source=f"agency/{agency}")


def decision(cid: str, outcome: str) -> Envelope:
    data = {"contact_id": cid, "outcome": outcome, "level": 4, "decided_at": at(5, 4, 15)}
    return _in(intake.DECISION_RECORDED, data)


def front_door() -> tuple[list[Envelope], list[Envelope]]:
    """(over Kafka, over HTTP). c1: ICPC on the 10th working day after the strategy discussion
    (8 May 2020 was the VE Day bank holiday) and assessment within 45 working days; c2: both
    late; c3: decided for early help on 4 May and never allocated."""
    kafka = [
        contact("c1", "glos-police", "6", True),
        contact("c2", "glos-police", "6", False),
        contact("c3", "ghnhsft-ed", "3E", True),
        decision("c1", "strategy-discussion-s47"),
        decision("c2", "strategy-discussion-s47"),
        decision("c3", "early-help"),
        _in(cw.STRATEGY_DISCUSSION_RECORDED, {"contact_id": "c1", "held_at": at(5, 5)}),
        _in(cw.STRATEGY_DISCUSSION_RECORDED, {"contact_id": "c2", "held_at": at(5, 5)}),
        _in(cw.CONFERENCE_RECORDED, {"contact_id": "c2", "held_at": at(6, 10)}),
        _in(cw.ASSESSMENT_RECORDED, {"contact_id": "c2", "completed_at": at(8, 28)}),
    ]
    http = [
        _in(cw.CONFERENCE_RECORDED, {"contact_id": "c1", "held_at": at(5, 20)}),
        _in(
            cw.ASSESSMENT_RECORDED,
            {"contact_id": "c1", "started_at": at(5, 5), "completed_at": at(6, 10)},
        ),
    ]
    return kafka, http


def assurance() -> tuple[list[Envelope], list[Envelope]]:
    """(over Kafka, over HTTP): 12 settings asked for the S175 audit, all return; 3 agencies
    asked for section 11, 2 return (over HTTP, each as itself); 7 child deaths, 6 ALTEs."""
    bu = "pulse/business-unit"
    kafka = [
        _in(
            a.AUDIT_REQUESTED,
            {
                "audit_id": "s175-2020-21",
                "audit": "section-175",
                "financial_year": FY,
                "requested_on": "2020-12-01",
                "asked": 12,
            },
            bu,
        ),
        _in(
            a.AUDIT_REQUESTED,
            {
                "audit_id": "s11-2020",
                "audit": "section-11",
                "financial_year": FY,
                "requested_on": "2020-06-01",
                "asked": 3,
            },
            bu,
        ),
        *[
            _in(
                a.SECTION_175_RETURN_SUBMITTED,
                {
                    "setting_id": f"urn-1156{n:02d}",
                    "financial_year": FY,
                    "returned_on": "2021-01-11",
                },
                bu,
            )
            for n in range(12)
        ],
        *[
            _in(
                a.CHILD_DEATH_NOTIFIED,
                {"case_id": f"cdop-{n}", "notified_on": "2020-07-01", "category": category},
                bu,
            )
            for n, category in enumerate(["unexpected"] * 4 + ["expected"] * 2 + ["neonatal"])
        ],
        *[
            _in(
                a.ALTE_REVIEW_SUBMITTED,
                {"case_id": f"alte-{n}", "reviewed_on": "2020-10-05", "rapid_review": False},
                bu,
            )
            for n in range(6)
        ],
    ]
    standards = [s.value for s in a.Section11Standard]
    http = [
        _in(
            a.SECTION_11_RETURN_SUBMITTED,
            {
                "agency": agency,
                "financial_year": FY,
                "returned_on": "2020-09-01",
                "ratings": [
                    {"standard": s, "rating": "not-met" if s == standards[3] and weak else "met"}
                    for s in standards
                ],
            },
            f"agency/{agency}",
        )
        for agency, weak in (("glos-police", True), ("gcc", False))
    ]
    return kafka, http


async def _figures(svc: RunningService, period: str) -> dict[str, Any]:
    r = await svc.http.get(f"/internal/partnerships/{P}/figures/{period}")
    return r.json() if r.status_code == 200 else {}


async def test_missing_figures_through_the_real_inbound_paths(infra: Infra, run_id: str) -> None:
    bootstrap = infra.kafka_bootstrap_servers
    door_kafka, door_http = front_door()
    assurance_kafka, assurance_http = assurance()
    async with (
        running("reporting", infra, run_id, **FAST) as reporting,
        running("intake", infra, run_id, overdue_sweep_enabled=False) as intake_svc,
        running("reviews", infra, run_id, sweep_interval_s=0) as reviews_svc,
    ):
        for e in door_kafka:  # one key per contact: its events keep their order
            await produce(bootstrap, intake_svc.topics.intake_inbound, e, key=e.subject.encode())
        await produce(bootstrap, reviews_svc.topics.reviews_inbound, *assurance_kafka)

        async def contacts_stored() -> bool:
            r = await intake_svc.http.get("/contacts/c1")
            return r.status_code == 200 and r.json()["status"] == "decided"

        await eventually(contacts_stored)
        for e in door_http:
            r = await intake_svc.http.post("/events", content=encode(e))
            assert r.status_code == 202, r.text
        for e in assurance_http:
            r = await reviews_svc.http.post("/commands", content=encode(e))
            assert r.status_code == 200, r.text
            assert r.json()["events"][0]["type"] == a.SECTION_11_RETURN_RECORDED

        async def complete() -> dict[str, Any]:
            v = (await _figures(reporting, FY)).get("values", {})
            done = (
                v.get("icpcs") == 2
                and v.get("assessments_completed") == 2
                and v.get("section_11_returns") == 2
                and v.get("section_175_returns") == 12
                and v.get("child_deaths") == 7
                and v.get("alte_reviews") == 6
            )
            return v if done else {}

        v = await eventually(complete, timeout=60)
        # PRODUCT.md: ICPC "within 15 working days of the strategy discussion"; assessment
        # "within 45 working days of referral"
        assert (v["strategy_discussions"], v["icpcs_within_15_working_days"]) == (2, 1)
        assert v["icpcs_within_15_working_days_rate"] == 50.0
        assert v["assessments_within_45_working_days"] == 1
        # the inspection: "wait for up to 10 weeks before allocation" - visible before it
        assert (v["early_help_waiting"], v["early_help_waiting_over_10_weeks"]) == (1, 1)
        assert v["early_help_waiting_days_max"] == 331  # 4 May 2020 to 31 March 2021
        q1 = (await _figures(reporting, f"{FY}-Q1"))["values"]
        assert (q1["early_help_waiting"], q1["early_help_waiting_days_max"]) == (1, 57)
        # returns and cases
        assert (v["section_175_settings_asked"], v["section_175_return_rate"]) == (12, 100.0)
        assert (v["section_11_agencies_asked"], v["section_11_return_rate"]) == (3, 66.7)
        assert (v["section_11_standards_rated"], v["section_11_standards_met"]) == (8, 7)
        assert v["alte_reviews_to_rapid_review"] == 0

        figures = await _figures(reporting, FY)
        assert figures["breakdowns"]["wishes_by_agency"] == {
            "glos-police": {"recorded": 1, "not-recorded": 1},
            "ghnhsft-ed": {"recorded": 1},
        }
        assert figures["breakdowns"]["child_deaths_by_category"] == {
            "unexpected": 4,
            "expected": 2,
            "neonatal": 1,
        }

        # Published: disclosure control over the new tables and scorecard too.
        card = (await reporting.http.get(f"/partnerships/{P}/scorecard/{FY}")).json()
        assert card["values"]["child_deaths"] == 7
        assert card["values"]["icpcs"] == "c"
        assert card["values"]["icpcs_within_15_working_days_rate"] == "c"
        assert card["targets"]["icpcs_within_15_working_days_rate"]["status"] is None
        assert card["values"]["section_175_returns"] == 12
        assert card["targets"]["section_175_return_rate"]["status"] == "green"
        deaths = await reporting.http.get(f"/partnerships/{P}/tables/child-deaths-by-category/{FY}")
        assert deaths.json()["rows"]["unexpected"] == "c"
        wishes = await reporting.http.get(
            f"/partnerships/{P}/tables/wishes-and-feelings-by-agency/{FY}"
        )
        assert wishes.json()["rows"]["glos-police"]["recorded"] == "c"
        s11 = await reporting.http.get(f"/partnerships/{P}/tables/section-11-returns/{FY}")
        ratings = s11.json()["agency_ratings"]
        assert ratings["glos-police"]["listening-to-children"] == "not-met"

        # intake keeps them in the contact's timeline
        c1 = (await intake_svc.http.get("/contacts/c1")).json()
        types = {entry["type"] for entry in c1["timeline"]}
        assert {cw.STRATEGY_DISCUSSION_RECORDED, cw.CONFERENCE_RECORDED} <= types
        assert c1["conference"]["held_at"].startswith("2020-05-20")
        assert "15th working day" in card["definitions"]["icpcs_within_15_working_days"]

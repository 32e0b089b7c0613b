"""Erasure on the real broker and database: after `pulse erase`, the figures are those of a
history that never had the contact, intake no longer holds it or accepts events about it, and
a rebuild from the canonical topics (which keep every event) does not bring it back."""

from __future__ import annotations

from typing import Any

from ops.erase import erase
from ops.system import Infra
from services.intake.settings import IntakeSettings
from services.reporting.rebuild import rebuild
from services.reporting.settings import ReportingSettings
from shared.events import encode
from tests.integration.intake.helpers import NO_SWEEP, stored
from tests.integration.reporting.reporting_events import front_door_set
from tests.support.kafka import eventually, produce
from tests.support.services import RunningService, running
from tests.unit.intake.factories import contact, decision, inbound

FAST = {"recompute_debounce_s": 0.3, "recompute_max_delay_s": 2.0, "snapshot_interval_s": 3600}
PERIODS = ["2020-21", "2020-21-Q1", "2020-05"]
VICTIM = "c3"  # a police contact, decided, a referral


async def _figures(svc: RunningService) -> dict[str, Any]:
    found = {}
    for period in PERIODS:
        r = await svc.http.get(f"/internal/partnerships/p1/figures/{period}")
        body = r.json() if r.status_code == 200 else {}
        found[period] = {k: body.get(k) for k in ("values", "breakdowns")}
    return found


async def _settled(svc: RunningService, received: int) -> dict[str, Any]:
    async def check() -> dict[str, Any] | None:
        figures = await _figures(svc)
        values = figures["2020-21"]["values"] or {}
        return figures if values.get("contacts_received") == received else None

    return await eventually(check, timeout=60)


def _settings(svc: RunningService) -> Any:
    return svc.settings


async def test_figures_after_erasure_equal_figures_of_a_history_without_the_contact(
    infra: Infra, run_id: str
) -> None:
    events = front_door_set("p1")
    without = [e for e in events if e.subject != VICTIM]
    assert len(without) < len(events)
    bootstrap = infra.kafka_bootstrap_servers
    async with (
        running("reporting", infra, f"{run_id}n", **FAST) as never,
        running("reporting", infra, run_id, **FAST) as svc,
        running("intake", infra, run_id, **NO_SWEEP) as intake,
    ):
        await produce(bootstrap, never.topics.intake_events, *without)
        expected = await _settled(never, received=10)
        await produce(bootstrap, svc.topics.intake_events, *events)
        await _settled(svc, received=11)

        intake_settings = _settings(intake)
        reporting_settings = _settings(svc)
        assert isinstance(intake_settings, IntakeSettings)
        assert isinstance(reporting_settings, ReportingSettings)
        done = await erase(intake_settings, reporting_settings, "p1", contact_ids=[VICTIM])
        assert done.years == ["2020-21"]
        assert await _figures(svc) == expected

        # Its events are still on the canonical topic (history is kept), yet a redelivery or
        # a rebuild counts it no more.
        await produce(bootstrap, svc.topics.intake_events, *events)
        await rebuild(reporting_settings, lambda done, total: None, force=True)
        assert await _figures(svc) == expected


async def test_erasing_a_child_removes_its_contacts_from_intake_and_keeps_them_out(
    infra: Infra, run_id: str
) -> None:
    async with (
        running("intake", infra, run_id, **NO_SWEEP) as intake,
        running("reporting", infra, run_id, **FAST) as svc,
    ):
        child, other = "ref-A1", "ref-B2"
        sent = [
            inbound("contact", contact("c-1", child_ref=child)),
            inbound("decision", decision("c-1")),
            inbound("contact", contact("c-2", child_ref=child)),
            inbound("contact", contact("c-3", child_ref=other)),
        ]
        for event in sent:
            assert (await intake.http.post("/events", content=encode(event))).status_code == 202
        await stored(intake, "c-3")

        settings_i, settings_r = _settings(intake), _settings(svc)
        assert isinstance(settings_i, IntakeSettings)
        assert isinstance(settings_r, ReportingSettings)
        done = await erase(settings_i, settings_r, "glos", child_ref=child)
        assert done.contacts == 2
        assert done.records >= 2

        for gone in ("c-1", "c-2"):
            assert (await intake.http.get(f"/contacts/{gone}")).status_code == 404
        assert (await intake.http.get("/contacts/c-3")).status_code == 200
        records = intake.runtime.db["contact_records"]
        assert await records.count_documents({"e": {"$in": ["c-1", "c-2"]}}) == 0
        # A later event about an erased contact is refused, never recorded again.
        late = await intake.http.post(
            "/events", content=encode(inbound("decision", decision("c-2")))
        )
        assert late.status_code == 422
        assert late.json()["error"] == "erased"
        assert await records.count_documents({"e": "c-2"}) == 0

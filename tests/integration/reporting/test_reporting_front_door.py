"""Front-door events through the real broker into reporting: exact figures on HTTP, in
/metrics and on the snapshot topic; redelivery changes nothing; a rebuild gives the same."""

from __future__ import annotations

import json
import re

import pytest

from ops.system import Infra
from services.reporting.rebuild import ReportingRunning, rebuild
from shared.contracts.reporting import SNAPSHOT, STATUS_CHANGED
from shared.events import decode
from tests.integration.reporting.reporting_events import front_door_set
from tests.support.kafka import eventually, produce, read
from tests.support.services import RunningService, running

FAST = {"recompute_debounce_s": 0.3, "recompute_max_delay_s": 2.0, "snapshot_interval_s": 3600}
YEAR = ["2020-21", "2020-21-Q1", "2020-05"]


async def _figures(svc: RunningService, period: str) -> dict[str, object]:
    r = await svc.http.get(f"/internal/partnerships/p1/figures/{period}")
    return r.json() if r.status_code == 200 else {}


async def _metric(svc: RunningService, pattern: str) -> float | None:
    text = (await svc.http.get("/metrics")).text
    m = re.search(pattern + r" ([0-9.e+-]+)", text)
    return float(m.group(1)) if m else None


async def test_front_door_figures_everywhere_then_redelivery_and_rebuild(
    infra: Infra, run_id: str
) -> None:
    bootstrap = infra.kafka_bootstrap_servers
    events = front_door_set("p1")
    async with running("reporting", infra, run_id, metrics_partnerships="p1", **FAST) as svc:
        topic = svc.topics.intake_events
        await produce(bootstrap, topic, *events)

        async def complete() -> dict[str, object]:
            fig = await _figures(svc, "2020-21")
            values = fig.get("values", {})
            done = values.get("contacts_decided") == 10 and values.get("contacts_received") == 11
            return fig if done else {}

        year = await eventually(complete)
        values = year["values"]
        assert values["referrals"] == 7
        assert values["conversion_rate"] == 63.6  # 7 referrals of 11 contacts received
        assert values["decisions_within_target_rate"] == 90.0
        assert values["decisions_overdue_now"] == 1
        assert values["wishes_and_feelings_rate"] == 100.0
        assert year["breakdowns"]["contacts_by_source"] == {"6": 8, "3E": 2, "2A": 1}
        assert year["breakdowns"]["decisions_by_outcome"] == {
            "social-care-assessment": 6,
            "no-further-action": 3,
            "strategy-discussion-s47": 1,
        }
        for period in YEAR[1:]:
            assert (await _figures(svc, period))["values"] == values
        assert (await _figures(svc, "2020-06"))["values"]["contacts_received"] == 0

        # Published: counts 1-5 hidden, and in the table a second cell hidden beside each.
        card = (await svc.http.get("/partnerships/p1/scorecard/2020-21")).json()
        assert card["values"]["contacts_received"] == 11
        assert card["values"]["decisions_overdue_now"] == "c"
        assert card["targets"]["decisions_overdue_now"]["status"] is None  # no RAG for a c
        assert card["values"]["decisions_within_target_rate"] == 90.0
        assert card["targets"]["decisions_within_target_rate"]["status"] == "amber"
        table = (await svc.http.get("/partnerships/p1/tables/contacts-by-source/2020-21")).json()
        rows = table["rows"]
        assert [rows[s]["contacts"] for s in ("6", "3E", "2A")] == [8, "c", "c"]
        # 1 referral from schools is primary; 6 from police is hidden too, else 7 - 6 = 1
        assert [rows[s]["referrals"] for s in ("6", "3E", "2A")] == ["c", 0, "c"]
        assert rows["6"]["conversion_rate"] == "c"
        assert table["total"] == {
            "contacts": 11,
            "decided": 10,
            "referrals": 7,
            "conversion_rate": 63.6,
        }
        internal = await svc.http.get("/internal/partnerships/p1/tables/contacts-by-source/2020-21")
        assert internal.json()["rows"]["6"]["referrals"] == 6
        assert (await svc.http.get("/partnerships/p1/scorecard/2020-13")).status_code == 422
        assert (await svc.http.get("/partnerships/nobody/scorecard/2020-21")).status_code == 404

        # Prometheus: bounded labels, exact values.
        assert (
            await _metric(
                svc,
                r'pulse_metric_value\{metric="contacts_received",partnership="p1",period="2020-21"\}',
            )
            == 11
        )
        # 6 police referrals are hidden in the published sector table (beside 1 from schools):
        # a hidden figure has no series
        assert (
            await _metric(
                svc,
                r'pulse_metric_by_sector\{metric="referrals",partnership="p1",period="2020-21",'
                r'sector="police"\}',
            )
            is None
        )
        assert (
            await eventually(
                lambda: _metric(
                    svc,
                    r'pulse_metric_rag\{metric="decisions_within_target_rate",partnership="p1"\}',
                )
            )
            == 1
        )
        # No contact id as a label value (topic labels carry the run's random prefix, so look
        # for the ids as whole label values, not as substrings).
        metrics_text = (await svc.http.get("/metrics")).text
        assert not re.search(r'="c\d+"', metrics_text)

        # The snapshot topic: the latest snapshot carries the same (published) figures.
        async def final_snapshot() -> dict[str, object] | None:
            records = await read(bootstrap, svc.topics.reporting_snapshots, expect=1, timeout=5)
            if not records:
                return None
            last = decode(records[-1].value)
            done = last.data["figures"]["2020-21"]["contacts_decided"] == 10
            return {"n": len(records), "event": last} if done else None

        snap = await eventually(final_snapshot)
        last = snap["event"]
        assert last.type == SNAPSHOT
        assert last.partnership == "p1"
        assert records_key(await read(bootstrap, svc.topics.reporting_snapshots, expect=1)) == {
            b"p1"
        }
        assert last.data["figures"]["2020-21"]["contacts_received"] == 11
        assert last.data["figures"]["2020-21"]["decisions_overdue_now"] == "c"
        assert last.data["statuses"]["2020-21"]["decisions_within_target_rate"] == "amber"

        # Exceptions: amber for the late decision in each of the 3 periods with contacts, once
        # each; none for the one overdue decision, a hidden count (its status would place it).
        exceptions = await read(bootstrap, svc.topics.reporting_exceptions, expect=3, settle=1.0)
        changes = sorted(
            (decode(r.value).data["metric"], decode(r.value).data["period"]) for r in exceptions
        )
        assert len(exceptions) == 3
        assert {decode(r.value).type for r in exceptions} == {STATUS_CHANGED}
        assert changes == sorted(("decisions_within_target_rate", p) for p in YEAR)
        listed = (await svc.http.get("/partnerships/p1/exceptions")).json()
        assert len(listed) == 3

        # Redelivering the whole set changes nothing: not the figures, no new snapshot, no
        # new exception.
        before = {p: await _figures(svc, p) for p in YEAR}
        recomputed = await _metric(svc, "pulse_reporting_recomputations_total") or 0
        await produce(bootstrap, topic, *events)
        await eventually(
            lambda: _more(svc, "pulse_reporting_recomputations_total", recomputed), timeout=30
        )
        assert {p: await _figures(svc, p) for p in YEAR} == before
        snapshots = await read(
            bootstrap, svc.topics.reporting_snapshots, expect=snap["n"], settle=1.0
        )
        assert len(snapshots) == snap["n"]
        exceptions = await read(bootstrap, svc.topics.reporting_exceptions, expect=3, settle=0.5)
        assert len(exceptions) == 3

        # A rebuild refuses while the service consumes: it would race the live consumer.
        with pytest.raises(ReportingRunning, match="consumer group"):
            await rebuild(svc.settings, lambda done, total: None)
        assert {p: await _figures(svc, p) for p in YEAR} == before

        # A rebuild from the topics ends with the same figures (forced: the service is idle,
        # and its HTTP API shows what the rebuild wrote).
        seen: list[tuple[int, int]] = []
        result = await rebuild(
            svc.settings, lambda done, total: seen.append((done, total)), force=True
        )
        assert result.events == 2 * len(events)
        assert result.years == 1
        assert seen[-1] == (2 * len(events), 2 * len(events))
        assert {p: await _figures(svc, p) for p in YEAR} == before

        # A large replay decodes in worker processes: the same figures again.
        parallel = await rebuild(svc.settings, lambda done, total: None, force=True, workers=2)
        assert (parallel.events, parallel.unusable, parallel.years) == (
            result.events,
            result.unusable,
            1,
        )
        assert {p: await _figures(svc, p) for p in YEAR} == before


async def _more(svc: RunningService, name: str, than: float) -> bool:
    text = (await svc.http.get("/metrics")).text
    m = re.search(rf"^{name} ([0-9.e+-]+)$", text, re.M)
    return bool(m and float(m.group(1)) > than)


def records_key(records: list) -> set[bytes | None]:  # type: ignore[type-arg]
    return {r.key for r in records}


_ = json

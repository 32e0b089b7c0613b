"""A year whose figures cannot be computed is counted and logged once; the other years, the
periodic snapshots and the service's start go on."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import pytest
from prometheus_client import CollectorRegistry

from services.reporting.gauges import DomainGauges
from services.reporting.handlers import decode_canonical
from services.reporting.recompute import Reporter
from shared.events import encode
from shared.rejections import Rejected
from tests.integration.reporting import reporting_events as ev


class _Store:
    def __init__(self, pending: set[tuple[str, str]], years: list[tuple[str, str]]) -> None:
        self._pending, self._years = pending, years

    async def pending_years(self) -> set[tuple[str, str]]:
        return self._pending

    async def years(self) -> list[tuple[str, str]]:
        return self._years


def _reporter(store: Any, broken: set[tuple[str, str]]) -> tuple[Reporter, list[Any]]:
    registry = CollectorRegistry()
    reporter = Reporter(
        store,
        {},
        DomainGauges(registry),
        publish=lambda topic, events: asyncio.sleep(0),
        snapshot_topic="s",
        exception_topic="e",
        debounce_s=0.0,
        max_delay_s=0.0,
    )
    refreshed: list[Any] = []

    async def refresh(partnership: str, fy: str, **options: Any) -> None:
        if (partnership, fy) in broken:
            raise ValueError("invalid literal for int() with base 10: '999-'")
        refreshed.append((partnership, fy, options.get("recompute", True)))

    reporter.refresh = refresh  # type: ignore[method-assign]
    return reporter, refreshed


def _failures(reporter: Reporter) -> float:
    return sum(
        s.value
        for m in reporter.gauges.recompute_failed.collect()
        for s in m.samples
        if s.name.endswith("_total")
    )


async def test_a_broken_year_does_not_stop_the_start_or_the_other_years(
    caplog: pytest.LogCaptureFixture,
) -> None:
    broken = ("p1", "999-00")
    store = _Store({broken, ("p1", "2020-21")}, [broken, ("p1", "2020-21"), ("p2", "2021-22")])
    reporter, refreshed = _reporter(store, {broken})
    with caplog.at_level(logging.ERROR):
        await reporter.start()
        await reporter._recompute({broken, ("p2", "2021-22")})
    assert ("p1", "2020-21", True) in refreshed
    assert ("p2", "2021-22", False) in refreshed
    assert ("p2", "2021-22", True) in refreshed
    assert _failures(reporter) == 2
    logged = [r for r in caplog.records if "cannot be computed" in r.getMessage()]
    assert len(logged) == 1  # once per year and cause, not once per attempt
    assert "ValueError" in logged[0].getMessage()
    assert not reporter._dirty  # not put back to fail again on every cycle


async def test_an_outage_is_retried_rather_than_counted() -> None:
    reporter, _ = _reporter(_Store(set(), []), set())

    async def down(partnership: str, fy: str, **options: Any) -> None:
        raise ConnectionError("database unavailable")

    reporter.refresh = down  # type: ignore[method-assign]
    await reporter._recompute({("p1", "2020-21")})
    assert reporter._dirty == {("p1", "2020-21")}
    assert _failures(reporter) == 0


@pytest.mark.parametrize("year", [999, 1999, 2101])
def test_a_canonical_event_whose_period_cannot_be_placed_is_dead_lettered(year: int) -> None:
    event = ev.received("p1", "c-1", "6", "police")
    data = {**event.data, "received_at": f"{year:04d}-05-01T10:00:00+00:00"}
    raw = encode(event.model_copy(update={"data": data}))
    with pytest.raises(Rejected) as caught:
        decode_canonical(raw)
    assert caught.value.reason == "unplaceable-period"


def test_a_placeable_canonical_event_carries_its_fact_updates() -> None:
    decoded = decode_canonical(encode(ev.received("p1", "c-1", "6", "police")))
    assert decoded.updates

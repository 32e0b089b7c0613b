"""Which path each simulated event takes (`--via`): no network."""

from __future__ import annotations

from ops.simulate import SimulateOptions, _route
from ops.simulation.model import Plan
from ops.simulation.year import run_dry


def _options(via: str) -> SimulateOptions:
    return SimulateOptions(via=via, bootstrap_servers="k:9092")  # type: ignore[arg-type]


def test_routes_follow_via() -> None:
    events, _ = run_dry(Plan(seed=5, scale=0.01))
    by_service = {o.service: o for o in events}
    police = next(o for o in events if o.envelope.source.endswith("-police"))
    school = next(o for o in events if o.envelope.source.endswith("-schools"))
    assert {_route(_options("kafka"), o) for o in events} == {"kafka"}
    http = _options("http")
    assert _route(http, police) == "http"
    assert _route(http, by_service["reviews"]) == "http"
    # Training takes xAPI, not CloudEvents, over HTTP: its events stay on Kafka.
    assert _route(http, by_service["training"]) == "kafka"
    both = _options("both")
    assert _route(both, police) == "kafka"  # police systems run Kafka producers
    assert _route(both, school) == "http"  # schools post over HTTP
    assert _route(both, by_service["reviews"]) == "http"  # the business unit

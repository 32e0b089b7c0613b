"""Intake's own Prometheus counters, on the service's registry (labels: event type only)."""

from __future__ import annotations

import weakref
from dataclasses import dataclass, field

from prometheus_client import Counter

from shared.service import Runtime


@dataclass
class IntakeMetrics:
    runtime: Runtime
    recorded: Counter = field(init=False)
    published: Counter = field(init=False)

    def __post_init__(self) -> None:
        self.recorded = Counter(
            "pulse_intake_recorded",
            "Inbound intake events recorded for the first time, by type",
            ["type"],
            registry=self.runtime.registry,
        )
        self.published = Counter(
            "pulse_intake_published",
            "Canonical intake events published (re-publications included), by type",
            ["type"],
            registry=self.runtime.registry,
        )


_BY_RUNTIME: weakref.WeakKeyDictionary[Runtime, IntakeMetrics] = weakref.WeakKeyDictionary()


def metrics_of(runtime: Runtime) -> IntakeMetrics:
    """The runtime's intake counters (one set per registry: a registry refuses duplicates)."""
    if runtime not in _BY_RUNTIME:
        _BY_RUNTIME[runtime] = IntakeMetrics(runtime)
    return _BY_RUNTIME[runtime]

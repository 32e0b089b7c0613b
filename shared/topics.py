"""Topic names: one place, so services, tests and docs agree."""

from __future__ import annotations

from dataclasses import dataclass

DLQ_SUFFIX = ".dlq"


@dataclass(frozen=True)
class Topics:
    """Every topic of the system, with an optional prefix (tests give each run its own)."""

    prefix: str = ""

    def _t(self, name: str) -> str:
        return f"{self.prefix}pulse.{name}"

    @property
    def intake_inbound(self) -> str:
        return self._t("intake.inbound")

    @property
    def intake_events(self) -> str:
        return self._t("intake.events")

    @property
    def reviews_inbound(self) -> str:
        return self._t("reviews.inbound")

    @property
    def reviews_events(self) -> str:
        return self._t("reviews.events")

    @property
    def training_inbound(self) -> str:
        return self._t("training.inbound")

    @property
    def training_events(self) -> str:
        return self._t("training.events")

    @property
    def reporting_snapshots(self) -> str:
        return self._t("reporting.snapshots")

    @property
    def reporting_exceptions(self) -> str:
        return self._t("reporting.exceptions")

    @property
    def canonical(self) -> tuple[str, str, str]:
        """The topics reporting consumes: every service's canonical events."""
        return (self.intake_events, self.reviews_events, self.training_events)

    def all(self) -> list[str]:
        base = [
            self.intake_inbound,
            self.intake_events,
            self.reviews_inbound,
            self.reviews_events,
            self.training_inbound,
            self.training_events,
            self.reporting_snapshots,
            self.reporting_exceptions,
        ]
        consumed = [
            self.intake_inbound,
            self.reviews_inbound,
            self.training_inbound,
            *self.canonical,
        ]
        return base + [dlq(t) for t in consumed]


def dlq(topic: str) -> str:
    return topic + DLQ_SUFFIX

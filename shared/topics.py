"""Topic names: one place, so services, tests and docs agree."""

from __future__ import annotations

import re
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


# The canonical topics are the history every read model is rebuilt from (README, 'Retention'):
# Kafka's default of seven days would let a rebuild silently build figures from the last week.
KEEP_FOR_EVER = {"retention.ms": "-1", "retention.bytes": "-1"}


def is_canonical(topic: str) -> bool:
    """`pulse.<service>.events` under any prefix (not its dead-letter topic)."""
    parts = topic.split(".")
    return len(parts) >= 3 and parts[-3] == "pulse" and parts[-1] == "events"


def topic_configs(topic: str) -> dict[str, str]:
    """The configuration a topic is created with: canonical topics keep events for ever."""
    return dict(KEEP_FOR_EVER) if is_canonical(topic) else {}


# Agencies write to their own inbound topic, `<inbound>.<agency>`, so that ACLs can let each
# agency write only its own topic and the service can tell who wrote a record. The bare
# `<inbound>` topic is for the partnership's own trusted systems.
_AGENCY = r"[a-z0-9][a-z0-9-]{0,62}"


def agency_topic(inbound: str, agency: str) -> str:
    if not re.fullmatch(_AGENCY, agency) or agency == "dlq":
        raise ValueError(f"not a valid agency code for a topic name: {agency!r}")
    return f"{inbound}.{agency}"


def inbound_pattern(inbound: str) -> str:
    """Regex matching the bare inbound topic and every agency's, but not the dead-letter one."""
    return rf"^{re.escape(inbound)}(\.(?!dlq$){_AGENCY})?$"


def agency_of(inbound: str, topic: str) -> str | None:
    """The agency whose topic this is; None for the bare inbound topic."""
    if topic == inbound:
        return None
    prefix = inbound + "."
    if topic.startswith(prefix):
        return topic[len(prefix) :]
    raise ValueError(f"{topic} is not an inbound topic of {inbound}")

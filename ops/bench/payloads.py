"""The bench's payloads: the simulator's contacts, so sizes and shapes are the pipeline's own."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import datetime

from ops.simulate import KafkaSender
from ops.simulation.frontdoor import FrontDoor
from ops.simulation.model import Plan, Totals
from shared.contracts.intake import SUBMITTED, ContactSubmitted
from shared.events import encode, new_event
from shared.workdays import LONDON

# Replaced by the message's sequence number as `00012.34567`: a run of ten digits would look
# like an NHS number, and intake rightly refuses those.
PLACEHOLDER = b"ZZZZZ.ZZZZZ"


@dataclass(frozen=True)
class Payloads:
    templates: list[bytes]
    partnership: str

    def message(self, n: int) -> tuple[bytes, bytes]:
        """The n-th contact: a unique event id and contact id; (key, value)."""
        digits = b"%05d.%05d" % divmod(n, 100_000)
        value = self.templates[n % len(self.templates)].replace(PLACEHOLDER, digits)
        return f"{self.partnership}-".encode() + digits, value

    @property
    def mean_size(self) -> float:
        return sum(len(t) for t in self.templates) / len(self.templates)


def payloads(partnership: str, received_at: datetime, count: int = 200) -> Payloads:
    """`count` distinct contact submissions from the simulator, re-addressed to `partnership`
    and received at `received_at` (now: old contacts would all be overdue at once and turn
    the benchmark into one of intake's overdue sweep)."""
    plan = Plan(seed=1, scale=0.05)
    templates: list[bytes] = []
    for item in FrontDoor(plan, "p01", 1.0, Totals(plan)):
        if item.envelope.type != SUBMITTED:
            continue
        contact = f"{partnership}-{PLACEHOLDER.decode()}"
        # Received now and acknowledged by intake when it stores them (a live load), not as
        # the simulated day's acknowledgement says.
        data = {
            **item.envelope.data,
            "contact_id": contact,
            "received_at": received_at,
            "acknowledged_at": None,
        }
        submitted = ContactSubmitted.model_validate(data)
        envelope = new_event(
            id=f"{partnership}-e-{PLACEHOLDER.decode()}",
            type=SUBMITTED,
            source=item.envelope.source,
            partnership=partnership,
            subject=contact,
            time=received_at,
            data=submitted.model_dump(mode="json"),
        )
        templates.append(encode(envelope))
        if len(templates) == count:
            break
    return Payloads(templates, partnership)


def financial_year_label(moment: datetime) -> str:
    local = moment.astimezone(LONDON)
    start = local.year if local.month >= 4 else local.year - 1
    return f"{start}-{(start + 1) % 100:02d}"


async def produce(sender: KafkaSender, topic: str, data: Payloads, first: int, n: int) -> None:
    producer = sender.producer
    pending = []
    for i in range(first, first + n):
        key, value = data.message(i)
        pending.append(await producer.send(topic, value, key=key))
        if len(pending) >= sender.window:
            await asyncio.gather(*pending)
            pending = []
    await asyncio.gather(*pending)

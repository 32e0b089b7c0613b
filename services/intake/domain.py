"""Front-door rules, free of Kafka and MongoDB."""

from __future__ import annotations

from shared.contracts.intake import ContactReceived, ContactSubmitted


def receive(submitted: ContactSubmitted) -> ContactReceived:
    return ContactReceived(
        contact_id=submitted.contact_id,
        agency=submitted.agency,
        received_at=submitted.received_at,
    )

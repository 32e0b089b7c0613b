"""Reporting's decoder for canonical topics: the same envelope as the boundary's decoder for
every event this system writes, and a refusal (never a crash) for what it does not."""

from __future__ import annotations

import pytest

from shared.events import decode, decode_canonical_event, encode, new_event
from shared.rejections import Rejected


def test_an_encoded_event_decodes_to_what_the_boundary_decoder_gives() -> None:
    event = new_event(
        type="pulse.intake.contact.received.v1",
        source="service/intake",
        partnership="p1",
        subject="c-1",
        data={"contact_id": "c-1", "received_at": "2020-05-04T09:00:00+00:00"},
    )
    raw = encode(event)
    assert decode_canonical_event(raw) == decode(raw) == event


_ENVELOPE = (
    b'{"specversion": "1.0", "id": "e1", "time": "2020-05-04T09:00:00Z", "source": "s",'
    b' "type": "t", "partnership": "p1", "data": %s}'
)


def test_the_envelope_used_below_is_accepted_as_it_is() -> None:
    assert decode_canonical_event(_ENVELOPE % b'{"x": 1}').data == {"x": 1}


@pytest.mark.parametrize(
    "raw",
    [
        b"",
        b"not json",
        b"[1, 2]",
        _ENVELOPE % b'{"x": NaN}',
        _ENVELOPE % b'{"x": "\\ud800"}',
        _ENVELOPE % (b'{"x": ' + b"[" * 5000 + b"]" * 5000 + b"}"),
        b"[" * 5000 + b"]" * 5000,
        b'{"time": "2020-05-04T09:00:00Z", "data": {}}',
        b'{"id": "e1", "time": "2020-05-04T09:00:00Z", "data": "text"}',
        b'{"specversion": "1.0", "id": "e1", "time": "2020-05-04T09:00:00Z", "source": "s",'
        b' "type": "t", "partnership": "p1", "data": {}, "extra": 1}',
        b'{"specversion": "1.0", "id": "e1", "time": "0001-01-01T00:00:00-23:59", "source": "s",'
        b' "type": "t", "partnership": "p1", "data": {}}',
    ],
)
def test_anything_else_is_refused_with_a_reason(raw: bytes) -> None:
    with pytest.raises(Rejected):
        decode_canonical_event(raw)


def test_identifiers_of_a_canonical_event_are_checked_for_their_form() -> None:
    # Canonical events were screened for personal data where they came in, so reporting checks
    # only the form of their identifiers; a malformed one is still refused.
    bad_id = _ENVELOPE.replace(b'"id": "e1"', b'"id": "e 1/x"') % b"{}"
    bad_partnership = _ENVELOPE.replace(b'"p1"', b'"P 1"') % b"{}"
    for raw in (bad_id, bad_partnership):
        with pytest.raises(Rejected):
            decode_canonical_event(raw)


def test_the_boundary_still_refuses_personal_data_in_an_identifier() -> None:
    raw = _ENVELOPE.replace(b'"id": "e1"', b'"id": "jane.doe@example.org"') % b"{}"
    with pytest.raises(Rejected) as refused:
        decode(raw)
    assert refused.value.reason == "personal-data"

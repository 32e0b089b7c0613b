"""Mapping xAPI 1.0.3 statements (Moodle's logstore_xapi shape) to training facts, and every
rule that refuses one."""

from __future__ import annotations

import copy
import uuid
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest

from services.training import xapi
from services.training.xapi import Verb
from shared.codes import Organisation, Sector
from shared.rejections import Rejected

RECEIVED = datetime(2021, 3, 1, 12, tzinfo=UTC)
COURSE = "https://lms.example/course/view.php?id=12"


def moodle(verb: str = "http://adlnet.gov/expapi/verbs/registered", **extra: Any) -> dict[str, Any]:
    """A statement as Moodle's xAPI log store sends it (display name included)."""
    return {
        "actor": {
            "objectType": "Agent",
            "name": "Jo Practitioner",
            "account": {"homePage": "https://lms.example", "name": "1042"},
        },
        "verb": {"id": verb, "display": {"en": "enrolled to"}},
        "object": {
            "objectType": "Activity",
            "id": COURSE,
            "definition": {
                "type": "http://id.tincanapi.com/activitytype/lms/course",
                "name": {"en": "Safeguarding essentials"},
            },
        },
        "timestamp": "2021-02-03T10:15:00+00:00",
        "context": {
            "platform": "Moodle",
            "extensions": {xapi.ORGANISATION_EXTENSION: "early-years"},
        },
        **extra,
    }


def refused(raw: Any) -> Rejected:
    with pytest.raises(Rejected) as caught:
        xapi.parse(raw, received_at=RECEIVED)
    return caught.value


def test_a_moodle_enrolment_maps_to_learner_course_time_and_organisation() -> None:
    s = xapi.parse(moodle(), received_at=RECEIVED)
    assert s.verb is Verb.ENROL
    assert s.learner_id == "1042"
    assert s.activity_id == COURSE
    assert s.at == datetime(2021, 2, 3, 10, 15, tzinfo=UTC)
    assert s.organisation is Organisation.EARLY_YEARS
    assert s.sector is None
    assert s.passed is None


@pytest.mark.parametrize(
    ("verb", "expected", "passed"),
    [
        ("http://adlnet.gov/expapi/verbs/registered", Verb.ENROL, None),
        ("http://adlnet.gov/expapi/verbs/completed", Verb.COMPLETE, None),
        ("http://adlnet.gov/expapi/verbs/passed", Verb.COMPLETE, True),
        ("http://activitystrea.ms/leave", Verb.WITHDRAW, None),
        ("http://id.tincanapi.com/verb/unregistered", Verb.WITHDRAW, None),
    ],
)
def test_verbs_are_recognised_by_the_last_segment_of_their_iri(
    verb: str, expected: Verb, passed: bool | None
) -> None:
    s = xapi.parse(moodle(verb), received_at=RECEIVED)
    assert s.verb is expected
    assert s.passed is passed


def test_a_completion_with_a_successful_result_is_a_pass() -> None:
    s = xapi.parse(
        moodle("http://adlnet.gov/expapi/verbs/completed", result={"success": True}),
        received_at=RECEIVED,
    )
    assert s.passed is True


@pytest.mark.parametrize(
    "verb",
    [
        "http://adlnet.gov/expapi/verbs/experienced",
        "http://adlnet.gov/expapi/verbs/voided",
        "http://adlnet.gov/expapi/verbs/failed",
        "http://example.org/verbs/notregistered",
    ],
)
def test_an_unknown_verb_is_refused(verb: str) -> None:
    exc = refused(moodle(verb))
    assert exc.reason == "unknown-verb"
    assert 400 <= exc.status < 500
    assert verb in exc.detail


@pytest.mark.parametrize("key", ["mbox", "mbox_sha1sum", "openid"])
def test_a_learner_identified_by_email_or_openid_is_refused_as_personal_data(key: str) -> None:
    raw = moodle()
    raw["actor"][key] = "mailto:jo@school.example" if key == "mbox" else "abc"
    exc = refused(raw)
    assert exc.reason == "personal-data"
    assert "jo@school.example" not in exc.detail  # the address itself is not echoed


def test_the_display_name_is_dropped_and_never_appears_in_what_is_kept() -> None:
    s = xapi.parse(moodle(), received_at=RECEIVED)
    assert "Jo Practitioner" not in repr(s)


def test_the_display_name_does_not_appear_in_an_error() -> None:
    raw = moodle()
    raw["actor"]["account"]["name"] = "Jo Practitioner"  # a name where the id should be
    exc = refused(raw)
    assert exc.reason == "personal-data"  # name-like: the inbound policy's identifier rule
    assert exc.status == 422
    assert "Jo Practitioner" not in exc.detail


@pytest.mark.parametrize(
    ("mutate", "where"),
    [
        (lambda r: r.pop("actor"), "actor"),
        (lambda r: r["actor"].pop("account"), "actor.account"),
        (lambda r: r["actor"]["account"].pop("homePage"), "actor.account.homePage"),
        (lambda r: r["actor"]["account"].pop("name"), "actor.account.name"),
        (lambda r: r["actor"].update(objectType="Group"), "actor.objectType"),
        (lambda r: r.update(verb="completed"), "verb"),
        (lambda r: r["verb"].pop("id"), "verb.id"),
        (lambda r: r.pop("object"), "object"),
        (lambda r: r["object"].pop("id"), "object.id"),
        (lambda r: r["object"].update(objectType="Agent"), "object.objectType"),
        (lambda r: r.update(timestamp="yesterday"), "timestamp"),
        (lambda r: r.update(id="not-a-uuid"), "id"),
        (lambda r: r.update(context=[]), "context"),
        (lambda r: r["context"].update(extensions="x"), "context.extensions"),
        (
            lambda r: r["context"]["extensions"].update({xapi.ORGANISATION_EXTENSION: "police"}),
            "organisation",
        ),
        (lambda r: r["context"]["extensions"].update({xapi.SECTOR_EXTENSION: "x"}), "sector"),
        (
            lambda r: r["context"]["extensions"].update({xapi.PARTNERSHIP_EXTENSION: "a b"}),
            "partnership",
        ),
    ],
)
def test_a_malformed_statement_is_refused_naming_what_is_wrong(mutate: Any, where: str) -> None:
    raw = copy.deepcopy(moodle())
    mutate(raw)
    exc = refused(raw)
    assert exc.reason == "bad-statement"
    assert exc.status == 400
    assert where in exc.detail


def test_a_statement_id_is_kept_and_normalised() -> None:
    given = uuid.uuid4()
    s = xapi.parse(moodle(id=str(given).upper()), received_at=RECEIVED)
    assert s.statement_id == str(given)


def test_a_statement_without_id_gets_the_same_id_each_time_it_is_sent() -> None:
    first = xapi.parse(moodle(), received_at=RECEIVED)
    again = xapi.parse(moodle(), received_at=RECEIVED + timedelta(hours=1))
    other = xapi.parse(moodle(timestamp="2021-02-04T10:15:00Z"), received_at=RECEIVED)
    assert uuid.UUID(first.statement_id)
    assert first.statement_id == again.statement_id
    assert first.statement_id != other.statement_id


def test_time_comes_from_the_timestamp_in_any_zone_or_else_from_receipt() -> None:
    s = xapi.parse(moodle(timestamp="2021-02-03T10:15:00+01:00"), received_at=RECEIVED)
    assert s.at == datetime(2021, 2, 3, 10, 15, tzinfo=timezone(timedelta(hours=1)))
    naive = xapi.parse(moodle(timestamp="2021-02-03T10:15:00"), received_at=RECEIVED)
    assert naive.at == datetime(2021, 2, 3, 10, 15, tzinfo=UTC)
    raw = moodle()
    raw.pop("timestamp")
    assert xapi.parse(raw, received_at=RECEIVED).at == RECEIVED


def test_sector_and_partnership_come_from_context_extensions() -> None:
    raw = moodle()
    raw["context"]["extensions"][xapi.SECTOR_EXTENSION] = "health"
    raw["context"]["extensions"][xapi.PARTNERSHIP_EXTENSION] = "glos"
    s = xapi.parse(raw, received_at=RECEIVED)
    assert s.sector is Sector.HEALTH
    assert s.partnership == "glos"


def test_without_extensions_organisation_is_left_to_the_learner_record() -> None:
    raw = moodle()
    raw.pop("context")
    s = xapi.parse(raw, received_at=RECEIVED)
    assert s.organisation is None
    assert s.partnership is None


def test_a_body_is_one_statement_or_a_list_of_them() -> None:
    assert len(xapi.statements_of(moodle())) == 1
    assert len(xapi.statements_of([moodle(), moodle()])) == 2
    for bad in ([], "statement", [moodle(), 3], [moodle()] * (xapi.MAX_STATEMENTS + 1)):
        with pytest.raises(Rejected) as caught:
            xapi.statements_of(bad)
        assert caught.value.status == 400

"""Keys bound to an agency, its partnerships and its roles, on the real broker and database:
only the front door records decisions, nobody writes into or reads from another partnership,
another agency's contact id gives nothing away, and refusals are logged without the key."""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

import pytest

from ops.system import Infra
from shared.auth import DECIDE, STAFF, SUBMIT, TRUSTED_SYSTEM, new_key_entry
from shared.contracts import casework as cw
from shared.contracts import intake as i
from shared.contracts import reviews as r
from shared.events import encode, new_event
from shared.kafka import ensure_topics
from shared.topics import Topics, agency_topic, dlq
from tests.support.inbound_examples import EVENT_DATA, STATEMENT
from tests.support.kafka import eventually, produce, read
from tests.support.services import running

KEYS = {
    # name: (agency, roles, partnerships)
    "police": ("police", [SUBMIT], ["p01"]),
    "schools": ("schools", [SUBMIT], ["p01"]),
    "front-door": ("council", [SUBMIT, DECIDE], ["p01"]),
    "staff": ("business-unit", [STAFF, SUBMIT], ["p01"]),
    "police-p02": ("police", [SUBMIT], ["p02"]),
    "staff-p02": ("business-unit", [STAFF, SUBMIT], ["p02"]),
    "platform": ("learning-platform", [TRUSTED_SYSTEM], ["p01"]),
}


def _keys(tmp_path: Path) -> tuple[dict[str, Any], dict[str, dict[str, str]]]:
    """Settings for a service that checks these keys, and each key's request headers."""
    entries, headers = [], {}
    for name, (agency, roles, partnerships) in KEYS.items():
        key, entry = new_key_entry(f"{name}-key", agency, roles, partnerships=partnerships)
        entries.append(entry)
        headers[name] = {"Authorization": f"Bearer {key}"}
    keys_file = tmp_path / "keys.json"
    keys_file.write_text(json.dumps(entries))
    return {"auth_disabled": False, "api_keys_file": str(keys_file)}, headers


def _event(type_: str, agency: str, partnership: str = "p01", **data: Any) -> bytes:
    body = EVENT_DATA[type_] | data
    if "agency" in body:
        body["agency"] = agency
        body["child_ref"] = f"{agency}-000123"
    return encode(
        new_event(
            type=type_,
            source=f"agency/{agency}",
            partnership=partnership,
            subject=body["contact_id"],
            data=body,
        )
    )


async def test_only_the_front_door_records_decisions_early_help_vist_receipts_and_casework(
    infra: Infra, run_id: str, tmp_path: Path
) -> None:
    settings, as_ = _keys(tmp_path)
    async with running("intake", infra, run_id, **settings) as svc:
        sent = await svc.http.post(
            "/contacts", content=_event(i.SUBMITTED, "police"), headers=as_["police"]
        )
        assert sent.status_code == 202, sent.text
        front_door_only = (
            i.DECISION_RECORDED,
            i.EARLY_HELP_ALLOCATION_RECORDED,
            i.VIST_SUBMITTED,
            cw.STRATEGY_DISCUSSION_RECORDED,
            cw.CONFERENCE_RECORDED,
            cw.ASSESSMENT_RECORDED,
        )
        for type_ in front_door_only:
            refused = await svc.http.post(
                "/events", content=_event(type_, "police"), headers=as_["police"]
            )
            assert refused.status_code == 403, refused.text
            assert refused.json()["error"] == "forbidden-role"
            assert "decide" in refused.json()["detail"]
        # Staff read everything but decide nothing; nor does a trusted system without `decide`.
        for name, agency in (("staff", "business-unit"), ("platform", "learning-platform")):
            refused = await svc.http.post(
                "/events", content=_event(i.DECISION_RECORDED, agency), headers=as_[name]
            )
            assert refused.status_code == 403, (name, refused.text)
        seen = await svc.http.get("/contacts/c-1", headers=as_["police"])
        assert seen.json()["status"] == "awaiting-decision"

        decided = await svc.http.post(
            "/events",
            content=_event(i.DECISION_RECORDED, "council"),
            headers=as_["front-door"],
        )
        assert decided.status_code == 202, decided.text
        assert decided.json()["status"] == "decided"
        # The front door reads every agency's contacts of its partnership.
        view = await svc.http.get("/contacts/c-1", headers=as_["front-door"])
        assert view.json()["decision"]["outcome"] == "early-help"
        assert (await svc.http.get("/contacts", headers=as_["front-door"])).json()["total"] == 1


async def test_an_intake_key_writes_and_reads_only_in_its_partnerships(
    infra: Infra, run_id: str, tmp_path: Path
) -> None:
    settings, as_ = _keys(tmp_path)
    async with running("intake", infra, run_id, **settings) as svc:
        into_p02 = await svc.http.post(
            "/contacts", content=_event(i.SUBMITTED, "police", "p02"), headers=as_["police"]
        )
        assert into_p02.status_code == 403, into_p02.text
        assert into_p02.json()["error"] == "forbidden-partnership"

        # Contact ids are unique per partnership: the same id in p02 is another contact.
        for partnership, key in (("p02", "police-p02"), ("p01", "police")):
            sent = await svc.http.post(
                "/contacts",
                content=_event(i.SUBMITTED, "police", partnership),
                headers=as_[key],
            )
            assert sent.status_code == 202, sent.text

        unknown = await svc.http.get("/contacts/c-404", headers=as_["police-p02"])
        assert unknown.status_code == 404
        for query in ("", "?partnership=p01"):
            other = await svc.http.get(f"/contacts/c-1{query}", headers=as_["police-p02"])
            assert other.json()["partnership"] == "p02" if not query else other.status_code == 404
        listed = await svc.http.get("/contacts", headers=as_["police-p02"])
        assert [c["partnership"] for c in listed.json()["items"]] == ["p02"]
        elsewhere = await svc.http.get("/contacts?partnership=p01", headers=as_["staff-p02"])
        assert elsewhere.json()["total"] == 0
        assert (await svc.http.get("/contacts", headers=as_["staff"])).json()["total"] == 1


async def test_another_agencys_contact_id_gives_nothing_away(
    infra: Infra, run_id: str, tmp_path: Path
) -> None:
    settings, as_ = _keys(tmp_path)
    async with running("intake", infra, run_id, **settings) as svc:
        police = await svc.http.post(
            "/contacts", content=_event(i.SUBMITTED, "police"), headers=as_["police"]
        )
        assert police.status_code == 202, police.text
        police_ids = {police.json()["event_id"], police.json()["acknowledgement"]["event_id"]}

        # Schools re-use police's contact id: a contact, then a notification on it.
        answers = [
            await svc.http.post(
                "/contacts", content=_event(i.SUBMITTED, "schools"), headers=as_["schools"]
            ),
            await svc.http.post(
                "/events",
                content=_event(i.ENCOMPASS_NOTIFICATION_SENT, "schools"),
                headers=as_["schools"],
            ),
        ]
        for answer in answers:
            assert answer.status_code == 409, answer.text
            assert answer.json()["error"] == "contact-id-taken"
            assert not any(event_id in answer.text for event_id in police_ids)
            assert "police" not in answer.text
        # The same answer, word for word, whichever way the id is taken.
        assert answers[0].json() == answers[1].json()

        # To schools, police's contact reads exactly like an id nobody used.
        theirs = await svc.http.get("/contacts/c-1", headers=as_["schools"])
        nobodys = await svc.http.get("/contacts/c-1", headers=as_["police-p02"])
        never = await svc.http.get("/contacts/c-404", headers=as_["schools"])
        assert theirs.status_code == nobodys.status_code == never.status_code == 404
        assert (
            theirs.json()
            == {
                "error": "not-found",
                "detail": "no contact c-1",
            }
            == nobodys.json()
        )

        # Police's contact is as police sent it.
        view = (await svc.http.get("/contacts/c-1", headers=as_["police"])).json()
        assert (view["agency"], view["encompass"]) == ("police", None)
        assert view["contact"]["child_ref"] == "police-000123"


async def test_reviews_of_another_partnership_can_be_neither_written_nor_read(
    infra: Infra, run_id: str, tmp_path: Path
) -> None:
    settings, as_ = _keys(tmp_path)
    review = EVENT_DATA[r.OPEN_REQUESTED] | {"review_id": "r-2", "opened_on": "2024-01-02"}
    action = EVENT_DATA[r.ACTION_PLAN_SUBMITTED] | {"target_date": "2024-02-01"}
    escalation = EVENT_DATA[r.ESCALATION_SUBMITTED]

    def in_(partnership: str, key: str) -> dict[str, str]:
        return as_[key] | {"X-Partnership": partnership}

    async with running("reviews", infra, run_id, **settings) as svc:
        # p02's own business unit opens a review with an action, and raises an escalation.
        for path, body in (
            ("/reviews", review),
            (
                "/reviews/r-2/recommendations",
                EVENT_DATA[r.RECOMMENDATION_SUBMITTED] | {"review_id": "r-2"},
            ),
            ("/reviews/r-2/actions", action | {"review_id": "r-2"}),
            ("/escalations", escalation),
        ):
            done = await svc.http.post(path, json=body, headers=in_("p02", "staff-p02"))
            assert done.status_code == 201, done.text

        # p01's keys cannot write there, by header or by envelope ...
        for path, body in (
            ("/reviews", review | {"review_id": "r-3"}),
            ("/reviews/r-2/closure", {"closed_on": "2024-03-01"}),
            ("/escalations", escalation | {"escalation_id": "x-2"}),
        ):
            refused = await svc.http.post(path, json=body, headers=in_("p02", "staff"))
            assert refused.status_code == 403, (path, refused.text)
            assert refused.json()["error"] == "forbidden-partnership"
        patched = await svc.http.patch(
            "/actions/a-1", json={"updated_on": "2024-01-05"}, headers=in_("p02", "staff")
        )
        assert patched.status_code == 403
        command = new_event(
            type=r.OPEN_REQUESTED,
            source="agency/business-unit",
            partnership="p02",
            data=review | {"review_id": "r-4"},
        )
        refused = await svc.http.post(
            "/commands",
            content=encode(command),
            headers=as_["staff"] | {"content-type": "application/cloudevents+json"},
        )
        assert refused.status_code == 403, refused.text

        # ... nor read it: p02's review, tracker and escalations are not there for them.
        assert (await svc.http.get("/reviews/r-2", headers=as_["staff"])).status_code == 404
        assert (
            await svc.http.get("/reviews/r-2?partnership=p02", headers=as_["staff"])
        ).status_code == 404
        assert (await svc.http.get("/reviews/r-2/history", headers=as_["staff"])).status_code == 404
        assert (await svc.http.get("/reviews", headers=as_["staff"])).json() == []
        assert (await svc.http.get("/reviews?partnership=p02", headers=as_["staff"])).json() == []
        assert (await svc.http.get("/escalations", headers=as_["police"])).json() == []
        assert (
            await svc.http.get("/escalations?partnership=p02", headers=as_["police"])
        ).json() == []
        tracker = await svc.http.get(
            "/tracker?partnership=p02&as_of=2024-03-01", headers=as_["staff"]
        )
        empty = await svc.http.get(
            "/tracker?partnership=p09&as_of=2024-03-01", headers=as_["staff"]
        )
        assert tracker.json() == empty.json()
        assert (
            tracker.json()
            != (await svc.http.get("/tracker?as_of=2024-03-01", headers=as_["staff-p02"])).json()
        )
        # An agency's key raises escalations as itself; staff record them for any agency.
        as_gcc = await svc.http.post(
            "/escalations",
            json=escalation | {"escalation_id": "x-3"},
            headers=in_("p02", "police-p02"),
        )
        assert as_gcc.status_code == 403, as_gcc.text
        assert as_gcc.json()["error"] == "forbidden-source"
        as_itself = await svc.http.post(
            "/escalations",
            json=escalation | {"escalation_id": "x-3", "raised_by_agency": "police"},
            headers=in_("p02", "police-p02"),
        )
        assert as_itself.status_code == 201, as_itself.text

        # p02's own keys see them.
        assert [
            x["review_id"]
            for x in (await svc.http.get("/reviews", headers=as_["police-p02"])).json()
        ] == ["r-2"]
        assert len((await svc.http.get("/escalations", headers=as_["police-p02"])).json()) == 2


async def test_training_of_another_partnership_can_be_neither_written_nor_read(
    infra: Infra, run_id: str, tmp_path: Path
) -> None:
    settings, as_ = _keys(tmp_path)
    course = {"title": "Neglect", "theme": "neglect", "format": "webinar", "multi_agency": True}
    async with running("training", infra, run_id, **settings) as svc:
        put = await svc.http.put(
            "/courses/k-1?partnership=p02", json=course, headers=as_["staff-p02"]
        )
        assert put.status_code == 200, put.text
        refused = await svc.http.put(
            "/courses/k-2?partnership=p02", json=course, headers=as_["staff"]
        )
        assert refused.status_code == 403
        assert refused.json()["error"] == "forbidden-partnership"
        workforce = await svc.http.put(
            "/workforce/education/2020-21?partnership=p02",
            json={"headcount": 10},
            headers=as_["platform"],
        )
        assert workforce.status_code == 403

        statement = STATEMENT | {
            "context": {
                "extensions": {
                    "https://partnership-pulse.example/xapi/partnership": "p02",
                    "https://partnership-pulse.example/xapi/organisation": "education",
                }
            }
        }
        xapi = await svc.http.post(
            "/xapi/statements",
            content=json.dumps(statement).encode(),
            headers=as_["platform"] | {"content-type": "application/json"},
        )
        assert xapi.status_code == 403, xapi.text
        assert xapi.json()["error"] == "forbidden-partnership"

        # A key of one partnership works in it without naming it.
        mine = await svc.http.put("/courses/k-3", json=course, headers=as_["staff"])
        assert mine.status_code == 200, mine.text
        assert [
            c["course_id"] for c in (await svc.http.get("/courses", headers=as_["staff"])).json()
        ] == ["k-3"]
        for path in (
            "/courses?partnership=p02",
            "/courses/k-1?partnership=p02",
            "/totals?partnership=p02",
            "/learners/u-1?partnership=p02",
        ):
            assert (await svc.http.get(path, headers=as_["staff"])).status_code == 404, path
        assert (await svc.http.get("/courses/k-1", headers=as_["staff-p02"])).status_code == 200


async def test_refusals_are_logged_with_who_and_where_but_never_the_key(
    infra: Infra, run_id: str, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="pulse.auth")
    settings, as_ = _keys(tmp_path)
    async with running("intake", infra, run_id, **settings) as svc:
        assert (
            await svc.http.post("/contacts", content=_event(i.SUBMITTED, "police"))
        ).status_code == 401
        guessed = {"Authorization": "Bearer pp_guessed-key"}
        assert (
            await svc.http.get("/contacts/jane-doe-20150304", headers=guessed)
        ).status_code == 401
        decided = await svc.http.post(
            "/events", content=_event(i.DECISION_RECORDED, "police"), headers=as_["police"]
        )
        assert decided.status_code == 403
    lines = [rec.getMessage() for rec in caplog.records if rec.name == "pulse.auth"]
    assert "refused (401) principal=- POST /contacts reason=no API key presented" in lines
    assert (
        "refused (401) principal=- GET /contacts/{contact_id} reason=API key not recognised"
        in lines
    )
    assert any(
        line.startswith("refused (403) principal=police-key POST /events reason=forbidden-role")
        for line in lines
    )
    keys = [h["Authorization"].removeprefix("Bearer ") for h in as_.values()]
    assert not any(key in caplog.text for key in [*keys, "pp_guessed-key"])
    assert "jane" not in caplog.text
    assert "police-000123" not in caplog.text


async def test_a_decision_on_an_agencys_topic_is_dead_lettered(infra: Infra, run_id: str) -> None:
    # Over Kafka the front door writes the bare inbound topic (the partnership's trusted
    # systems'); an agency's own topic carries only what that agency may submit.
    police_topic = agency_topic(Topics(f"t{run_id}.").intake_inbound, "police")
    await ensure_topics(infra.kafka_bootstrap_servers, [police_topic])
    async with running("intake", infra, run_id) as svc:
        decision = _event(i.DECISION_RECORDED, "police", contact_id="k-1")
        await produce(
            infra.kafka_bootstrap_servers,
            police_topic,
            decision,
            _event(i.SUBMITTED, "police", contact_id="k-2"),
        )
        dead = await read(
            infra.kafka_bootstrap_servers, dlq(svc.topics.intake_inbound), expect=1, timeout=60
        )
        assert [r.headers["dlq.reason"] for r in dead] == ["forbidden-role"]
        await produce(
            infra.kafka_bootstrap_servers,
            svc.topics.intake_inbound,
            _event(i.DECISION_RECORDED, "council", contact_id="k-2"),
        )

        async def decided() -> bool:
            found = await svc.http.get("/contacts/k-2")
            return found.status_code == 200 and found.json()["status"] == "decided"

        assert await eventually(decided)
        assert (await svc.http.get("/contacts/k-1")).status_code == 404


async def test_unsuppressed_figures_are_for_staff_of_that_partnership_only(
    infra: Infra, run_id: str, tmp_path: Path
) -> None:
    settings, as_ = _keys(tmp_path)
    internal = "/internal/partnerships/p01/tables/contacts-by-source/2020-21"
    async with running("reporting", infra, run_id, **settings) as svc:
        assert (await svc.http.get(internal, headers=as_["staff-p02"])).status_code == 403
        assert (await svc.http.get(internal, headers=as_["police"])).status_code == 403
        # Staff of p01 get past the gate (404: no figures in this empty database).
        assert (await svc.http.get(internal, headers=as_["staff"])).status_code == 404
        # The published figures stay open to everyone.
        published = await svc.http.get("/partnerships/p01/tables/contacts-by-source/2020-21")
        assert published.status_code == 404

"""How the reporting store turns `$set` fields into inserted documents and decides whether an
existing document needs an update at all (FerretDB: inserts are cheap, updates scan)."""

from __future__ import annotations

from services.reporting.store import get_path, with_set


def test_an_inserted_document_is_what_the_same_set_upsert_would_make() -> None:
    fields = {
        "partnership": "p1",
        "fy": "2020-21",
        "_versions.decision.2020-05-01T10_00|e1": {"x": 1},
    }
    assert with_set(None, "p1|c1", fields) == {
        "_id": "p1|c1",
        "partnership": "p1",
        "fy": "2020-21",
        "_versions": {"decision": {"2020-05-01T10_00|e1": {"x": 1}}},
    }


def test_a_redelivered_update_is_seen_as_changing_nothing() -> None:
    doc = {"_id": "p1|c1", "fy": "2020-21", "_versions": {"decision": {"v1": {"x": 1}}}}
    assert get_path(doc, "fy") == "2020-21"
    assert get_path(doc, "_versions.decision.v1") == {"x": 1}


def test_a_missing_field_differs_from_every_value_including_none() -> None:
    doc = {"fy": None, "_versions": {"decision": {}}}
    assert get_path(doc, "received") != None  # noqa: E711
    assert get_path(doc, "_versions.decision.v2") != {}
    assert get_path(doc, "fy.sub") != None  # noqa: E711

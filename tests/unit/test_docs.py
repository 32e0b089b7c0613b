"""The committed docs (event catalogue, AsyncAPI, OpenAPI, README configuration) match the code."""

from __future__ import annotations

from ops import docs


def test_generated_docs_are_committed_and_current() -> None:
    stale = [str(p.relative_to(docs.REPO)) for p in docs.stale()]
    assert stale == [], f"run `make docs` and commit: {stale}"


def test_catalogue_lists_every_registered_event() -> None:
    catalogue = docs.event_catalogue()
    for contract in docs.all_contracts():
        assert f"`{contract.type}`" in catalogue


def test_configuration_table_names_the_required_variables() -> None:
    table = docs.configuration_table()
    assert "| `KAFKA_BOOTSTRAP_SERVERS` | (required) |" in table
    assert "| `MONGODB_URL` | (required) |" in table

"""`pulse keys create` and the keys `make run` writes: every key names its agency, its
partnerships and its roles, and the services can load what they write."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from ops import cli, system
from shared.auth import DECIDE, EVERY_PARTNERSHIP, STAFF, SUBMIT, TRUSTED_SYSTEM, KeyStore


def test_keys_create_binds_the_key_to_its_partnerships_and_roles(tmp_path: Path) -> None:
    file = tmp_path / "keys.json"
    args = ["keys", "create", "--id", "front-door", "--agency", "council", "--file", str(file)]
    made = CliRunner().invoke(
        cli.app, [*args, "--partnership", "p01", "--partnership", "p02", "--role", "decide"]
    )
    assert made.exit_code == 0, made.output
    key = made.output.strip()
    principal = KeyStore.from_file(file).authenticate(key)
    assert principal is not None
    assert (principal.agency, principal.partnerships, principal.roles) == (
        "council",
        frozenset({"p01", "p02"}),
        frozenset({DECIDE}),
    )
    assert key not in file.read_text()


def test_keys_create_defaults_to_submit_and_refuses_what_services_would(tmp_path: Path) -> None:
    file = tmp_path / "keys.json"
    base = ["keys", "create", "--agency", "police", "--file", str(file)]
    plain = CliRunner().invoke(cli.app, [*base, "--id", "p", "--partnership", "p01"])
    assert plain.exit_code == 0, plain.output
    assert json.loads(file.read_text())[0]["roles"] == [SUBMIT]

    no_partnership = CliRunner().invoke(cli.app, [*base, "--id", "q"])
    assert no_partnership.exit_code != 0
    assert "--partnership" in no_partnership.output
    everywhere = CliRunner().invoke(cli.app, [*base, "--id", "r", "--partnership", "*"])
    assert everywhere.exit_code == 1
    assert "only for a trusted-system key" in everywhere.output
    old_role = CliRunner().invoke(
        cli.app, [*base, "--id", "s", "--partnership", "p01", "--role", "agency"]
    )
    assert old_role.exit_code == 1
    assert len(json.loads(file.read_text())) == 1  # nothing refused was written


def test_dev_keys_name_partnerships_and_replace_an_older_layout(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PULSE_STATE_DIR", str(tmp_path))
    monkeypatch.delenv("PULSE_DEV_PARTNERSHIPS", raising=False)
    (tmp_path / "api-keys.json").write_text(
        json.dumps([{"id": "dev-police", "agency": "police", "roles": ["agency"], "sha256": "0"}])
    )
    (tmp_path / "dev-keys.json").write_text(json.dumps({"police": "pp_old"}))

    hashes, keys = system.dev_keys()
    store = KeyStore.from_file(hashes)
    assert "pp_old" not in keys.values()

    def principal(name: str) -> tuple[frozenset[str], frozenset[str]]:
        found = store.authenticate(keys[name])
        assert found is not None
        return found.roles, found.partnerships

    assert principal("police") == ({SUBMIT}, {"p01"})
    assert principal("council") == ({SUBMIT, DECIDE}, {"p01"})
    assert principal("staff") == ({SUBMIT, STAFF}, {"p01"})
    assert principal("simulator") == ({TRUSTED_SYSTEM, DECIDE}, {EVERY_PARTNERSHIP})
    assert system.dev_keys()[1] == keys  # made once, then reused


def test_the_compose_key_file_loads() -> None:
    path = Path(__file__).resolve().parents[3] / "deploy" / "compose" / "dev-api-keys.json"
    store = KeyStore.from_file(path)
    council = store.authenticate("pp_dev_council_NOT_A_SECRET")
    assert council is not None
    assert DECIDE in council.roles

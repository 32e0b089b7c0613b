"""The alert rules load (`promtool check rules`), behave as their unit tests say (`promtool
test rules`), and every rule has a test. Under CI=true a missing promtool fails, never skips."""

from __future__ import annotations

import os
import shutil
import subprocess

import pytest
import yaml

from ops.paths import REPO

RULES = REPO / "deploy" / "prometheus" / "rules.yml"
TESTS = REPO / "deploy" / "prometheus" / "rules.test.yml"


def _promtool() -> str:
    found = shutil.which("promtool")
    if found is None:
        message = "promtool is missing: `make install` installs Debian's prometheus package"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(message, pytrace=False)
        pytest.skip(message)
    return found


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [_promtool(), *args], cwd=RULES.parent, capture_output=True, text=True, check=False
    )


def test_the_rules_load() -> None:
    result = _run("check", "rules", RULES.name)
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_rules_pass_their_unit_tests() -> None:
    result = _run("test", "rules", TESTS.name)
    assert result.returncode == 0, result.stdout + result.stderr


def test_every_rule_has_a_unit_test_that_expects_it_to_fire() -> None:
    rules = yaml.safe_load(RULES.read_text())
    alerts = {r["alert"] for g in rules["groups"] for r in g["rules"]}
    tests = yaml.safe_load(TESTS.read_text())["tests"]
    fired = {
        t["alertname"] for case in tests for t in case["alert_rule_test"] if t.get("exp_alerts")
    }
    assert alerts == fired

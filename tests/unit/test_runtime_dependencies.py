"""What the services import is what the image installs: the Dockerfile installs the
project's runtime dependencies only (`uv sync --no-dev`), so a library the services import
but that is declared only for development (or only arrives through another package) works
in every local run and test, and fails when the container starts."""

from __future__ import annotations

import ast
import re
import sys
import tomllib
from importlib.metadata import packages_distributions

from ops.paths import REPO

RUNTIME_PACKAGES = ("shared", "services")


def _declared() -> set[str]:
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    return {
        re.split(r"[<>=!~\[ ;]", requirement, maxsplit=1)[0].lower().replace("_", "-")
        for requirement in project["dependencies"]
    }


def _imported_top_level() -> dict[str, str]:
    """Every top-level module imported anywhere in the runtime packages, with one file that
    imports it (imports inside functions count: they run in the container too)."""
    found: dict[str, str] = {}
    for package in RUNTIME_PACKAGES:
        for path in sorted((REPO / package).rglob("*.py")):
            for node in ast.walk(ast.parse(path.read_text(), str(path))):
                if isinstance(node, ast.Import):
                    names = [alias.name for alias in node.names]
                elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                    names = [node.module]
                else:
                    continue
                for name in names:
                    found.setdefault(name.split(".")[0], str(path.relative_to(REPO)))
    return found


def test_every_library_the_services_import_is_a_runtime_dependency() -> None:
    declared = _declared()
    distributions = packages_distributions()
    undeclared = []
    for module, where in sorted(_imported_top_level().items()):
        if module in sys.stdlib_module_names or module in RUNTIME_PACKAGES or module == "ops":
            continue
        names = {d.lower().replace("_", "-") for d in distributions.get(module, [module])}
        if not names & declared:
            undeclared.append(f"{module} ({', '.join(sorted(names))}), imported by {where}")
    assert undeclared == [], "imported but not in [project] dependencies: " + "; ".join(undeclared)

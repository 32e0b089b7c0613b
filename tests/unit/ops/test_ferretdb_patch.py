"""The local stack's FerretDB patch: applied to a copy, refused when FerretDB's text moved."""

from __future__ import annotations

from pathlib import Path

import pytest

from ops import ferretdb_patch as patch


def _module(root: Path, *, edited: bool = True) -> Path:
    for edit in patch.EDITS:
        target = root / edit.path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(f"before\n{edit.old if edited else 'something else'}\nafter\n")
    (root / "internal/backends/sqlite/collection_test.go").write_text("test")
    for path in [*root.rglob("*"), root]:  # read-only, as in the Go module cache
        path.chmod(0o555 if path.is_dir() else 0o444)
    return root


def test_the_copy_gets_every_edit_and_the_added_file(tmp_path: Path) -> None:
    module = _module(tmp_path / "mod")
    out = patch.patched_copy(module, tmp_path / "build" / "FerretDB")
    for edit in patch.EDITS:
        assert (out / edit.path).read_text() == f"before\n{edit.new}\nafter\n"
        assert (module / edit.path).read_text().count(edit.old) == 1  # original untouched
    for added in patch.ADDED:
        assert (out / added.path).read_text() == added.source.read_text()
    assert not (out / "internal/backends/sqlite/collection_test.go").exists()
    # Built twice (a new cache key after an edit): the read-only copy is replaced.
    patch.patched_copy(module, out)


def test_a_ferretdb_without_the_replaced_text_is_refused(tmp_path: Path) -> None:
    module = _module(tmp_path / "mod", edited=False)
    with pytest.raises(patch.PatchError, match=r"v1\.24\.0"):
        patch.patched_copy(module, tmp_path / "out")


def test_the_modfile_points_at_the_copy(tmp_path: Path) -> None:
    (tmp_path / "go.mod").write_text("module m\n\nrequire github.com/FerretDB/FerretDB v1.24.0\n")
    (tmp_path / "go.sum").write_text("sums\n")
    mod = patch.modfile(tmp_path / "go.mod", tmp_path / "copy", tmp_path / "b" / "go.mod")
    assert mod.read_text().endswith(f"replace github.com/FerretDB/FerretDB => {tmp_path}/copy\n")
    assert (tmp_path / "b" / "go.sum").read_text() == "sums\n"

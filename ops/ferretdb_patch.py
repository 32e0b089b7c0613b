"""Three fixes to FerretDB 1.24.0 for the local stack. The build copies the
module out of the Go module cache, edits the copy and points `go build` at it through a
generated `-modfile` with a `replace` directive: the committed go.mod and the module cache
stay untouched.

1. Its `_id` index is created on `_ferretdb_sjson->"_id"` but its queries, updates and
   deletes say `_ferretdb_sjson->'$._id'`. SQLite reads both as the same JSON path but only
   uses an index for the expression it was built on, so every lookup by `_id` scanned the
   table: an update by `_id` took 35 ms at 10,000 documents (0.6 ms after). The query side
   is changed to the index's form; existing data files need nothing.
2. `_id` lookups are pushed down to SQLite for `{_id: {$in: [...]}}` and for filters with
   other fields beside `_id` (`deploy/local/ferretdb/patch/id_pushdown.go`).
3. update, findAndModify and delete read the documents and write them back in separate
   transactions (FerretDB issue 3040), so concurrent writers of one document lost updates (99
   of 1,000 version-guarded updates from four writers). They now hold a lock from the read to
   the write: on the documents when every filter names one `_id`, else on the collection
   (`deploy/local/ferretdb/patch/namespace_lock.go`). Inserts stay unlocked: the unique `_id`
   index already makes them atomic.

Each edit names the exact text it replaces: a FerretDB version without it fails the build
with a clear message instead of building something else.
"""

from __future__ import annotations

import shutil
import stat
from dataclasses import dataclass
from pathlib import Path

from ops.paths import DEPLOY_LOCAL

MODULE = "github.com/FerretDB/FerretDB"
PATCH_DIR = DEPLOY_LOCAL / "ferretdb" / "patch"


@dataclass(frozen=True)
class Edit:
    path: str  # inside the module
    old: str
    new: str


@dataclass(frozen=True)
class Added:
    source: Path
    path: str  # inside the module


ADDED = (
    Added(PATCH_DIR / "id_pushdown.go", "internal/backends/sqlite/id_pushdown.go"),
    Added(PATCH_DIR / "namespace_lock.go", "internal/handler/namespace_lock.go"),
)

# Taken once the command's parameters are checked, held until its response is built.
_LOCK = """\tunlock, err := {call}
\tif err != nil {{
\t\treturn nil, lazyerrors.Error(err)
\t}}
\tdefer unlock()

"""


EDITS = (
    Edit(
        "internal/backends/sqlite/metadata/metadata.go",
        """IDColumn = DefaultColumn + "->'$._id'\"""",
        """IDColumn = DefaultColumn + "->'_id'\"""",
    ),
    Edit(
        "internal/backends/sqlite/collection.go",
        """\tif params.Filter.Len() == 1 {
\t\tv, _ := params.Filter.Get("_id")
\t\tswitch v.(type) {
\t\tcase string, types.ObjectID:
\t\t\twhereClause = fmt.Sprintf(` WHERE %s = ?`, metadata.IDColumn)
\t\t\targs = []any{string(must.NotFail(sjson.MarshalSingleValue(v)))}
\t\t}
\t}
""",
        "\twhereClause, args = idWhereClause(params.Filter)\n",
    ),
    Edit(
        "internal/handler/msg_update.go",
        """\t_ = params.Ordered

\tmatched, modified, upserted, err := h.updateDocument(connCtx, params)
""",
        "\t_ = params.Ordered\n\n"
        + _LOCK.format(call="lockUpdate(connCtx, params)")
        + "\tmatched, modified, upserted, err := h.updateDocument(connCtx, params)\n",
    ),
    # Inside, so that waiting for the lock counts against the command's maxTimeMS.
    Edit(
        "internal/handler/msg_findandmodify.go",
        """\tcloser := iterator.NewMultiCloser(iterator.CloserFunc(cancel))
\tdefer closer.Close()

""",
        "\tcloser := iterator.NewMultiCloser(iterator.CloserFunc(cancel))\n"
        "\tdefer closer.Close()\n\n"
        + _LOCK.format(call="lockDocuments(ctx, params.DB, params.Collection, params.Query)"),
    ),
    Edit(
        "internal/handler/msg_delete.go",
        """\tvar deleted int32
\twriteErrors := types.MakeArray(0)
""",
        _LOCK.format(call="lockDelete(connCtx, params)")
        + "\tvar deleted int32\n\twriteErrors := types.MakeArray(0)\n",
    ),
)


class PatchError(Exception):
    pass


def sources() -> list[Path]:
    """The files whose content decides the patched build (for the build cache's key)."""
    return [Path(__file__), *(added.source for added in ADDED)]


def patched_copy(module_dir: Path, out: Path) -> Path:
    """Copy the module at `module_dir` to `out` and apply the edits; returns `out`."""
    shutil.rmtree(out, ignore_errors=True)
    # The module cache is read-only; the copy must be writable (and removable next time).
    shutil.copytree(module_dir, out, ignore=shutil.ignore_patterns("*_test.go", "testdata"))
    for path in [out, *out.rglob("*")]:
        path.chmod(path.stat().st_mode | stat.S_IWUSR)
    for edit in EDITS:
        target = out / edit.path
        original = target.read_text()
        if original.count(edit.old) != 1:
            raise PatchError(
                f"{MODULE} {edit.path} does not contain the text this patch replaces exactly "
                "once; the patch is written for FerretDB v1.24.0"
            )
        target.write_text(original.replace(edit.old, edit.new))
    for added in ADDED:
        shutil.copyfile(added.source, out / added.path)
    return out


def modfile(go_mod: Path, patched: Path, out: Path) -> Path:
    """A copy of `go_mod` (and its go.sum) that builds against the patched module."""
    text = go_mod.read_text() + f"\nreplace {MODULE} => {patched}\n"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(text)
    shutil.copyfile(go_mod.with_suffix(".sum"), out.with_suffix(".sum"))
    return out

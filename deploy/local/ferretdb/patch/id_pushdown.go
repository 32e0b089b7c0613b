// This file is added to a copy of FerretDB's SQLite backend when the local stack builds it (see
// ops/ferretdb_patch.py); it is not part of FerretDB's own sources.
//
// FerretDB 1.24.0 looks a document up by `_id` only when the filter is exactly
// `{_id: <string or ObjectId>}`. The local stack's services also look documents up by
// `{_id: {$in: [...]}}` and update them with `{_id: ..., _rev: ...}`; without this both scan the
// whole table. Narrowing the query is safe because every caller of Query filters the rows
// again with the whole filter.

package sqlite

import (
	"fmt"
	"strings"

	"github.com/FerretDB/FerretDB/internal/backends/sqlite/metadata"
	"github.com/FerretDB/FerretDB/internal/handler/sjson"
	"github.com/FerretDB/FerretDB/internal/types"
	"github.com/FerretDB/FerretDB/internal/util/must"
)

// maxIDsPushedDown keeps a pushed-down `$in` far below SQLite's limit on bound parameters.
const maxIDsPushedDown = 1000

// idWhereClause returns a WHERE clause selecting the rows whose `_id` the filter names (one
// `_id` or an `$in` list of them, all strings or ObjectIds), or "" when it names none.
func idWhereClause(filter *types.Document) (string, []any) {
	seen := 0

	for _, k := range filter.Keys() {
		if k == "_id" {
			seen++
		}
	}

	if seen != 1 {
		return "", nil
	}

	switch v := must.NotFail(filter.Get("_id")).(type) {
	case string, types.ObjectID:
		return fmt.Sprintf(` WHERE %s = ?`, metadata.IDColumn), []any{idArg(v)}

	case *types.Document:
		if v.Len() != 1 || v.Keys()[0] != "$in" {
			return "", nil
		}

		arr, ok := must.NotFail(v.Get("$in")).(*types.Array)
		if !ok || arr.Len() == 0 || arr.Len() > maxIDsPushedDown {
			return "", nil
		}

		args := make([]any, 0, arr.Len())

		for i := 0; i < arr.Len(); i++ {
			e := must.NotFail(arr.Get(i))
			switch e.(type) {
			case string, types.ObjectID:
				args = append(args, idArg(e))
			default:
				return "", nil
			}
		}

		marks := strings.TrimSuffix(strings.Repeat("?, ", len(args)), ", ")

		return fmt.Sprintf(` WHERE %s IN (%s)`, metadata.IDColumn, marks), args
	}

	return "", nil
}

func idArg(v any) string {
	return string(must.NotFail(sjson.MarshalSingleValue(v)))
}

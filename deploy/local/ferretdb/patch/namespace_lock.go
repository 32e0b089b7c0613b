// This file is added to a copy of FerretDB's command handler when the local stack builds it (see
// ops/ferretdb_patch.py); it is not part of FerretDB's own sources.
//
// FerretDB 1.24.0 carries out update, findAndModify and delete by reading the matching
// documents and then writing them back (or deleting them by `_id`) in a separate transaction,
// so two clients changing one document at once can both read the same version and one change is
// lost (https://github.com/FerretDB/FerretDB/issues/3040). MongoDB applies each of these writes
// to a document atomically. Holding a lock from the read to the write gives the same result
// here, upserts included. Inserts take no lock: the unique `_id` index already refuses the
// second of two inserts of one `_id`.
//
// A command whose every filter names one `_id` (a string or an ObjectId) can only touch those
// documents (an upsert inserts that `_id`), so it locks just them, and writers of different
// documents of a collection still overlap. Any other command locks the whole collection.

package handler

import (
	"context"
	"hash/fnv"
	"sort"

	"golang.org/x/sync/semaphore"

	"github.com/FerretDB/FerretDB/internal/handler/common"
	"github.com/FerretDB/FerretDB/internal/types"
)

// The locks are striped so that their memory is bounded however many collections and
// documents come and go (the test suite creates a database per test). Two collections or
// documents that share a stripe only wait for each other.
const (
	collectionStripes = 256
	documentStripes   = 4096
	// collectionWhole is the weight of a whole-collection lock: more than all document locks
	// that can be held at once.
	collectionWhole = 1 << 30
)

var (
	// A reader-writer lock per collection stripe: commands on named documents share it, the
	// others take it whole. The semaphore is first in, first out, so neither kind starves, and
	// it gives up when the context ends.
	collectionLocks = func() (locks [collectionStripes]*semaphore.Weighted) {
		for i := range locks {
			locks[i] = semaphore.NewWeighted(collectionWhole)
		}

		return locks
	}()

	// One-slot semaphores, taken in ascending order after the collection's shared lock: no
	// cycle of waits, so no deadlock.
	documentLocks = func() (locks [documentStripes]chan struct{}) {
		for i := range locks {
			locks[i] = make(chan struct{}, 1)
		}

		return locks
	}()
)

func stripe(n uint32, parts ...[]byte) uint32 {
	h := fnv.New32a()
	for _, p := range parts {
		_, _ = h.Write(p)
		_, _ = h.Write([]byte{0})
	}

	return h.Sum32() % n
}

// pinnedID returns the bytes of the one `_id` the filter names by plain equality, or false.
func pinnedID(filter *types.Document) ([]byte, bool) {
	if filter == nil {
		return nil, false
	}

	seen := 0

	for _, k := range filter.Keys() {
		if k == "_id" {
			seen++
		}
	}

	if seen != 1 {
		return nil, false
	}

	v, _ := filter.Get("_id")
	switch id := v.(type) {
	case string:
		return append([]byte{'s'}, id...), true
	case types.ObjectID:
		return append([]byte{'o'}, id[:]...), true
	}

	return nil, false
}

// lockDocuments waits until no other update, findAndModify or delete can touch the documents
// the filters match in collection `coll` of database `db`, and returns the function that
// releases them; it returns the context's error when the context ends first.
func lockDocuments(ctx context.Context, db, coll string, filters ...*types.Document) (func(), error) {
	collection := collectionLocks[stripe(collectionStripes, []byte(db), []byte(coll))]

	var docs []uint32

	for _, f := range filters {
		id, ok := pinnedID(f)
		if !ok {
			docs = nil
			break
		}

		docs = append(docs, stripe(documentStripes, []byte(db), []byte(coll), id))
	}

	if len(docs) == 0 {
		if err := collection.Acquire(ctx, collectionWhole); err != nil {
			return nil, err
		}

		return func() { collection.Release(collectionWhole) }, nil
	}

	if err := collection.Acquire(ctx, 1); err != nil {
		return nil, err
	}

	sort.Slice(docs, func(i, j int) bool { return docs[i] < docs[j] })

	held := make([]chan struct{}, 0, len(docs))
	release := func() {
		for _, l := range held {
			<-l
		}

		collection.Release(1)
	}

	for i, d := range docs {
		if i > 0 && d == docs[i-1] {
			continue
		}

		l := documentLocks[d]
		select {
		case l <- struct{}{}:
			held = append(held, l)
		case <-ctx.Done():
			release()
			return nil, ctx.Err()
		}
	}

	return release, nil
}

// lockUpdate locks what an `update` command's statements can touch.
func lockUpdate(ctx context.Context, params *common.UpdateParams) (func(), error) {
	filters := make([]*types.Document, len(params.Updates))
	for i, u := range params.Updates {
		filters[i] = u.Filter
	}

	return lockDocuments(ctx, params.DB, params.Collection, filters...)
}

// lockDelete locks what a `delete` command's statements can touch.
func lockDelete(ctx context.Context, params *common.DeleteParams) (func(), error) {
	filters := make([]*types.Document, len(params.Deletes))
	for i, d := range params.Deletes {
		filters[i] = d.Filter
	}

	return lockDocuments(ctx, params.DB, params.Collection, filters...)
}

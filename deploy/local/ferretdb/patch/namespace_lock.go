// This file is added to a copy of FerretDB's command handler when the local stack builds it (see
// shared/ops/ferretdb_patch.py); it is not part of FerretDB's own sources.
//
// FerretDB 1.24.0 carries out update, findAndModify and delete by reading the matching
// documents and then writing them back (or deleting them by `_id`) in a separate transaction,
// so two clients changing one document at once can both read the same version and one change is
// lost (https://github.com/FerretDB/FerretDB/issues/3040). MongoDB applies each of these writes
// to a document atomically. Holding a lock for the collection from the read to the write gives
// the same result here, upserts included. Inserts take no lock: the unique `_id` index already
// refuses the second of two inserts of one `_id`.

package handler

import (
	"context"
	"hash/fnv"
)

// namespaceLockStripes bounds the locks' memory however many collections come and go (the test
// suite creates a database per test). Two collections that share a stripe only wait for each
// other; no command holds more than one lock, so there is no deadlock.
const namespaceLockStripes = 256

// namespaceLocks are one-slot semaphores rather than mutexes so that a client that goes away
// stops waiting; Go queues blocked senders first in, first out.
var namespaceLocks = func() (locks [namespaceLockStripes]chan struct{}) {
	for i := range locks {
		locks[i] = make(chan struct{}, 1)
	}

	return locks
}()

// lockNamespace waits for the lock of collection `coll` in database `db` and returns the
// function that releases it, or the context's error when the context ends first.
func lockNamespace(ctx context.Context, db, coll string) (func(), error) {
	h := fnv.New32a()
	_, _ = h.Write([]byte(db))
	_, _ = h.Write([]byte{0})
	_, _ = h.Write([]byte(coll))
	lock := namespaceLocks[h.Sum32()%namespaceLockStripes]

	select {
	case lock <- struct{}{}:
		return func() { <-lock }, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

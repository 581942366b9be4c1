package engine

import (
	"fmt"

	"github.com/tocsin-db/tocsin/sql/catalog"
	"github.com/tocsin-db/tocsin/sql/sqlerr"
)

// Accessors for the benchmark harness (`tocsin bench`), which measures
// ingest without the cost of building SHOW results on every poll.

// SourceRecords returns the records of a source its furthest reader has
// covered: SHOW SOURCES' records column. A record is counted when its
// batch enters the view's job, before the view reflects it.
func (e *Engine) SourceRecords(name string) (int64, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	o, ok := e.cat.Lookup(name)
	if !ok || o.Kind != catalog.KindSource {
		return 0, sqlerr.New(sqlerr.UndefinedObject, "source %q does not exist", name)
	}
	return e.statsOf(o.ID).records, nil
}

// ViewRows returns the number of rows of a materialized view's published
// snapshot.
func (e *Engine) ViewRows(name string) (int, error) {
	o, ok := e.cat.Lookup(name)
	if !ok || o.Kind != catalog.KindMaterializedView {
		return 0, sqlerr.New(sqlerr.UndefinedTable, "materialized view %q does not exist", name)
	}
	snap, err := e.ViewSnapshot(o)
	if err != nil {
		return 0, err
	}
	return snap.Len(), nil
}

// FullCheckpoint takes a checkpoint that rewrites every view's whole
// state (operator state, view rows, position) and returns its size in
// bytes: the serialized state of all views. It retries when a periodic
// checkpoint slipped in between and took the full rewrite itself.
func (e *Engine) FullCheckpoint() (int64, error) {
	for attempt := 0; ; attempt++ {
		e.ckptMu.Lock()
		e.ckpt.full = true
		before := e.ckpt.lastID
		e.ckptMu.Unlock()
		if err := e.Checkpoint(); err != nil {
			return 0, err
		}
		e.ckptMu.Lock()
		last := e.ckpt.last
		e.ckptMu.Unlock()
		if last.ID == before+1 {
			return last.Bytes, nil
		}
		if attempt == 5 {
			return 0, fmt.Errorf("full checkpoint: checkpoint %d was not ours after %d attempts", last.ID, attempt+1)
		}
	}
}

// WithCheckpointsHeld runs fn while no checkpoint is in flight, and
// starts none until fn returns: `tocsin bench` measures the heap that
// holds the views' state without the transient buffers of a checkpoint
// under way (a checkpoint of 1,000,000 changed keys builds a batch of
// about 137 MB).
func (e *Engine) WithCheckpointsHeld(fn func()) {
	e.ckptMu.Lock()
	defer e.ckptMu.Unlock()
	fn()
}

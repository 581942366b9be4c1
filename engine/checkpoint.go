package engine

import (
	"context"
	"fmt"
	"time"

	"github.com/tocsin-db/tocsin/engine/durable"
	"github.com/tocsin-db/tocsin/engine/window"
)

const noWatermark = window.NoWatermark

// checkpointState is the coordinator's bookkeeping (guarded by
// e.ckptMu).
type checkpointState struct {
	lastID uint64
	last   durable.CheckpointInfo
	// full makes the next checkpoint rewrite every view's whole state,
	// after a checkpoint whose batch failed to commit lost some deltas.
	full bool
}

func (e *Engine) checkpointLoop() {
	defer close(e.loopEnd)
	if e.opts.CheckpointInterval < 0 {
		<-e.loopStop
		return
	}
	t := time.NewTicker(e.opts.CheckpointInterval)
	defer t.Stop()
	for {
		select {
		case <-e.loopStop:
			return
		case <-t.C:
			if err := e.Checkpoint(); err != nil {
				e.log.Error("checkpoint failed; the next one rewrites all state", "err", err)
			}
		}
	}
}

// roundTimeout bounds how long a checkpoint waits for every view's part;
// a view that cannot answer (its upstream stalled) makes the checkpoint
// fail, and the next one rewrites all state.
const roundTimeout = time.Minute

// eligible reports whether j and every view it reads are running, so a
// checkpoint round can reach it.
func eligible(j *job) bool {
	for ; j != nil; j = j.upstream {
		select {
		case <-j.done:
			return false
		default:
		}
	}
	return true
}

// Checkpoint takes one consistent checkpoint of every running view. A
// round is handed to each job that reads a source, between two of its
// batches; each job writes its changes (offsets, watermarks, operator
// state, view rows, dead letters, late rows) into its own batch while it
// keeps running, and passes the round on to the views that read it,
// behind every change it sent them, so they cut at the same point. Then
// all batches are committed as one atomic, synced write, and the
// checkpointed offsets are reported to Kafka as the consumer groups'
// committed offsets, for monitoring.
func (e *Engine) Checkpoint() error {
	e.mu.Lock()
	if e.db == nil || len(e.jobs) == 0 {
		e.mu.Unlock()
		return nil
	}
	e.ckptMu.Lock()
	defer e.ckptMu.Unlock()
	start := e.opts.Now()
	r := &round{id: e.ckpt.lastID + 1, barriers: map[uint32]*barrier{}}
	var members []*job
	for id, j := range e.jobs {
		if eligible(j) {
			r.barriers[id] = &barrier{id: r.id, full: e.ckpt.full, batch: e.checkpointBatch(j.ckptBytes), reply: make(chan error, 1)}
			members = append(members, j)
		}
	}
	e.mu.Unlock()
	for _, j := range members {
		if !j.readsSource() {
			continue
		}
		select {
		case j.rounds <- r:
		case <-j.done:
		}
	}
	// The first batch to arrive becomes the round's batch, and the others
	// are merged into it: the largest batch is not copied once more.
	var all *durable.Batch
	var firstErr error
	var done []*job
	timeout := time.NewTimer(roundTimeout)
	defer timeout.Stop()
	for _, j := range members {
		b := r.barriers[j.view.ID]
		select {
		case err := <-b.reply:
			if err != nil && firstErr == nil {
				firstErr = err
			}
			j.ckptBytes = b.batch.Bytes()
			if all == nil {
				all = b.batch
			} else if err := all.Merge(b.batch); err != nil && firstErr == nil {
				firstErr = err
			}
			done = append(done, j)
		case <-j.done:
			// The view failed or was stopped: its state stays as of the
			// previous checkpoint.
			b.batch.Discard()
		case <-timeout.C:
			if firstErr == nil {
				firstErr = fmt.Errorf("checkpoint %d: view %s did not answer within %v", r.id, j.view.Name, roundTimeout)
			}
		}
	}
	if all == nil {
		all = e.db.NewBatch()
	}
	if firstErr == nil {
		// The runs (new pages of append-only views) are written here, on
		// this goroutine while the views go on, and ingested before the
		// batch commits; their bytes count in the checkpoint's size.
		firstErr = all.IngestRuns()
	}
	if firstErr != nil {
		all.Discard()
		e.ckpt.full = true
		e.ckptMeters.failed()
		return firstErr
	}
	info := durable.CheckpointInfo{ID: r.id, Started: start.UTC(), Bytes: all.Bytes(), Views: len(done)}
	info.Duration = e.opts.Now().Sub(start)
	info.StateBytes = int64(e.db.DiskUsage())
	all.RecordCheckpoint(info)
	if err := all.Commit(); err != nil {
		e.ckpt.full = true
		e.ckptMeters.failed()
		return err
	}
	e.ckpt.full = false
	e.ckpt.lastID = r.id
	e.ckpt.last = info
	e.ckptMeters.done(info)
	for _, j := range done {
		offsets := r.barriers[j.view.ID].offsets
		for i, in := range j.inputs {
			if i >= len(offsets) {
				break
			}
			in, offs, name := in, offsets[i], j.view.Name
			go func() {
				ctx, cancel := context.WithTimeout(e.ctx, 5*time.Second)
				defer cancel()
				if err := in.conn.Commit(ctx, offs); err != nil && ctx.Err() == nil {
					e.log.Debug("report checkpointed offsets to the consumer group", "view", name, "err", err)
				}
			}()
		}
	}
	return nil
}

// checkpointBatch returns a view's batch for a checkpoint round, sized
// for a little more than its last checkpoint wrote (the writes of a
// steady stream vary little from one round to the next).
func (e *Engine) checkpointBatch(last int64) *durable.Batch {
	const minSize, maxSize = 4 << 10, 64 << 20
	size := min(max(last+last/8, minSize), maxSize)
	return e.db.NewBatchWithSize(int(size))
}

package engine

import (
	"context"
	"time"

	"github.com/tocsin-db/tocsin/engine/durable"
	"github.com/tocsin-db/tocsin/engine/window"
)

const noWatermark = window.NoWatermark

// checkpointState is the coordinator's bookkeeping (guarded by e.mu).
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

// Checkpoint takes one consistent checkpoint of every running view: a
// barrier is handed to each view's job, which writes its changes (offsets,
// watermarks, operator state, view rows, dead letters, late rows) at a
// batch boundary into its own batch while it keeps running; then all the
// batches are committed as one atomic, synced write. After the commit the
// checkpointed offsets are reported to Kafka as the consumer groups'
// committed offsets, for monitoring.
func (e *Engine) Checkpoint() error {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.db == nil || len(e.jobs) == 0 {
		return nil
	}
	start := e.opts.Now()
	id := e.ckpt.lastID + 1
	type pending struct {
		j *job
		b *barrier
	}
	var sent []pending
	for _, j := range e.jobs {
		b := &barrier{id: id, full: e.ckpt.full, batch: e.db.NewBatch(), reply: make(chan error, 1)}
		select {
		case j.barriers <- b:
			sent = append(sent, pending{j, b})
		case <-j.done:
			b.batch.Discard()
		}
	}
	all := e.db.NewBatch()
	var firstErr error
	var done []pending
	for _, p := range sent {
		select {
		case err := <-p.b.reply:
			if err != nil && firstErr == nil {
				firstErr = err
			}
			if err := all.Merge(p.b.batch); err != nil && firstErr == nil {
				firstErr = err
			}
			done = append(done, p)
		case <-p.j.done:
			// The view failed or was stopped: its state stays as of the
			// previous checkpoint.
			p.b.batch.Discard()
		}
	}
	if firstErr != nil {
		all.Discard()
		e.ckpt.full = true
		return firstErr
	}
	info := durable.CheckpointInfo{ID: id, Started: start.UTC(), Bytes: all.Bytes(), Views: len(done)}
	info.Duration = e.opts.Now().Sub(start)
	info.StateBytes = int64(e.db.DiskUsage())
	all.RecordCheckpoint(info)
	if err := all.Commit(); err != nil {
		e.ckpt.full = true
		return err
	}
	e.ckpt.full = false
	e.ckpt.lastID = id
	e.ckpt.last = info
	for _, p := range done {
		j, offsets := p.j, p.b.offsets
		go func() {
			ctx, cancel := context.WithTimeout(e.ctx, 5*time.Second)
			defer cancel()
			if err := j.conn.Commit(ctx, offsets); err != nil && ctx.Err() == nil {
				j.log.Debug("report checkpointed offsets to the consumer group", "view", j.view.Name, "err", err)
			}
		}()
	}
	return nil
}

package engine

import (
	"fmt"

	"github.com/tocsin-db/tocsin/engine/durable"
	"github.com/tocsin-db/tocsin/sql/ast"
	"github.com/tocsin-db/tocsin/sql/catalog"
	"github.com/tocsin-db/tocsin/sql/parser"
)

// recover re-creates the stored catalog in creation order (a view always
// comes after what it reads), restores each view's state from the last
// checkpoint and starts its job at the checkpointed offsets.
func (e *Engine) recover() error {
	e.mu.Lock()
	defer e.mu.Unlock()
	if last, ok, err := e.db.LastCheckpoint(); err != nil {
		return err
	} else if ok {
		e.ckpt.lastID, e.ckpt.last = last.ID, last
	}
	if err := e.restoreAlerting(); err != nil {
		return err
	}
	entries, err := e.db.Catalog()
	if err != nil {
		return err
	}
	var jobs []*job
	for _, ent := range entries {
		stmt, err := parser.ParseOne(ent.SQL)
		if err != nil {
			return fmt.Errorf("catalog entry %d (%s): %w", ent.ID, ent.Name, err)
		}
		switch st := stmt.(type) {
		case *ast.CreateSource:
			obj, err := e.defineSource(st, ent.ID)
			if err != nil {
				return fmt.Errorf("source %s: %w", ent.Name, err)
			}
			if err := e.addSource(obj); err != nil {
				return err
			}
		case *ast.CreateTable:
			obj, err := e.defineTable(st, ent.ID)
			if err != nil {
				return fmt.Errorf("table %s: %w", ent.Name, err)
			}
			if err := e.addTable(obj); err != nil {
				return err
			}
			if err := e.tables[obj.ID].store.RestoreEntries(e.db.Entries(durable.StorePrefix(obj.ID))); err != nil {
				return fmt.Errorf("table %s: %w", ent.Name, err)
			}
		case *ast.CreateView:
			obj, pipe, vo, err := e.defineView(st, ent.ID)
			if err != nil {
				return fmt.Errorf("materialized view %s: %w", ent.Name, err)
			}
			j, err := e.newJob(obj, pipe, vo)
			if err != nil {
				return fmt.Errorf("materialized view %s: %w", ent.Name, err)
			}
			if err := j.restore(e.db); err != nil {
				j.closeInputs()
				return err
			}
			if err := e.addView(obj, j, vo); err != nil {
				return err
			}
			jobs = append(jobs, j)
			args := []any{"view", obj.Name, "rows", j.store.Len()}
			for _, in := range j.inputs {
				args = append(args, "offsets."+in.obj.Name, in.offsets.String())
			}
			e.log.Info("restored materialized view", args...)
		case *ast.CreateSink:
			obj, pipe, def, err := e.defineSink(st, ent.ID)
			if err != nil {
				return fmt.Errorf("sink %s: %w", ent.Name, err)
			}
			j, err := e.newSinkJob(obj, pipe, def)
			if err != nil {
				return fmt.Errorf("sink %s: %w", ent.Name, err)
			}
			if err := j.restore(e.db); err != nil {
				j.closeInputs()
				j.sink.close()
				return err
			}
			if err := e.cat.Add(obj); err != nil {
				return err
			}
			e.jobs[obj.ID] = j
			jobs = append(jobs, j)
			e.log.Info("restored sink", "sink", obj.Name, "pending_notifications", j.sink.outbox.Len())
		case *ast.CreateRole:
			if err := e.restoreRole(st, ent.ID); err != nil {
				return err
			}
		default:
			return fmt.Errorf("catalog entry %d (%s): unexpected %T", ent.ID, ent.Name, stmt)
		}
	}
	// A view restored from the same checkpoint as its upstream resumes
	// its subscription where the checkpoint cut it, before any job runs;
	// a view with no checkpointed state starts from the upstream's rows.
	for _, j := range jobs {
		if j.upstream != nil && j.restoredState {
			j.upstream.subs = append(j.upstream.subs, j.inbox)
		}
	}
	for _, j := range jobs {
		if err := e.startView(j, j.restoredState); err != nil {
			return err
		}
	}
	if n := len(e.cat.List(catalog.KindMaterializedView)); n > 0 {
		e.log.Info("recovered catalog", "objects", len(entries), "views", n, "checkpoint", e.ckpt.lastID)
	}
	return nil
}

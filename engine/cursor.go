package engine

import (
	"context"
	"fmt"
	"sort"
	"time"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/tocsin-db/tocsin/engine/query"
	"github.com/tocsin-db/tocsin/functions"
	"github.com/tocsin-db/tocsin/sql/ast"
	"github.com/tocsin-db/tocsin/sql/sqlerr"
)

// Cursors are session state: DECLARE c CURSOR FOR SUBSCRIBE ... starts
// a feed (subscribe.go) that buffers changes until FETCH takes them;
// DECLARE ... FOR SELECT runs the query at once and FETCH pages through
// its rows. PostgreSQL requires a transaction block for a cursor without
// HOLD; Tocsin accepts DECLARE anywhere (Materialize requires BEGIN for
// SUBSCRIBE cursors; clients written for it work unchanged). A cursor
// declared inside a transaction block without WITH HOLD is closed when
// the block ends, as in PostgreSQL; any other lives until CLOSE or the
// end of the session.

// cursor is one declared cursor.
type cursor struct {
	cols []Column
	// feed is set for a SUBSCRIBE cursor; rows holds a SELECT cursor's
	// rows not fetched yet.
	feed *feed
	rows []arrow.RecordBatch
	// txn marks a cursor closed at the end of its transaction block.
	txn bool
}

func (c *cursor) close() {
	if c.feed != nil {
		c.feed.close()
	}
	c.rows = nil
}

func (s *Session) declare(st *ast.DeclareCursor, w ResultWriter) error {
	if _, ok := s.cursors[st.Name]; ok {
		return sqlerr.At(sqlerr.DuplicateCursor, st.Off, "cursor %q already exists", st.Name)
	}
	c := &cursor{txn: s.txn != 'I' && !st.Hold}
	switch q := st.Query.(type) {
	case *ast.Subscribe:
		f, err := s.e.startFeed(q)
		if err != nil {
			return err
		}
		c.feed, c.cols = f, f.cols
	case *ast.SelectStmt:
		p, err := s.newBinder().BindQuery(q.Query)
		if err != nil {
			return err
		}
		r := &query.Runner{Snap: s.e, Ctx: &functions.Context{Now: s.e.opts.Now().UnixMicro()}}
		recs, err := r.Run(p)
		if err != nil {
			return err
		}
		c.cols, c.rows = resultColumns(p), visibleRecords(p, recs)
	default:
		return sqlerr.At(sqlerr.FeatureNotSupported, st.Off, "a cursor can read SUBSCRIBE or SELECT only")
	}
	if s.cursors == nil {
		s.cursors = map[string]*cursor{}
	}
	s.cursors[st.Name] = c
	return w.Complete("DECLARE CURSOR")
}

// fetch runs FETCH: up to Count rows of the cursor. On a SUBSCRIBE
// cursor it waits for at least one row, or for WITH (timeout = ...)
// and then returns what arrived, possibly nothing.
func (s *Session) fetch(ctx context.Context, st *ast.Fetch, w ResultWriter) error {
	c, ok := s.cursors[st.Cursor]
	if !ok {
		return sqlerr.At(sqlerr.InvalidCursorName, st.Off, "cursor %q does not exist", st.Cursor)
	}
	timeout := time.Duration(-1)
	for _, o := range st.With {
		switch o.Key {
		case "timeout":
			d, err := parseDuration(o.Value)
			if err != nil || d < 0 {
				return sqlerr.At(sqlerr.InvalidParameterValue, o.Off, "timeout must be a non-negative interval such as '1s', not %q", o.Value)
			}
			timeout = d
		default:
			return sqlerr.At(sqlerr.InvalidParameterValue, o.Off, "unknown FETCH option %q (known: timeout)", o.Key)
		}
	}
	var recs []arrow.RecordBatch
	if c.feed != nil {
		var err error
		if recs, err = c.feed.next(ctx, st.Count, timeout); err != nil {
			return err
		}
	} else if st.Count != 0 {
		recs, _ = takeRows(&c.rows, st.Count)
	}
	if err := w.Columns(c.cols); err != nil {
		return err
	}
	var n int64
	for _, rec := range recs {
		if err := w.Rows(rec); err != nil {
			return err
		}
		n += rec.NumRows()
	}
	return w.Complete(fmt.Sprintf("FETCH %d", n))
}

func (s *Session) closeCursor(st *ast.CloseCursor, w ResultWriter) error {
	if st.All {
		s.closeCursors(false)
		return w.Complete("CLOSE CURSOR ALL")
	}
	c, ok := s.cursors[st.Name]
	if !ok {
		return sqlerr.At(sqlerr.InvalidCursorName, st.Off, "cursor %q does not exist", st.Name)
	}
	c.close()
	delete(s.cursors, st.Name)
	return w.Complete("CLOSE CURSOR")
}

// closeCursors closes every cursor, or (txnOnly) those that end with the
// transaction block.
func (s *Session) closeCursors(txnOnly bool) {
	names := make([]string, 0, len(s.cursors))
	for name, c := range s.cursors {
		if !txnOnly || c.txn {
			names = append(names, name)
		}
	}
	sort.Strings(names)
	for _, name := range names {
		s.cursors[name].close()
		delete(s.cursors, name)
	}
}

// liveColumns returns the columns SUBSCRIBE or FETCH will return, for
// Prepare: a FETCH from a cursor that does not exist yet has none (its
// Execute fails).
func (s *Session) liveColumns(st ast.Statement) ([]Column, error) {
	switch st := st.(type) {
	case *ast.Subscribe:
		obj, err := s.e.subscribeTarget(st)
		if err != nil {
			return nil, err
		}
		return newFeed(obj, nil, nil, 0).cols, nil
	case *ast.Fetch:
		if c, ok := s.cursors[st.Cursor]; ok {
			return c.cols, nil
		}
	}
	return nil, nil
}

package engine

import (
	"context"
	"sync"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/tocsin-db/tocsin/engine/batch"
	"github.com/tocsin-db/tocsin/sql/ast"
	"github.com/tocsin-db/tocsin/sql/catalog"
	"github.com/tocsin-db/tocsin/sql/sqlerr"
	"github.com/tocsin-db/tocsin/sql/types"
)

// SUBSCRIBE reads a materialized view's changelog the way a downstream
// view does: a subscription to the view's job (flow.go), optionally
// starting with the view's current rows (the backfill, as +1 rows). A
// feed's pump goroutine moves every change batch, stamped with the time
// it arrived (tocsin_ts) and its signs (tocsin_diff), into a buffer that
// the statement (or a cursor's FETCH) drains. The pump never waits for
// the reader, so a slow client or a cursor nobody fetches from cannot
// hold the view back; instead the buffer is bounded (feedMaxRows) and a
// feed that falls that far behind ends with 54000 after its buffered
// rows. Closing a feed closes the subscription's done channel, which
// makes the view's job drop it at its next send.
//
// Rows the view expires by retention are not changes and are not sent,
// as they are not sent to downstream views.

// feedMaxRows bounds the changes a feed buffers for its reader.
const feedMaxRows = 1 << 18

// feedColumns are the columns every SUBSCRIBE row starts with.
var feedColumns = []Column{{Name: "tocsin_ts", Type: types.TimestampTZType}, {Name: "tocsin_diff", Type: types.Int64Type}}

// feed is one running SUBSCRIBE.
type feed struct {
	view    *catalog.Object
	up      *job
	sub     *subscription
	visible []int
	cols    []Column
	schema  *arrow.Schema
	now     func() time.Time
	limit   int

	mu    sync.Mutex
	queue []arrow.RecordBatch
	rows  int
	// err ends the feed once queue is drained.
	err error
	// ready is signaled when queue grows or err is set.
	ready chan struct{}

	closeOnce sync.Once
	done      chan struct{}
}

// subscribeOptions are SUBSCRIBE's WITH options.
type subscribeOptions struct {
	snapshot bool
}

func parseSubscribeOptions(opts []ast.Option) (subscribeOptions, error) {
	so := subscribeOptions{snapshot: true}
	for _, o := range opts {
		switch o.Key {
		case "snapshot":
			b, err := parseBool(o.Value)
			if err != nil {
				return so, sqlerr.At(sqlerr.InvalidParameterValue, o.Off, "snapshot must be true or false, not %q", o.Value)
			}
			so.snapshot = b
		default:
			return so, sqlerr.At(sqlerr.InvalidParameterValue, o.Off, "unknown SUBSCRIBE option %q (known: snapshot)", o.Key)
		}
	}
	return so, nil
}

// startFeed subscribes to the view st names. It returns once the view's
// job has accepted the subscription (and queued its snapshot, if asked).
func (e *Engine) startFeed(st *ast.Subscribe) (*feed, error) {
	so, err := parseSubscribeOptions(st.With)
	if err != nil {
		return nil, err
	}
	obj, err := e.subscribeTarget(st)
	if err != nil {
		return nil, err
	}
	e.mu.Lock()
	j := e.jobs[obj.ID]
	e.mu.Unlock()
	if j == nil || j.done == nil {
		return nil, sqlerr.New(sqlerr.ObjectNotInPrerequisiteState, "materialized view %s is not running", obj.Name)
	}
	f := newFeed(obj, j, e.opts.Now, feedMaxRows)
	go f.pump()
	req := subscribeReq{sub: f.sub, backfill: so.snapshot, reply: make(chan error, 1)}
	notRunning := func() error {
		f.close()
		return sqlerr.New(sqlerr.ObjectNotInPrerequisiteState, "materialized view %s is not running", obj.Name)
	}
	select {
	case j.subReqs <- req:
	case <-j.done:
		return nil, notRunning()
	}
	select {
	case err := <-req.reply:
		if err != nil {
			f.close()
			return nil, err
		}
	case <-j.done:
		return nil, notRunning()
	}
	return f, nil
}

// subscribeTarget resolves the view SUBSCRIBE reads.
func (e *Engine) subscribeTarget(st *ast.Subscribe) (*catalog.Object, error) {
	obj, err := e.cat.Relation(st.Name)
	if err != nil {
		return nil, err
	}
	if obj.Kind != catalog.KindMaterializedView {
		return nil, sqlerr.At(sqlerr.WrongObjectType, st.Name.Off, "%q is a %s; SUBSCRIBE reads materialized views", obj.Name, obj.Kind).
			WithHint("Create a materialized view over it and subscribe to that.")
	}
	return obj, nil
}

func newFeed(obj *catalog.Object, up *job, now func() time.Time, limit int) *feed {
	f := &feed{view: obj, up: up, sub: newSubscription(0), now: now, limit: limit,
		ready: make(chan struct{}, 1), done: make(chan struct{})}
	f.visible = obj.Schema.Visible()
	f.cols = append([]Column(nil), feedColumns...)
	fields := []arrow.Field{
		{Name: "tocsin_ts", Type: types.TimestampTZType.Arrow()},
		{Name: "tocsin_diff", Type: types.Int64Type.Arrow()},
	}
	for _, c := range f.visible {
		col := obj.Schema[c]
		f.cols = append(f.cols, Column{Name: col.Name, Type: col.Type})
		fields = append(fields, arrow.Field{Name: col.Name, Type: col.Type.Arrow(), Nullable: true})
	}
	f.schema = arrow.NewSchema(fields, nil)
	return f
}

// pump moves the subscription's change batches into the buffer until the
// feed is closed, the view stops, or the buffer overflows.
func (f *feed) pump() {
	defer close(f.done)
	for {
		select {
		case <-f.sub.done:
			return
		case <-f.up.done:
			// Keep what the job sent before it stopped.
		drain:
			for {
				select {
				case m := <-f.sub.ch:
					if !f.take(m) {
						return
					}
				default:
					break drain
				}
			}
			f.fail(f.stopped())
			return
		case m := <-f.sub.ch:
			if !f.take(m) {
				return
			}
		}
	}
}

// take buffers a data message; it reports false when the feed ended
// because its buffer is full.
func (f *feed) take(m message) bool {
	if m.kind != msgData || m.chunk.Len() == 0 {
		return true
	}
	if !f.push(f.shape(m.chunk, f.now())) {
		f.closeSub()
		return false
	}
	return true
}

// stopped is the error that ends a feed whose view's job ended.
func (f *feed) stopped() error {
	if _, err := f.up.Status(); err != nil {
		return sqlerr.New(sqlerr.ObjectNotInPrerequisiteState, "materialized view %s failed: %v", f.view.Name, err)
	}
	return sqlerr.New(sqlerr.UndefinedTable, "materialized view %s was dropped; SUBSCRIBE ended", f.view.Name)
}

// shape turns a change chunk of the view's rows into SUBSCRIBE's rows:
// tocsin_ts, tocsin_diff, then the view's visible columns.
func (f *feed) shape(c batch.Chunk, at time.Time) arrow.RecordBatch {
	n := c.Len()
	tsb := array.NewTimestampBuilder(memory.DefaultAllocator, types.TimestampTZType.Arrow().(*arrow.TimestampType))
	defer tsb.Release()
	db := array.NewInt64Builder(memory.DefaultAllocator)
	defer db.Release()
	tsb.Reserve(n)
	db.Reserve(n)
	ts := arrow.Timestamp(at.UnixMicro())
	for i := range n {
		tsb.UnsafeAppend(ts)
		d := int64(1)
		if c.Signs != nil && c.Signs[i] < 0 {
			d = -1
		}
		db.UnsafeAppend(d)
	}
	cols := make([]arrow.Array, 0, len(f.cols))
	cols = append(cols, tsb.NewArray(), db.NewArray())
	for _, k := range f.visible {
		cols = append(cols, c.Rec.Column(k))
	}
	return array.NewRecordBatch(f.schema, cols, int64(n))
}

// push queues rec; it reports false (and ends the feed) when the buffer
// would exceed its limit.
func (f *feed) push(rec arrow.RecordBatch) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.rows+int(rec.NumRows()) > f.limit {
		f.err = sqlerr.New(sqlerr.ProgramLimitExceeded, "SUBSCRIBE to %s fell behind: more than %d changes were waiting to be read", f.view.Name, f.limit).
			WithHint("Read the changes faster (FETCH more rows at a time) or subscribe to a view that changes less.")
		f.signal()
		return false
	}
	f.queue = append(f.queue, rec)
	f.rows += int(rec.NumRows())
	f.signal()
	return true
}

func (f *feed) fail(err error) {
	f.mu.Lock()
	if f.err == nil {
		f.err = err
	}
	f.signal()
	f.mu.Unlock()
}

func (f *feed) signal() {
	select {
	case f.ready <- struct{}{}:
	default:
	}
}

// next returns up to max buffered rows (all of them for ast.FetchAll),
// waiting for at least one. A non-negative timeout bounds the wait; when
// it passes next returns no rows and no error. The feed's error comes
// after its buffered rows; a canceled ctx is 57014.
func (f *feed) next(ctx context.Context, max int64, timeout time.Duration) ([]arrow.RecordBatch, error) {
	if max == 0 {
		return nil, nil
	}
	var expire <-chan time.Time
	if timeout >= 0 {
		t := time.NewTimer(timeout)
		defer t.Stop()
		expire = t.C
	}
	for {
		f.mu.Lock()
		if f.rows > 0 {
			out, taken := takeRows(&f.queue, max)
			f.rows -= int(taken)
			f.mu.Unlock()
			return out, nil
		}
		err := f.err
		f.mu.Unlock()
		if err != nil {
			return nil, err
		}
		select {
		case <-f.ready:
		case <-ctx.Done():
			return nil, errCanceled()
		case <-expire:
			return nil, nil
		}
	}
}

// closeSub tells the view's job to drop the subscription.
func (f *feed) closeSub() {
	f.closeOnce.Do(func() { close(f.sub.done) })
}

// close ends the feed and waits for its pump.
func (f *feed) close() {
	f.closeSub()
	<-f.done
}

// takeRows removes up to max rows (all for ast.FetchAll) from the front
// of queue and returns them with their count.
func takeRows(queue *[]arrow.RecordBatch, max int64) ([]arrow.RecordBatch, int64) {
	var out []arrow.RecordBatch
	var taken int64
	q := *queue
	for len(q) > 0 && (max == ast.FetchAll || taken < max) {
		rec := q[0]
		n := rec.NumRows()
		if max != ast.FetchAll && taken+n > max {
			k := max - taken
			out = append(out, rec.NewSlice(0, k))
			q[0] = rec.NewSlice(k, n)
			taken += k
			break
		}
		out = append(out, rec)
		q[0] = nil
		q = q[1:]
		taken += n
	}
	*queue = q
	return out, taken
}

// subscribe runs SUBSCRIBE as a statement: the columns, then each change
// batch as it arrives, until the client cancels (57014), the connection
// fails (a write error), or the view goes away.
func (s *Session) subscribe(ctx context.Context, st *ast.Subscribe, w ResultWriter) error {
	f, err := s.e.startFeed(st)
	if err != nil {
		return err
	}
	defer f.close()
	if err := w.Columns(f.cols); err != nil {
		return err
	}
	for {
		recs, err := f.next(ctx, ast.FetchAll, -1)
		if err != nil {
			return err
		}
		for _, rec := range recs {
			if err := w.Rows(rec); err != nil {
				return err
			}
		}
	}
}

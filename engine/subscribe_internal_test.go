package engine

import (
	"fmt"
	"io"
	"log/slog"
	"slices"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/tocsin-db/tocsin/connectors"
	connmemory "github.com/tocsin-db/tocsin/connectors/memory"
	"github.com/tocsin-db/tocsin/engine/batch"
	"github.com/tocsin-db/tocsin/functions"
	"github.com/tocsin-db/tocsin/functions/aggregate"
	"github.com/tocsin-db/tocsin/functions/scalar"
	"github.com/tocsin-db/tocsin/sql/ast"
	"github.com/tocsin-db/tocsin/sql/catalog"
	"github.com/tocsin-db/tocsin/sql/parser"
	"github.com/tocsin-db/tocsin/sql/sqlerr"
	"github.com/tocsin-db/tocsin/sql/types"
)

// jobSubscriptions returns a job's subscribers as its goroutine sees
// them between two batches: a subscribe request synchronises with it
// (the probe itself is already gone, so the job drops it at its next
// send).
func jobSubscriptions(t *testing.T, j *job) []*subscription {
	t.Helper()
	probe := newSubscription(0)
	close(probe.done)
	req := subscribeReq{sub: probe, reply: make(chan error, 1)}
	j.subReqs <- req
	if err := <-req.reply; err != nil {
		t.Fatal(err)
	}
	return slices.Clone(j.subs)
}

func internalEngine(t *testing.T, log *connmemory.Log) (*Engine, *Session) {
	reg := functions.NewRegistry()
	scalar.Register(reg)
	aggregate.Register(reg)
	b := connmemory.NewBroker()
	b.Add("events", log)
	conns := connectors.NewRegistry()
	conns.RegisterSource("memory", b.Factory())
	e, err := Open(Options{Functions: reg, Connectors: conns, CheckpointInterval: -1,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = e.Close() })
	return e, e.NewSession(map[string]string{"user": "test"})
}

// TestFeedReleasesSubscription checks that a closed feed's subscription
// leaves the view's job at its next change, and that a view dropped
// under a feed ends it.
func TestFeedReleasesSubscription(t *testing.T) {
	l := connmemory.NewLog(1)
	e, s := internalEngine(t, l)
	for _, sql := range []string{
		// No watermark: the job sends nothing between the test's rows.
		`CREATE SOURCE events (service VARCHAR, latency BIGINT) WITH (connector = 'memory', topic = 'events') FORMAT JSON`,
		`CREATE MATERIALIZED VIEW worst AS SELECT service, max(latency) AS worst FROM events GROUP BY service`,
	} {
		if err := s.Query(t.Context(), sql, discard{}); err != nil {
			t.Fatal(err)
		}
	}
	st, err := parser.ParseOne("SUBSCRIBE worst")
	if err != nil {
		t.Fatal(err)
	}
	f, err := e.startFeed(st.(*ast.Subscribe))
	if err != nil {
		t.Fatal(err)
	}
	j := e.jobs[f.view.ID]
	if !slices.Contains(jobSubscriptions(t, j), f.sub) {
		t.Fatal("the feed is not subscribed")
	}
	f.close()
	l.Append(0, []byte(`{"service": "api", "latency": 5}`))
	deadline := time.Now().Add(10 * time.Second)
	for {
		snap, err := e.ViewSnapshot(f.view)
		if err != nil {
			t.Fatal(err)
		}
		if snap.Len() == 1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the view did not take the row")
		}
		time.Sleep(10 * time.Millisecond)
	}
	if slices.Contains(jobSubscriptions(t, j), f.sub) {
		t.Fatal("the closed feed is still subscribed after a change")
	}

	// DROP ends a running feed with an error once its rows are read.
	f, err = e.startFeed(st.(*ast.Subscribe))
	if err != nil {
		t.Fatal(err)
	}
	defer f.close()
	if err := s.Query(t.Context(), "DROP MATERIALIZED VIEW worst", discard{}); err != nil {
		t.Fatal(err)
	}
	recs, err := f.next(t.Context(), ast.FetchAll, -1)
	if err != nil || len(recs) != 1 || recs[0].NumRows() != 1 {
		t.Fatalf("snapshot after DROP: %v, %v", recs, err)
	}
	if _, err := f.next(t.Context(), ast.FetchAll, -1); sqlerr.CodeOf(err) != sqlerr.UndefinedTable {
		t.Fatalf("after DROP: %v", err)
	}
}

// TestFeedOverflow checks that a feed nobody reads stops at its limit
// instead of holding the view back, and reports 54000 after the rows it
// kept.
func TestFeedOverflow(t *testing.T) {
	l := connmemory.NewLog(1)
	e, s := internalEngine(t, l)
	for _, sql := range []string{
		`CREATE SOURCE events (service VARCHAR, latency BIGINT) WITH (connector = 'memory', topic = 'events') FORMAT JSON`,
		`CREATE MATERIALIZED VIEW worst AS SELECT service, max(latency) AS worst FROM events GROUP BY service`,
	} {
		if err := s.Query(t.Context(), sql, discard{}); err != nil {
			t.Fatal(err)
		}
	}
	obj, _ := e.cat.Lookup("worst")
	j := e.jobs[obj.ID]
	f := newFeed(obj, j, e.opts.Now, 3)
	go f.pump()
	req := subscribeReq{sub: f.sub, reply: make(chan error, 1)}
	j.subReqs <- req
	if err := <-req.reply; err != nil {
		t.Fatal(err)
	}
	defer f.close()
	for i := range 20 {
		l.Append(0, fmt.Appendf(nil, `{"service": "s%d", "latency": 1}`, i))
	}
	deadline := time.Now().Add(10 * time.Second)
	for snap, _ := e.ViewSnapshot(obj); snap.Len() != 20; snap, _ = e.ViewSnapshot(obj) {
		if time.Now().After(deadline) {
			t.Fatalf("the view holds %d of 20 rows: the feed held it back", snap.Len())
		}
		time.Sleep(10 * time.Millisecond)
	}
	var n int64
	for {
		recs, err := f.next(t.Context(), ast.FetchAll, 0)
		if err != nil {
			if sqlerr.CodeOf(err) != sqlerr.ProgramLimitExceeded {
				t.Fatal(err)
			}
			break
		}
		for _, r := range recs {
			n += r.NumRows()
		}
	}
	if n > 3 {
		t.Fatalf("the feed kept %d rows, want at most 3", n)
	}
}

// discard is a ResultWriter that drops everything.
type discard struct{ ResultWriter }

func (discard) Columns([]Column) error      { return nil }
func (discard) Complete(string) error       { return nil }
func (discard) Notice(string, string) error { return nil }
func (discard) Rows(rec arrowRecord) error  { return nil }

// BenchmarkFeedShape measures turning a 1024-row change chunk into
// SUBSCRIBE's rows (per batch the view changes).
func BenchmarkFeedShape(b *testing.B) {
	e := newEngine(Options{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	obj := &catalog.Object{Name: "v", Schema: types.Schema{{Name: "service", Type: types.TextType}, {Name: "worst", Type: types.Float64Type}}}
	f := newFeed(obj, nil, e.opts.Now, feedMaxRows)
	const n = 1024
	sb := array.NewStringBuilder(memory.DefaultAllocator)
	fb := array.NewFloat64Builder(memory.DefaultAllocator)
	signs := make([]int8, n)
	for i := range n {
		sb.Append(fmt.Sprintf("s%d", i))
		fb.Append(float64(i))
		signs[i] = int8(1 - 2*(i%2))
	}
	rec := array.NewRecordBatch(obj.Schema.Arrow(), []arrow.Array{sb.NewArray(), fb.NewArray()}, n)
	c := batch.Chunk{Rec: rec, Signs: signs}
	at := time.Now()
	b.ReportAllocs()
	for b.Loop() {
		f.shape(c, at)
	}
}

// BenchmarkPublish measures NOTIFY's fan-out to one listening session
// whose queue is full (the worst case: each delivery drops the oldest).
func BenchmarkPublish(b *testing.B) {
	h := newListenHub(slog.New(slog.NewTextHandler(io.Discard, nil)), time.Now)
	l := newListener()
	h.add("ch", l)
	n := Notification{Channel: "ch", Payload: `{"state":"firing"}`}
	b.ReportAllocs()
	for b.Loop() {
		h.publish(n)
	}
}

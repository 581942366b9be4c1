package engine_test

import (
	"context"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/tocsin-db/tocsin/connectors"
	"github.com/tocsin-db/tocsin/connectors/memory"
	"github.com/tocsin-db/tocsin/engine"
	"github.com/tocsin-db/tocsin/functions"
	"github.com/tocsin-db/tocsin/functions/aggregate"
	"github.com/tocsin-db/tocsin/functions/anomaly"
	"github.com/tocsin-db/tocsin/functions/scalar"
	"github.com/tocsin-db/tocsin/pgwire"
	"github.com/tocsin-db/tocsin/sql/types"
)

// result collects a statement's output.
type result struct {
	cols []engine.Column
	rows [][]types.Datum
	tags []string
	// copyData is what CopyIn hands to COPY FROM STDIN.
	copyData string
}

func (r *result) Columns(cols []engine.Column) error { r.cols = cols; return nil }
func (r *result) Rows(rec arrow.RecordBatch) error {
	for i := 0; i < int(rec.NumRows()); i++ {
		row := make([]types.Datum, len(r.cols))
		for j, c := range r.cols {
			row[j] = functions.DatumAt(rec.Column(j), c.Type, i)
		}
		r.rows = append(r.rows, row)
	}
	return nil
}
func (r *result) Complete(tag string) error   { r.tags = append(r.tags, tag); return nil }
func (r *result) Empty() error                { return nil }
func (r *result) Notice(string, string) error { return nil }

func (r *result) CopyIn(int) (io.Reader, error) { return strings.NewReader(r.copyData), nil }

// col returns column name of row i.
func (r *result) col(i int, name string) types.Datum {
	for j, c := range r.cols {
		if c.Name == name {
			return r.rows[i][j]
		}
	}
	panic("no column " + name)
}

// testEngine is an engine reading in-memory logs.
type testEngine struct {
	*engine.Engine
	broker *memory.Broker
	sess   *engine.Session
}

// openEngine opens an engine on dir whose memory connector serves logs
// (registered before the engine recovers its catalog).
func openEngine(t testing.TB, dir string, interval time.Duration, logs ...map[string]*memory.Log) *testEngine {
	t.Helper()
	reg := functions.NewRegistry()
	scalar.Register(reg)
	aggregate.Register(reg)
	anomaly.Register(reg)
	b := memory.NewBroker()
	for _, m := range logs {
		for name, l := range m {
			b.Add(name, l)
		}
	}
	conns := connectors.NewRegistry()
	conns.RegisterSource("memory", b.Factory())
	e, err := engine.Open(engine.Options{
		Functions: reg, Connectors: conns, DataDir: dir, CheckpointInterval: interval,
		Logger:           slog.New(slog.NewTextHandler(io.Discard, nil)),
		PasswordVerifier: pgwire.StoredVerifier,
	})
	if err != nil {
		t.Fatal(err)
	}
	te := &testEngine{Engine: e, broker: b, sess: e.NewSession(map[string]string{"user": "test"})}
	return te
}

func (te *testEngine) exec(t testing.TB, sql string) *result {
	t.Helper()
	r := &result{}
	if err := te.sess.Query(context.Background(), sql, r); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
	return r
}

// execErr runs sql and returns its error; copyData feeds COPY FROM STDIN.
func (te *testEngine) execErr(sql, copyData string) (*result, error) {
	r := &result{copyData: copyData}
	return r, te.sess.Query(context.Background(), sql, r)
}

// waitFor polls f until it returns "" or the deadline passes.
func waitFor(t testing.TB, timeout time.Duration, what string, f func() string) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		msg := f()
		if msg == "" {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: not reached after %v: %s", what, timeout, msg)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// sourceRecords reads SHOW SOURCES' records and lag for a source.
func (te *testEngine) sourceRecords(t testing.TB, name string) (records, lag int64) {
	r := te.exec(t, "SHOW SOURCES")
	for i := range r.rows {
		if r.col(i, "name").S == name {
			return r.col(i, "records").I, r.col(i, "lag").I
		}
	}
	t.Fatalf("no source %s", name)
	return 0, 0
}

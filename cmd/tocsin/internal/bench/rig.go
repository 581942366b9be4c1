package bench

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"time"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/tocsin-db/tocsin/connectors"
	"github.com/tocsin-db/tocsin/connectors/kafka"
	"github.com/tocsin-db/tocsin/connectors/memory"
	"github.com/tocsin-db/tocsin/engine"
	"github.com/tocsin-db/tocsin/functions"
	"github.com/tocsin-db/tocsin/functions/aggregate"
	"github.com/tocsin-db/tocsin/functions/anomaly"
	"github.com/tocsin-db/tocsin/functions/scalar"
	"github.com/tocsin-db/tocsin/sql/types"
)

// Mode is how records reach the engine.
type Mode string

// The ingest modes.
const (
	// Memory replays pre-encoded JSON records from an in-process
	// connectors/memory log: it measures the engine alone.
	Memory Mode = "memory"
	// Kafka reads records preloaded into a broker running in its own
	// process, through the real Kafka source.
	Kafka Mode = "kafka"
)

// ParseModes parses --mode: memory, kafka or both.
func ParseModes(s string) ([]Mode, error) {
	switch strings.ToLower(s) {
	case "memory":
		return []Mode{Memory}, nil
	case "kafka":
		return []Mode{Kafka}, nil
	case "both", "":
		return []Mode{Memory, Kafka}, nil
	}
	return nil, fmt.Errorf("--mode must be memory, kafka or both, not %q", s)
}

// rig is an engine in a temporary data directory, with a session.
type rig struct {
	eng  *engine.Engine
	sess *engine.Session
	dir  string
	mem  *memory.Broker
}

// openRig opens an engine whose memory connector serves mem's logs and
// whose kafka connector reads real brokers. interval <= 0 disables
// periodic checkpoints.
func openRig(interval time.Duration, logw io.Writer) (*rig, error) {
	dir, err := os.MkdirTemp("", "tocsin-bench-")
	if err != nil {
		return nil, err
	}
	log := slog.New(slog.NewTextHandler(logw, &slog.HandlerOptions{Level: slog.LevelWarn}))
	reg := functions.NewRegistry()
	scalar.Register(reg)
	aggregate.Register(reg)
	anomaly.Register(reg)
	mem := memory.NewBroker()
	conns := connectors.NewRegistry()
	conns.RegisterSource("memory", mem.Factory())
	conns.RegisterSource("kafka", kafka.NewFactory(kafka.Config{Logger: log}))
	if interval <= 0 {
		interval = -1
	}
	eng, err := engine.Open(engine.Options{
		Functions: reg, Connectors: conns, Logger: log, DataDir: dir, CheckpointInterval: interval,
	})
	if err != nil {
		_ = os.RemoveAll(dir)
		return nil, err
	}
	return &rig{eng: eng, sess: eng.NewSession(map[string]string{"user": "bench"}), dir: dir, mem: mem}, nil
}

func (r *rig) close() error {
	err := r.eng.Close()
	return errors.Join(err, os.RemoveAll(r.dir))
}

// exec runs one statement and returns its rows.
func (r *rig) exec(ctx context.Context, sql string) (*rows, error) {
	out := &rows{}
	if err := r.sess.Query(ctx, sql, out); err != nil {
		short := sql
		if len(short) > 120 {
			short = short[:120] + "..."
		}
		return nil, fmt.Errorf("%s: %w", short, err)
	}
	return out, nil
}

// sourceWith returns a source's WITH options for a mode.
func sourceWith(mode Mode, topic, broker string) string {
	if mode == Kafka {
		return fmt.Sprintf(`connector = 'kafka', topic = '%s', properties.bootstrap.server = '%s', scan.startup.mode = 'earliest'`, topic, broker)
	}
	return fmt.Sprintf(`connector = 'memory', topic = '%s'`, topic)
}

// rows collects a statement's result as datums.
type rows struct {
	cols []engine.Column
	data [][]types.Datum
}

var _ engine.ResultWriter = (*rows)(nil)

func (r *rows) Columns(cols []engine.Column) error { r.cols = cols; return nil }

func (r *rows) Rows(rec arrow.RecordBatch) error {
	for i := 0; i < int(rec.NumRows()); i++ {
		row := make([]types.Datum, len(r.cols))
		for j, c := range r.cols {
			row[j] = functions.DatumAt(rec.Column(j), c.Type, i)
		}
		r.data = append(r.data, row)
	}
	return nil
}

func (r *rows) Complete(string) error         { return nil }
func (r *rows) Empty() error                  { return nil }
func (r *rows) Notice(string, string) error   { return nil }
func (r *rows) CopyIn(int) (io.Reader, error) { return nil, errors.New("bench: no COPY data") }

// indexOf returns the index of the named column, or -1.
func indexOf(cols []engine.Column, name string) int {
	for i, c := range cols {
		if c.Name == name {
			return i
		}
	}
	return -1
}

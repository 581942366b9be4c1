package engine_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/tocsin-db/tocsin/connectors/memory"
)

func feed(log *memory.Log, from, to int) {
	base := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC).UnixMilli()
	for i := from; i < to; i++ {
		log.Append(int32(i%2), fmt.Appendf(nil, `{"ts":%d,"k":"k%d","v":%d}`, base+int64(i)*100, i%3, i))
	}
}

// TestRestartRestoresCatalogAndViews closes and reopens an engine on the
// same data directory: sources, views and the view's contents come back,
// the view resumes from its checkpointed offsets without counting
// anything twice, and a DROP is durable too.
func TestRestartRestoresCatalogAndViews(t *testing.T) {
	dir := t.TempDir()
	log := memory.NewLog(2)
	logs := map[string]*memory.Log{"events": log}
	te := openEngine(t, dir, -1, logs)
	te.exec(t, `CREATE SOURCE ev (ts TIMESTAMP, k VARCHAR, v BIGINT, WATERMARK FOR ts AS ts - INTERVAL '1' SECOND)
		WITH (connector = 'memory', topic = 'events') FORMAT JSON`)
	te.exec(t, `CREATE MATERIALIZED VIEW totals AS SELECT k, count(*) AS n, sum(v) AS s FROM ev GROUP BY k`)
	te.exec(t, `CREATE MATERIALIZED VIEW gone AS SELECT k FROM ev`)
	feed(log, 0, 1000)
	total := func(te *testEngine) (int64, int64) {
		r := te.exec(t, "SELECT sum(n), sum(s) FROM totals")
		return r.rows[0][0].I, r.rows[0][1].I
	}
	waitFor(t, 30*time.Second, "totals catch up", func() string {
		if n, _ := total(te); n != 1000 {
			return fmt.Sprintf("n=%d", n)
		}
		return ""
	})
	te.exec(t, "DROP MATERIALIZED VIEW gone")
	if err := te.Close(); err != nil { // takes a final checkpoint
		t.Fatal(err)
	}

	te = openEngine(t, dir, -1, logs)
	defer te.Close()
	r := te.exec(t, "SHOW MATERIALIZED VIEWS")
	if len(r.rows) != 1 || r.rows[0][0].S != "totals" {
		t.Fatalf("views after restart: %v", r.rows)
	}
	// The restored view answers before reading anything new.
	if n, s := total(te); n != 1000 || s != 999*1000/2 {
		t.Fatalf("restored totals n=%d s=%d", n, s)
	}
	feed(log, 1000, 1500)
	waitFor(t, 30*time.Second, "totals resume", func() string {
		if n, s := total(te); n != 1500 || s != 1499*1500/2 {
			return fmt.Sprintf("n=%d s=%d", n, s)
		}
		return ""
	})
	if err := te.Checkpoint(); err != nil {
		t.Fatal(err)
	}
	r = te.exec(t, "SELECT id, bytes, views FROM tocsin_checkpoints ORDER BY id DESC LIMIT 1")
	if len(r.rows) != 1 || r.rows[0][1].I <= 0 || r.rows[0][2].I != 1 {
		t.Fatalf("tocsin_checkpoints: %v", r.rows)
	}
	r = te.exec(t, "SHOW SOURCES")
	if got := r.col(0, "offsets").S; got != "0:750,1:750" {
		t.Fatalf("SHOW SOURCES offsets = %q, want 0:750,1:750", got)
	}
}

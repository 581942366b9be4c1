package engine_test

import (
	"fmt"
	"os"
	"runtime"
	"runtime/debug"
	"strconv"
	"testing"
	"time"

	"github.com/tocsin-db/tocsin/connectors/memory"
)

func heapInUse() uint64 {
	// Two collections: objects parked in sync.Pools survive one.
	runtime.GC()
	runtime.GC()
	debug.FreeOSMemory()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapInuse
}

// TestSoakStateIsBounded sends many distinct keys through a windowed
// aggregation whose view keeps rows for one window behind the watermark.
// Every key is live in one window only, so state must grow and shrink
// with the open windows, and once the watermark has passed every window
// and the retention, the heap must be back near its baseline.
// `make soak` runs it with 10^7 keys (TOCSIN_SOAK_KEYS).
func TestSoakStateIsBounded(t *testing.T) {
	keys, perWindow := 200_000, 50_000
	if v, err := strconv.Atoi(os.Getenv("TOCSIN_SOAK_KEYS")); err == nil && v > 0 {
		keys = v
	}
	if v, err := strconv.Atoi(os.Getenv("TOCSIN_SOAK_WINDOW")); err == nil && v > 0 {
		perWindow = v
	}
	te := openEngine(t, t.TempDir(), 200*time.Millisecond)
	defer te.Close()
	log := memory.NewLog(4)
	te.broker.Add("soak", log)
	te.exec(t, `CREATE SOURCE src (ts TIMESTAMP, k VARCHAR, v DOUBLE PRECISION, WATERMARK FOR ts AS ts - INTERVAL '1' SECOND)
		WITH (connector = 'memory', topic = 'soak') FORMAT JSON`)
	te.exec(t, `CREATE MATERIALIZED VIEW per_key WITH (retention = '10 minutes') AS
		SELECT window_start, k, count(*) AS n, sum(v) AS s FROM TUMBLE(src, ts, INTERVAL '10' MINUTE)
		GROUP BY window_start, k`)
	baseline := heapInUse()
	base := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC).UnixMilli()
	step := int64(600_000 / perWindow) // event-time ms between keys, so a window holds perWindow keys
	if step == 0 {
		step = 1
	}
	var peak uint64
	appended := int64(0)
	const chunk = 20_000
	buf := make([][]byte, 0, chunk)
	for i := 0; i < keys; i += chunk {
		for p := int32(0); p < 4; p++ {
			buf = buf[:0]
			for j := i + int(p); j < min(keys, i+chunk); j += 4 {
				buf = append(buf, fmt.Appendf(nil, `{"ts":%d,"k":"key-%d","v":%d}`, base+int64(j)*step, j, j%97))
			}
			log.Append(p, buf...)
			appended += int64(len(buf))
		}
		waitFor(t, 5*time.Minute, "the view consumes the log", func() string {
			if rec, _ := te.sourceRecords(t, "src"); rec < appended {
				return fmt.Sprintf("%d of %d records", rec, appended)
			}
			return ""
		})
		for p := int32(0); p < 4; p++ {
			log.Trim(p, log.End(p))
		}
		if i%(chunk*5) == 0 {
			peak = max(peak, heapInUse())
		}
	}
	// An event far ahead closes every window and expires every row.
	future := base + int64(keys)*step + 3_600_000
	for p := int32(0); p < 4; p++ {
		log.Append(p, fmt.Appendf(nil, `{"ts":%d,"k":"end","v":0}`, future))
	}
	waitFor(t, time.Minute, "old windows expire", func() string {
		r := te.exec(t, "SELECT count(*) FROM per_key")
		if n := r.rows[0][0].I; n > 1 {
			return fmt.Sprintf("%d rows left", n)
		}
		return ""
	})
	if err := te.Checkpoint(); err != nil {
		t.Fatal(err)
	}
	after := heapInUse()
	t.Logf("%d keys, %d per window: heap in use baseline %d MiB, peak %d MiB, after windows closed %d MiB",
		keys, perWindow, baseline>>20, peak>>20, after>>20)
	// What may remain is the state store's fixed buffers (Pebble's
	// memtable and block cache), whatever the number of keys.
	const fixed = 24 << 20
	if after > baseline+fixed {
		t.Fatalf("heap in use %d MiB after every window closed, baseline %d MiB: state is not freed", after>>20, baseline>>20)
	}
}

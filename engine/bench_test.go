package engine_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/tocsin-db/tocsin/connectors/memory"
)

// events appends n request-like events over keys keys to the log, evenly
// over its partitions, starting at event number from.
func events(log *memory.Log, partitions, from, n, keys int) {
	base := time.Date(2026, 5, 1, 0, 0, 0, 0, time.UTC).UnixMilli()
	per := make([][][]byte, partitions)
	for i := from; i < from+n; i++ {
		p := i % partitions
		per[p] = append(per[p], fmt.Appendf(nil, `{"ts":%d,"service":"svc-%04d","latency_ms":%d.25,"status":%d}`,
			base+int64(i), i%keys, i%500, 200+i%3*100))
	}
	for p, recs := range per {
		log.Append(int32(p), recs...)
	}
}

const benchSource = `CREATE SOURCE requests (ts TIMESTAMP, service VARCHAR, latency_ms DOUBLE PRECISION, status INT,
	WATERMARK FOR ts AS ts - INTERVAL '5' SECOND) WITH (connector = 'memory', topic = 'requests') FORMAT JSON`

const benchView = `CREATE MATERIALIZED VIEW req_1m AS
	SELECT window_start, service, count(*) AS n, sum(latency_ms) AS total, avg(latency_ms) AS avg_ms, max(latency_ms) AS max_ms
	FROM TUMBLE(requests, ts, INTERVAL '1' MINUTE) GROUP BY window_start, service`

// BenchmarkCheckpointCost measures ingest throughput of a TUMBLE
// aggregation over 1,000 keys with checkpoints off and every second, in
// the same run:
//
//	go test ./engine -run '^$' -bench CheckpointCost -benchtime 2000000x -count 5
func BenchmarkCheckpointCost(b *testing.B) {
	for _, interval := range []time.Duration{-1, time.Second} {
		name := "checkpoints=off"
		if interval > 0 {
			name = "checkpoints=1s"
		}
		b.Run(name, func(b *testing.B) {
			log := memory.NewLog(4)
			te := openEngine(b, b.TempDir(), interval, map[string]*memory.Log{"requests": log})
			defer te.Close()
			te.exec(b, benchSource)
			te.exec(b, benchView)
			events(log, 4, 0, b.N, 1000)
			b.ResetTimer()
			start := time.Now()
			waitFor(b, 10*time.Minute, "ingest", func() string {
				if rec, _ := te.sourceRecords(b, "requests"); rec < int64(b.N) {
					return fmt.Sprint(rec)
				}
				return ""
			})
			b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "events/s")
		})
	}
}

// BenchmarkCheckpointSize measures one checkpoint of a view holding a
// given number of keys: the first, which writes every key, and a later
// one after 1% of the keys changed.
//
//	go test ./engine -run '^$' -bench CheckpointSize -benchtime 1x
func BenchmarkCheckpointSize(b *testing.B) {
	for _, keys := range []int{10_000, 100_000, 1_000_000} {
		b.Run(fmt.Sprintf("keys=%d", keys), func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				log := memory.NewLog(4)
				te := openEngine(b, b.TempDir(), -1, map[string]*memory.Log{"requests": log})
				te.exec(b, benchSource)
				te.exec(b, `CREATE MATERIALIZED VIEW per_key AS SELECT service, count(*) AS n, sum(latency_ms) AS total FROM requests GROUP BY service`)
				events(log, 4, 0, keys, keys)
				waitFor(b, 10*time.Minute, "load", func() string {
					if rec, _ := te.sourceRecords(b, "requests"); rec < int64(keys) {
						return fmt.Sprint(rec)
					}
					return ""
				})
				full := checkpoint(b, te)
				events(log, 4, keys, keys/100, keys)
				waitFor(b, time.Minute, "update", func() string {
					if rec, _ := te.sourceRecords(b, "requests"); rec < int64(keys+keys/100) {
						return fmt.Sprint(rec)
					}
					return ""
				})
				delta := checkpoint(b, te)
				b.ReportMetric(full.ms, "first-ms")
				b.ReportMetric(float64(full.bytes), "first-bytes")
				b.ReportMetric(delta.ms, "delta-ms")
				b.ReportMetric(float64(delta.bytes), "delta-bytes")
				b.ReportMetric(float64(delta.state), "state-bytes")
				_ = te.Close()
			}
		})
	}
}

type ckpt struct {
	ms           float64
	bytes, state int64
}

func checkpoint(b *testing.B, te *testEngine) ckpt {
	if err := te.Checkpoint(); err != nil {
		b.Fatal(err)
	}
	r := te.exec(b, "SELECT duration_ms, bytes, state_bytes FROM tocsin_checkpoints ORDER BY id DESC LIMIT 1")
	return ckpt{ms: r.rows[0][0].F, bytes: r.rows[0][1].I, state: r.rows[0][2].I}
}

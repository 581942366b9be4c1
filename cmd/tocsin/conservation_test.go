package main

import (
	"bytes"
	"context"
	"fmt"
	"math/rand"
	"testing"
	"time"

	"github.com/tocsin-db/tocsin/connectors/kafka"
)

// badRecord is one kind of record the source must dead-letter.
type badRecord struct {
	class string
	make  func(i int, tsMS int64) []byte
}

var badRecords = []badRecord{
	{"malformed", func(i int, ts int64) []byte { return fmt.Appendf(nil, `{"ts":%d,"k":"k01","seq":%d,"v":`, ts, i) }}, // truncated
	{"conversion", func(i int, ts int64) []byte { return fmt.Appendf(nil, `{"ts":%d,"k":"k01","seq":"twelve","v":1}`, ts) }},
	{"malformed", func(i int, ts int64) []byte {
		return append(fmt.Appendf(nil, `{"ts":%d,"k":"`, ts), 0xff, 0xfe, '"', '}') // invalid UTF-8
	}},
	{"oversized", func(i int, ts int64) []byte {
		return fmt.Appendf(nil, `{"ts":%d,"k":"k01","seq":1,"v":1,"pad":"%s"}`, ts, bytes.Repeat([]byte("x"), 70_000))
	}},
	{"malformed", func(i int, ts int64) []byte { return fmt.Appendf(nil, `{"ts":%d,"k":"k01","seq":1,"v":NaN}`, ts) }},
	{"conversion", func(i int, ts int64) []byte { return fmt.Appendf(nil, `{"ts":%d,"k":"k01","seq":1,"v":1e400}`, ts) }},
	{"missing_field", func(i int, ts int64) []byte { return fmt.Appendf(nil, `{"k":"k01","seq":%d,"v":1}`, i) }},
}

const conservationSource = `CREATE SOURCE src (ts TIMESTAMP, k VARCHAR, seq BIGINT, v DOUBLE PRECISION,
  WATERMARK FOR ts AS ts - INTERVAL '5' SECOND)
  WITH (connector = 'kafka', topic = 'mixed', properties.bootstrap.server = '%s', max.record.bytes = '65536') FORMAT JSON`

const conservationView = `CREATE MATERIALIZED VIEW per_window WITH (late_rows = 'keep') AS
  SELECT window_start, count(*) AS n FROM TUMBLE(src, ts, INTERVAL '10' SECOND) GROUP BY window_start`

// TestConservationAcrossKills feeds good records, every kind of bad
// record and late events through a source while `tocsin serve` is killed
// and restarted, and checks produced = accepted + dead-lettered + late
// exactly, with every dead letter and late row in its table.
func TestConservationAcrossKills(t *testing.T) {
	const good, partitions = 40_000, 4
	kills := envInt("TOCSIN_CONSERVATION_K", 5)
	rng := rand.New(rand.NewSource(5))
	base := time.Date(2026, 11, 21, 11, 0, 0, 0, time.UTC).UnixMilli()
	var msgs []kafka.Message
	wantClass := map[string]int{}
	late := 0
	for i := 0; i < good; i++ {
		ts := base + int64(i) - rng.Int63n(1000)
		p := int32(i % partitions)
		msgs = append(msgs, kafka.Message{Value: fmt.Appendf(nil, `{"ts":%d,"k":"k%02d","seq":%d,"v":%d}`, ts, i%7, i, i%100), Partition: p})
		switch {
		case i%97 == 50:
			b := badRecords[(i/97)%len(badRecords)]
			msgs = append(msgs, kafka.Message{Value: b.make(i, ts), Partition: p})
			wantClass[b.class]++
		case i > good/5 && i%211 == 0:
			// An hour old: its window closed long ago on every partition.
			msgs = append(msgs, kafka.Message{Value: fmt.Appendf(nil, `{"ts":%d,"k":"late","seq":%d,"v":0}`, ts-3_600_000, i), Partition: p})
			late++
		}
	}
	dead := 0
	for _, n := range wantClass {
		dead += n
	}
	accepted := good

	dir := t.TempDir()
	broker := startProc(t, "Kafka broker: ", "broker", "--addr", "127.0.0.1:0", "--data-dir", dir+"/kafka")
	brokers := []string{broker.addr}
	ctx := context.Background()
	if err := kafka.CreateTopic(ctx, brokers, "mixed", partitions); err != nil {
		t.Fatal(err)
	}
	serveArgs := []string{"serve", "--data-dir", dir + "/tocsin", "--pg-addr", "127.0.0.1:0", "--checkpoint-interval", "100ms", "--log-level", "error"}
	serve := startProc(t, "serving Postgres wire on ", serveArgs...)
	conn := connectTo(t, serve.addr)
	for _, sql := range []string{fmt.Sprintf(conservationSource, broker.addr), conservationView} {
		if _, err := conn.Exec(ctx, sql); err != nil {
			t.Fatalf("%s: %v", sql, err)
		}
	}
	_ = conn.Close(ctx)

	produced := make(chan error, 1)
	go func() {
		w := kafka.NewWriter(brokers, "mixed")
		defer w.Close()
		for i := 0; i < len(msgs); i += 1000 {
			if err := w.Write(ctx, msgs[i:min(len(msgs), i+1000)]...); err != nil {
				produced <- err
				return
			}
		}
		produced <- nil
	}()
	for i := 0; i < kills; i++ {
		time.Sleep(time.Duration(200+rng.Intn(800)) * time.Millisecond) // a random moment, not synchronisation
		serve.kill()
		serve = startProc(t, "serving Postgres wire on ", serveArgs...)
	}
	if err := <-produced; err != nil {
		t.Fatal(err)
	}
	conn = connectTo(t, serve.addr)
	total := len(msgs)
	poll(t, 2*time.Minute, "produced = accepted + dead-lettered + late", func() string {
		c, err := showSource(ctx, conn, "src")
		if err != nil {
			return err.Error()
		}
		if c.records != int64(total) || c.accepted != int64(accepted) || c.malformed != int64(dead) || c.late != int64(late) {
			return fmt.Sprintf("records %d accepted %d dead-lettered %d late %d; want %d = %d + %d + %d",
				c.records, c.accepted, c.malformed, c.late, total, accepted, dead, late)
		}
		return ""
	})
	// The tables, written with the checkpoints, hold every one of them.
	poll(t, 30*time.Second, "dead-letter and late-row tables complete", func() string {
		var n, lateRows int64
		if err := conn.QueryRow(ctx, "SELECT count(*) FROM src_errors").Scan(&n); err != nil {
			return err.Error()
		}
		if err := conn.QueryRow(ctx, "SELECT count(*) FROM per_window_late").Scan(&lateRows); err != nil {
			return err.Error()
		}
		if n != int64(dead) || lateRows != int64(late) {
			return fmt.Sprintf("src_errors has %d rows (want %d), per_window_late %d (want %d)", n, dead, lateRows, late)
		}
		return ""
	})
	rows, err := conn.Query(ctx, "SELECT error_class, count(*) FROM src_errors GROUP BY error_class")
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]int{}
	for rows.Next() {
		var class string
		var n int64
		if err := rows.Scan(&class, &n); err != nil {
			t.Fatal(err)
		}
		got[class] = int(n)
	}
	if fmt.Sprint(got) != fmt.Sprint(wantClass) {
		t.Fatalf("dead letters by class %v, want %v", got, wantClass)
	}
	var sum int64
	if err := conn.QueryRow(ctx, "SELECT sum(n) FROM per_window").Scan(&sum); err != nil || sum != int64(accepted) {
		t.Fatalf("per_window counts %d rows (%v), want %d", sum, err, accepted)
	}
	var raw []byte
	var truncated bool
	if err := conn.QueryRow(ctx, "SELECT raw, raw_truncated FROM src_errors WHERE error_class = 'oversized' LIMIT 1").Scan(&raw, &truncated); err != nil {
		t.Fatal(err)
	}
	if !truncated || len(raw) != 4096 || !bytes.HasPrefix(raw, []byte(`{"ts":`)) {
		t.Fatalf("oversized dead letter keeps %d bytes (truncated %v), want the first 4096", len(raw), truncated)
	}
}

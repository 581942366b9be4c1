package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tocsin-db/tocsin/connectors/kafka"
)

// hookLog is a webhook receiver: while failing it answers 503 to the
// alerts it is told to, and it records every accepted notification's
// services and idempotency key.
type hookLog struct {
	mu      sync.Mutex
	failing func(service string) bool
	keys    map[string]map[string]bool // service → idempotency keys accepted
	n       int
}

func (h *hookLog) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	raw, _ := io.ReadAll(r.Body)
	var body struct {
		Alerts []struct {
			Labels map[string]string `json:"labels"`
			Status string            `json:"status"`
		} `json:"alerts"`
	}
	if err := json.Unmarshal(raw, &body); err != nil {
		w.WriteHeader(http.StatusBadRequest)
		return
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, a := range body.Alerts {
		if h.failing != nil && h.failing(a.Labels["service"]) {
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
	}
	key := r.Header.Get("Idempotency-Key")
	for _, a := range body.Alerts {
		s := a.Labels["service"] + "/" + a.Status
		if h.keys[s] == nil {
			h.keys[s] = map[string]bool{}
		}
		h.keys[s][key] = true
	}
	h.n++
}

func (h *hookLog) snapshot() (map[string][]string, int) {
	h.mu.Lock()
	defer h.mu.Unlock()
	out := map[string][]string{}
	for s, ks := range h.keys {
		for k := range ks {
			out[s] = append(out[s], k)
		}
		sort.Strings(out[s])
	}
	return out, h.n
}

// TestSinkWebhookSimplestForm: the simplest sink, over the real
// path (broker, source, view, sink, HTTP), delivers one notification
// per alert group.
func TestSinkWebhookSimplestForm(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	rig, err := startEvalRig(ctx, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	defer rig.close()
	hook := &hookLog{keys: map[string]map[string]bool{}}
	srv := httptest.NewServer(hook)
	defer srv.Close()
	base := time.Date(2026, 11, 21, 10, 0, 0, 0, time.UTC).UnixMilli()
	var vals [][]byte
	for i, s := range []string{"api", "db", "api", "web"} {
		vals = append(vals, fmt.Appendf(nil, `{"ts": %d, "service": %q, "latency": %d}`, base+int64(i)*1000, s, 100+100*i))
	}
	if err := rig.produce("req", vals); err != nil {
		t.Fatal(err)
	}
	for _, sql := range []string{
		fmt.Sprintf(`CREATE SOURCE req (ts TIMESTAMP, service VARCHAR, latency INT, WATERMARK FOR ts AS ts)
			WITH (connector = 'kafka', topic = 'req', properties.bootstrap.server = '%s', scan.startup.mode = 'earliest') FORMAT JSON`, rig.brokers[0]),
		`CREATE MATERIALIZED VIEW worst AS SELECT service, max(latency) AS worst FROM req GROUP BY service`,
		fmt.Sprintf(`CREATE SINK s FROM worst WHERE worst > 150 WITH (connector = 'webhook', url = '%s/hook', group_wait = '0s', group_interval = '1s')`, srv.URL),
	} {
		if err := rig.exec(sql); err != nil {
			t.Fatal(err)
		}
	}
	poll(t, time.Minute, "notifications for api (300), db (200) and web (400)", func() string {
		keys, _ := hook.snapshot()
		var got []string
		for s := range keys {
			got = append(got, s)
		}
		sort.Strings(got)
		if strings.Join(got, ",") != "api/firing,db/firing,web/firing" {
			return fmt.Sprint(got)
		}
		return ""
	})
}

// TestKafkaRowsSink: a rows-mode sink writes an updating view's changes
// to a topic as JSON (deletes of old rows, inserts of new ones, keyed by
// the view's key); a second source reads the topic back.
func TestKafkaRowsSink(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	rig, err := startEvalRig(ctx, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	defer rig.close()
	if err := kafka.CreateTopic(ctx, rig.brokers, "counts_out", 1); err != nil {
		t.Fatal(err)
	}
	base := time.Date(2026, 11, 21, 10, 0, 0, 0, time.UTC).UnixMilli()
	want := map[string]int64{}
	var vals [][]byte
	for i := range 30 {
		s := []string{"api", "db", "web"}[i%3]
		if i%7 == 0 {
			s = "api"
		}
		want[s]++
		vals = append(vals, fmt.Appendf(nil, `{"ts": %d, "service": %q}`, base+int64(i)*1000, s))
	}
	for _, sql := range []string{
		fmt.Sprintf(`CREATE SOURCE ev (ts TIMESTAMP, service VARCHAR, WATERMARK FOR ts AS ts)
			WITH (connector = 'kafka', topic = 'ev', properties.bootstrap.server = '%s', scan.startup.mode = 'earliest') FORMAT JSON`, rig.brokers[0]),
		`CREATE MATERIALIZED VIEW counts AS SELECT service, count(*) AS n FROM ev GROUP BY service`,
		fmt.Sprintf(`CREATE SINK out FROM counts WITH (connector = 'kafka', topic = 'counts_out', properties.bootstrap.server = '%s')`, rig.brokers[0]),
		fmt.Sprintf(`CREATE SOURCE back (op VARCHAR, service VARCHAR, n BIGINT)
			WITH (connector = 'kafka', topic = 'counts_out', properties.bootstrap.server = '%s', scan.startup.mode = 'earliest') FORMAT JSON`, rig.brokers[0]),
		`CREATE MATERIALIZED VIEW back_net AS SELECT service, sum(CASE WHEN op = 'insert' THEN n ELSE -n END) AS n,
			sum(CASE WHEN op = 'insert' THEN 1 ELSE -1 END) AS live FROM back GROUP BY service`,
	} {
		if err := rig.exec(sql); err != nil {
			t.Fatal(err)
		}
	}
	if err := rig.produce("ev", vals); err != nil {
		t.Fatal(err)
	}
	// Summing inserts minus deletes leaves each key's current row: the
	// count, once (live = 1).
	poll(t, time.Minute, "the changelog read back nets to the view", func() string {
		rows, err := rig.conn.Query(ctx, "SELECT service, n, live FROM back_net ORDER BY service")
		if err != nil {
			return err.Error()
		}
		defer rows.Close()
		var got []string
		for rows.Next() {
			var s string
			var n, live int64
			if err := rows.Scan(&s, &n, &live); err != nil {
				return err.Error()
			}
			got = append(got, fmt.Sprintf("%s=%d/%d", s, n, live))
		}
		exp := []string{fmt.Sprintf("api=%d/1", want["api"]), fmt.Sprintf("db=%d/1", want["db"]), fmt.Sprintf("web=%d/1", want["web"])}
		if strings.Join(got, " ") != strings.Join(exp, " ") {
			return fmt.Sprintf("got %v, want %v", got, exp)
		}
		return ""
	})
}

// TestSinkKillMidDelivery kills `tocsin serve` with SIGKILL while a sink
// retries notifications its receiver refuses (and has delivered others),
// then restarts it with the receiver healthy: every alert's firing
// notification arrives, and any notification delivered twice carries the
// same idempotency key both times.
func TestSinkKillMidDelivery(t *testing.T) {
	const services = 20
	dir := t.TempDir()
	broker := startProc(t, "Kafka broker: ", "broker", "--addr", "127.0.0.1:0", "--data-dir", dir+"/kafka", "--partitions", "1")
	brokers := []string{broker.addr}
	ctx := context.Background()
	if err := kafka.CreateTopic(ctx, brokers, "lat", 1); err != nil {
		t.Fatal(err)
	}
	// The receiver accepts the first half of the notifications, then
	// fails (an outage) until it is healed.
	healed, accepted := false, 0
	hook := &hookLog{keys: map[string]map[string]bool{}}
	hook.failing = func(string) bool { // under hook.mu
		if healed || accepted < services/2 {
			accepted++
			return false
		}
		return true
	}
	srv := httptest.NewServer(hook)
	defer srv.Close()

	serveArgs := []string{"serve", "--data-dir", dir + "/tocsin", "--pg-addr", "127.0.0.1:0", "--checkpoint-interval", "100ms", "--log-level", "warn"}
	serve := startProc(t, "serving Postgres wire on ", serveArgs...)
	conn := connectTo(t, serve.addr)
	for _, sql := range []string{
		fmt.Sprintf(`CREATE SOURCE lat (ts TIMESTAMP, service VARCHAR, ms INT, WATERMARK FOR ts AS ts)
			WITH (connector = 'kafka', topic = 'lat', properties.bootstrap.server = '%s', scan.startup.mode = 'earliest') FORMAT JSON`, broker.addr),
		`CREATE MATERIALIZED VIEW lat_v AS SELECT ts, service, ms FROM lat`,
		fmt.Sprintf(`CREATE SINK pager FROM lat_v WHERE ms > 100 WITH (connector = 'webhook', url = '%s',
			labels = 'service', group_by = 'service', group_wait = '0s', retry_initial = '50ms', retry_max = '100ms',
			resolve_timeout = '1 hour')`, srv.URL),
	} {
		if _, err := conn.Exec(ctx, sql); err != nil {
			t.Fatalf("%s: %v", sql, err)
		}
	}
	var msgs []kafka.Message
	base := time.Date(2026, 11, 21, 10, 0, 0, 0, time.UTC).UnixMilli()
	for i := range services {
		msgs = append(msgs, kafka.Message{Value: fmt.Appendf(nil, `{"ts": %d, "service": "s%02d", "ms": 500}`, base+int64(i), i)})
	}
	produce(t, ctx, brokers, "lat", msgs)
	// Wait until every alert fired, the healthy half was delivered, and
	// a checkpoint was taken after that (the refused half is in the
	// outbox it wrote).
	poll(t, time.Minute, "alerts fired and half delivered", func() string {
		var firing int
		if err := conn.QueryRow(ctx, "SELECT count(*) FROM tocsin_alerts WHERE state = 'firing'").Scan(&firing); err != nil {
			return err.Error()
		}
		keys, _ := hook.snapshot()
		if firing != services || len(keys) != services/2 {
			return fmt.Sprintf("%d firing, %d delivered", firing, len(keys))
		}
		return ""
	})
	var ckpt int64
	if err := conn.QueryRow(ctx, "SELECT coalesce(max(id), 0) FROM tocsin_checkpoints").Scan(&ckpt); err != nil {
		t.Fatal(err)
	}
	poll(t, 30*time.Second, "a later checkpoint", func() string {
		var id int64
		if err := conn.QueryRow(ctx, "SELECT coalesce(max(id), 0) FROM tocsin_checkpoints").Scan(&id); err != nil {
			return err.Error()
		}
		if id < ckpt+2 {
			return fmt.Sprintf("checkpoint %d", id)
		}
		return ""
	})
	serve.kill()
	hook.mu.Lock()
	healed = true
	hook.mu.Unlock()
	serve = startProc(t, "serving Postgres wire on ", serveArgs...)
	_ = connectTo(t, serve.addr)
	poll(t, time.Minute, "every alert delivered after the restart", func() string {
		keys, _ := hook.snapshot()
		if len(keys) != services {
			return fmt.Sprintf("%d of %d services delivered", len(keys), services)
		}
		return ""
	})
	keys, n := hook.snapshot()
	for s, ks := range keys {
		if len(ks) != 1 {
			t.Errorf("%s delivered under %d idempotency keys %v: a duplicate must carry the same key", s, len(ks), ks)
		}
	}
	t.Logf("%d notifications accepted for %d alerts", n, services)
}

package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// liveRig is an eval rig with a source of request latencies and a view
// of the worst latency per service.
func liveRig(t *testing.T, ctx context.Context) *evalRig {
	t.Helper()
	rig, err := startEvalRig(ctx, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(rig.close)
	if err := rig.produce("req", nil); err != nil {
		t.Fatal(err)
	}
	for _, sql := range []string{
		fmt.Sprintf(`CREATE SOURCE req (ts TIMESTAMP, service VARCHAR, latency INT, WATERMARK FOR ts AS ts)
			WITH (connector = 'kafka', topic = 'req', properties.bootstrap.server = '%s', scan.startup.mode = 'earliest') FORMAT JSON`, rig.brokers[0]),
		`CREATE MATERIALIZED VIEW worst AS SELECT service, max(latency) AS worst FROM req GROUP BY service`,
	} {
		if err := rig.exec(sql); err != nil {
			t.Fatal(err)
		}
	}
	return rig
}

// produceLatencies writes one event per service=latency pair.
func produceLatencies(t *testing.T, rig *evalRig, pairs ...any) {
	t.Helper()
	base := time.Date(2026, 11, 21, 10, 0, 0, 0, time.UTC).UnixMilli()
	var vals [][]byte
	for i := 0; i < len(pairs); i += 2 {
		vals = append(vals, fmt.Appendf(nil, `{"ts": %d, "service": %q, "latency": %d}`, base+int64(i), pairs[i], pairs[i+1]))
	}
	if err := rig.produce("req", vals); err != nil {
		t.Fatal(err)
	}
}

// TestSubscribeOverWire streams a view's changes to pgx clients as
// events arrive, in the simple and the extended protocol, until the
// client cancels (57014).
func TestSubscribeOverWire(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	rig := liveRig(t, ctx)
	produceLatencies(t, rig, "api", 120, "db", 30)
	if err := rig.waitCount("worst", 2, time.Minute); err != nil {
		t.Fatal(err)
	}

	snapshot := []string{"+1 api 120", "+1 db 30"}
	for i, mode := range []string{"simple_protocol", "cache_statement"} {
		t.Run(mode, func(t *testing.T) {
			conn, err := pgx.Connect(ctx, "postgres://tocsin@"+rig.srv.pgAddr+"/tocsin?sslmode=disable&default_query_exec_mode="+mode)
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close(context.Background())
			qctx, stop := context.WithCancel(ctx)
			defer stop()
			rows, err := conn.Query(qctx, "SUBSCRIBE TO worst")
			if err != nil {
				t.Fatal(err)
			}
			var names []string
			for _, f := range rows.FieldDescriptions() {
				names = append(names, f.Name)
			}
			if strings.Join(names, ",") != "tocsin_ts,tocsin_diff,service,worst" {
				t.Fatalf("columns %v", names)
			}
			next := func() string {
				t.Helper()
				if !rows.Next() {
					t.Fatalf("SUBSCRIBE ended: %v", rows.Err())
				}
				var ts time.Time
				var diff int64
				var service string
				var worst int32
				if err := rows.Scan(&ts, &diff, &service, &worst); err != nil {
					t.Fatal(err)
				}
				if time.Since(ts) > time.Minute || time.Until(ts) > time.Minute {
					t.Errorf("tocsin_ts %v is not the time the change was applied", ts)
				}
				return fmt.Sprintf("%+d %s %d", diff, service, worst)
			}
			var got []string
			for range snapshot {
				got = append(got, next())
			}
			slices.Sort(got)
			if !slices.Equal(got, snapshot) {
				t.Fatalf("snapshot %q, want %q", got, snapshot)
			}
			// A new event reaches the subscribed client while the
			// statement keeps running.
			service := fmt.Sprintf("web%d", i)
			produceLatencies(t, rig, service, 7)
			if got := next(); got != "+1 "+service+" 7" {
				t.Fatalf("change %q", got)
			}
			snapshot = append(snapshot, "+1 "+service+" 7")
			stop()
			for rows.Next() {
			}
			var pgErr *pgconn.PgError
			if err := rows.Err(); !errors.As(err, &pgErr) || pgErr.Code != "57014" {
				if err == nil || !errors.Is(err, context.Canceled) {
					t.Fatalf("after cancel: %v, want 57014", err)
				}
			}
			rows.Close()
		})
	}
}

// TestCursorOverWire pages a SUBSCRIBE through a cursor in a transaction
// block, as Materialize clients do.
func TestCursorOverWire(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	rig := liveRig(t, ctx)
	produceLatencies(t, rig, "api", 120)
	if err := rig.waitCount("worst", 1, time.Minute); err != nil {
		t.Fatal(err)
	}
	if err := rig.exec("BEGIN; DECLARE c CURSOR FOR SUBSCRIBE worst"); err != nil {
		t.Fatal(err)
	}
	fetch := func(sql string) []string {
		t.Helper()
		rows, err := rig.conn.Query(ctx, sql)
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for rows.Next() {
			v, err := rows.Values()
			if err != nil {
				t.Fatal(err)
			}
			out = append(out, fmt.Sprintf("%v %v %v", v[1], v[2], v[3]))
		}
		if err := rows.Err(); err != nil {
			t.Fatal(err)
		}
		return out
	}
	if got := fetch("FETCH ALL c"); strings.Join(got, ";") != "1 api 120" {
		t.Fatalf("snapshot %q", got)
	}
	if got := fetch("FETCH ALL c WITH (timeout = '10ms')"); len(got) != 0 {
		t.Fatalf("nothing new, got %q", got)
	}
	produceLatencies(t, rig, "api", 300)
	if got := fetch("FETCH 10 c"); strings.Join(got, ";") != "-1 api 120;1 api 300" {
		t.Fatalf("change %q", got)
	}
	if err := rig.exec("CLOSE c; COMMIT"); err != nil {
		t.Fatal(err)
	}
}

// alertSink creates a webhook sink on worst whose receiver accepts
// everything.
func alertSink(t *testing.T, rig *evalRig) {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
	}))
	t.Cleanup(srv.Close)
	if err := rig.exec(fmt.Sprintf(`CREATE SINK pager FROM worst WHERE worst > 150 WITH (connector = 'webhook',
		url = '%s', labels = 'service', severity = 'P1', group_wait = '0s')`, srv.URL)); err != nil {
		t.Fatal(err)
	}
}

// TestListenAlertsOverWire: a pgx client that LISTENs on tocsin_alerts
// and waits (WaitForNotification) receives a webhook sink's firing
// alert.
func TestListenAlertsOverWire(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	rig := liveRig(t, ctx)
	alertSink(t, rig)
	conn, err := pgx.Connect(ctx, "postgres://tocsin@"+rig.srv.pgAddr+"/tocsin?sslmode=disable")
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	if _, err := conn.Exec(ctx, "LISTEN tocsin_alerts"); err != nil {
		t.Fatal(err)
	}
	produceLatencies(t, rig, "api", 400, "db", 20)
	for {
		n, err := conn.WaitForNotification(ctx)
		if err != nil {
			t.Fatal(err)
		}
		var p struct {
			ID          int64             `json:"id"`
			Sink        string            `json:"sink"`
			State       string            `json:"state"`
			Severity    string            `json:"severity"`
			Labels      map[string]string `json:"labels"`
			Fingerprint string            `json:"fingerprint"`
			At          time.Time         `json:"at"`
		}
		if err := json.Unmarshal([]byte(n.Payload), &p); err != nil {
			t.Fatalf("payload %q: %v", n.Payload, err)
		}
		if n.Channel != "tocsin_alerts" || p.Sink != "pager" || p.Labels["service"] != "api" || p.Severity != "P1" ||
			p.ID == 0 || p.Fingerprint == "" || p.At.IsZero() {
			t.Fatalf("notification %+v: %s", n, n.Payload)
		}
		if p.State == "firing" {
			break
		}
	}
}

// TestListenAlertsPsql: psql prints the notifications a LISTENing
// session received after its next command.
func TestListenAlertsPsql(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	rig := liveRig(t, ctx)
	alertSink(t, rig)
	host, port, _ := net.SplitHostPort(rig.srv.pgAddr)
	cmd := exec.CommandContext(ctx, psqlPath(t), "-X", "-v", "ON_ERROR_STOP=1",
		"-h", host, "-p", port, "-U", "tocsin", "-d", "tocsin")
	cmd.Env = append(os.Environ(), "PGCONNECT_TIMEOUT=5", "PGSSLMODE=disable")
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	var out lockedBuffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	if _, err := io.WriteString(stdin, "LISTEN tocsin_alerts;\n"); err != nil {
		t.Fatal(err)
	}
	poll(t, time.Minute, "psql ran LISTEN", func() string {
		if !strings.Contains(out.String(), "LISTEN") {
			return "output so far: " + out.String()
		}
		return ""
	})
	produceLatencies(t, rig, "api", 400)
	poll(t, time.Minute, "alert firing", func() string {
		var n int64
		if err := rig.conn.QueryRow(ctx, "SELECT count(*) FROM tocsin_alerts WHERE state = 'firing'").Scan(&n); err != nil {
			return err.Error()
		}
		if n != 1 {
			return fmt.Sprintf("%d firing", n)
		}
		return ""
	})
	// The sink publishes the change just after the alert fires; psql
	// prints what it received after each command, so run commands until
	// the notification shows.
	poll(t, time.Minute, "psql printed the notification", func() string {
		if _, err := io.WriteString(stdin, "SELECT 1 AS one;\n"); err != nil {
			return err.Error()
		}
		got := out.String()
		if !strings.Contains(got, `Asynchronous notification "tocsin_alerts" with payload "{`) ||
			!strings.Contains(got, `"state":"firing"`) || !strings.Contains(got, "received from server process with PID") {
			return "output so far: " + got
		}
		return ""
	})
	_ = stdin.Close()
	if err := cmd.Wait(); err != nil {
		t.Fatalf("psql: %v\n%s", err, out.String())
	}
}

// lockedBuffer is a bytes buffer written by a child process and read by
// the test.
type lockedBuffer struct {
	mu  sync.Mutex
	buf strings.Builder
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

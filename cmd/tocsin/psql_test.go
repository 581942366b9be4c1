package main

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/tocsin-db/tocsin/connectors/kafka"
)

// psqlPath finds psql; `make test` installs it (scripts/ensure-psql), so
// a missing psql fails the test rather than skipping it.
func psqlPath(t *testing.T) string {
	t.Helper()
	p, err := exec.LookPath("psql")
	if err != nil {
		t.Fatalf("psql not found: run `make test` (it installs postgresql-client) or install it: %v", err)
	}
	return p
}

// psql runs one psql command against addr and returns its unaligned,
// tuples-only output.
func psql(t *testing.T, addr, sql string) (string, error) {
	t.Helper()
	host, port, _ := net.SplitHostPort(addr)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, psqlPath(t), "-X", "-q", "-v", "ON_ERROR_STOP=1", "-A", "-t", "-F", "|",
		"-h", host, "-p", port, "-U", "tocsin", "-d", "tocsin", "-c", sql)
	cmd.Env = append(os.Environ(), "PGCONNECT_TIMEOUT=5", "PGSSLMODE=prefer")
	out, err := cmd.CombinedOutput()
	if err != nil {
		return string(out), fmt.Errorf("psql: %w: %s", err, out)
	}
	return strings.TrimSpace(string(out)), nil
}

// parsePsqlView reads "start|end|service|n|total|avg|min|max" lines.
func parsePsqlView(out string) (map[string]windowRow, error) {
	rows := map[string]windowRow{}
	sc := bufio.NewScanner(strings.NewReader(out))
	for sc.Scan() {
		f := strings.Split(sc.Text(), "|")
		if len(f) != 8 {
			return nil, fmt.Errorf("unexpected psql line %q", sc.Text())
		}
		var r windowRow
		var err error
		if r.start, err = time.Parse("2006-01-02 15:04:05", f[0]); err != nil {
			return nil, err
		}
		if r.end, err = time.Parse("2006-01-02 15:04:05", f[1]); err != nil {
			return nil, err
		}
		r.service = f[2]
		if r.n, err = strconv.ParseInt(f[3], 10, 64); err != nil {
			return nil, err
		}
		for i, p := range []*float64{&r.total, &r.avg, &r.minMS, &r.maxMS} {
			if *p, err = strconv.ParseFloat(f[4+i], 64); err != nil {
				return nil, err
			}
		}
		rows[r.key()] = r
	}
	return rows, sc.Err()
}

// TestEndToEndPsql drives the walking skeleton's flow through psql.
func TestEndToEndPsql(t *testing.T) {
	env := newEnv(t)
	brokers := []string{env.broker.Addr()}
	if err := kafka.CreateTopic(env.ctx, brokers, "requests", 4); err != nil {
		t.Fatal(err)
	}
	evs := genEvents(7, 20_000, 50, time.Date(2026, 11, 21, 9, 0, 0, 0, time.UTC), 10, 3000)
	msgs := make([]kafka.Message, len(evs))
	for i, e := range evs {
		msgs[i] = kafka.Message{Key: []byte(e.service), Value: e.json(), Partition: -1}
	}
	produce(t, env.ctx, brokers, "requests", msgs)

	// Two statements in one psql -c (one simple Query message).
	if out, err := psql(t, env.srv.pgAddr, fmt.Sprintf(createSource, env.broker.Addr())+"; "+createView); err != nil {
		t.Fatal(err, out)
	}
	want := oracleView(evs)
	poll(t, 2*time.Minute, "req_1m through psql equals the oracle", func() string {
		out, err := psql(t, env.srv.pgAddr, "SELECT * FROM req_1m ORDER BY window_start, service")
		if err != nil {
			return err.Error()
		}
		got, err := parsePsqlView(out)
		if err != nil {
			return err.Error()
		}
		return diffViews(got, want)
	})
	out, err := psql(t, env.srv.pgAddr, "SHOW MATERIALIZED VIEWS")
	if err != nil || !strings.HasPrefix(out, "req_1m|running|") {
		t.Fatalf("SHOW MATERIALIZED VIEWS: %q %v", out, err)
	}
	// psql shows the server's error with its SQLSTATE.
	host, port, _ := net.SplitHostPort(env.srv.pgAddr)
	cmd := exec.Command(psqlPath(t), "-X", "-v", "ON_ERROR_STOP=1", "-v", "VERBOSITY=verbose", "-h", host, "-p", port, "-U", "tocsin", "-d", "tocsin", "-c", "DROP SOURCE requests")
	o, err := cmd.CombinedOutput()
	if err == nil || !strings.Contains(string(o), "2BP01") || !strings.Contains(string(o), "depends on source requests") {
		t.Fatalf("DROP SOURCE with a dependent view: %v\n%s", err, o)
	}
}

// TestPlaygroundBinary builds bin/tocsin, starts `tocsin playground` on
// free ports (as `make run` does on the default ones), and follows the
// README's tutorial with psql against the demo data.
func TestPlaygroundBinary(t *testing.T) {
	bin := filepath.Join(t.TempDir(), "tocsin")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, "playground", "--data-dir", t.TempDir(), "--pg-addr", "127.0.0.1:0", "--kafka-addr", "127.0.0.1:0", "--rate", "2000", "--log-level", "warn")
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() {
		_ = cmd.Process.Signal(os.Interrupt)
		_ = cmd.Wait()
	}()
	// The banner says where to connect.
	var pgAddr, kafkaAddr string
	sc := bufio.NewScanner(stdout)
	for sc.Scan() && (pgAddr == "" || kafkaAddr == "") {
		f := strings.Fields(sc.Text())
		switch {
		case len(f) >= 3 && f[0] == "Postgres" && f[1] == "wire:":
			pgAddr = f[2]
		case len(f) >= 3 && f[0] == "Kafka" && f[1] == "broker:":
			kafkaAddr = f[2]
		}
	}
	if pgAddr == "" || kafkaAddr == "" {
		t.Fatalf("banner did not name the addresses (pg %q, kafka %q)", pgAddr, kafkaAddr)
	}
	go func() {
		for sc.Scan() {
		}
	}()
	src := strings.Replace(fmt.Sprintf(createSource, kafkaAddr), "FORMAT PLAIN ENCODE JSON", "FORMAT JSON", 1)
	if out, err := psql(t, pgAddr, src+"; "+createView); err != nil {
		t.Fatal(err, out)
	}
	poll(t, time.Minute, "the demo data reaches req_1m", func() string {
		out, err := psql(t, pgAddr, "SELECT n FROM req_1m WHERE service = 'svc-01' ORDER BY window_start DESC LIMIT 5")
		if err != nil {
			return err.Error()
		}
		if out == "" {
			return "no rows yet"
		}
		return ""
	})
	// Rows change as events arrive.
	first, _ := psql(t, pgAddr, "SELECT sum(n) FROM req_1m")
	poll(t, time.Minute, "req_1m keeps changing", func() string {
		now, err := psql(t, pgAddr, "SELECT sum(n) FROM req_1m")
		if err != nil {
			return err.Error()
		}
		if now == first {
			return "sum(n) still " + now
		}
		return ""
	})
}

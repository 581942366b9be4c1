package main

import (
	"context"
	"flag"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tocsin-db/tocsin/connectors/kafka"
)

var rewrite = flag.Bool("rewrite", false, "rewrite golden files under testdata/ (or set TOCSIN_REWRITE=1)")

// psqlMetaCommands are the meta-commands whose output
// testdata/psql_meta.golden records.
var psqlMetaCommands = []string{
	`\d`, `\dt`, `\dv`, `\dm`, `\df approx*`, `\dn`, `\l`, `\du`, `\dx`,
	`\d alerts`, `\d+ alerts`, `\d events`, `\d+ events`, `\d mv_hosts`, `\d+ mv_hosts`, `\d tocsin_checkpoints`,
	`\dt+`, `\d+ nosuch`,
}

// TestPsqlMetaCommands runs psql's describe meta-commands against a
// server holding a source, a table and a materialized view, and compares
// their output with testdata/psql_meta.golden (regenerate with -rewrite
// or TOCSIN_REWRITE=1, then check it by eye against PostgreSQL 15's).
func TestPsqlMetaCommands(t *testing.T) {
	env := newEnv(t)
	brokers := []string{env.broker.Addr()}
	if err := kafka.CreateTopic(env.ctx, brokers, "events", 1); err != nil {
		t.Fatal(err)
	}
	setup := fmt.Sprintf(`CREATE SOURCE events (ts TIMESTAMPTZ, host TEXT, v DOUBLE PRECISION, WATERMARK FOR ts AS ts - INTERVAL '5 seconds')
WITH (connector='kafka', topic='events', properties.bootstrap.server='%s', scan.startup.mode='earliest') FORMAT JSON;
CREATE TABLE alerts (id INT PRIMARY KEY, host TEXT NOT NULL, ts TIMESTAMPTZ, v DOUBLE PRECISION);
CREATE MATERIALIZED VIEW mv_hosts AS SELECT host, max(v) AS max, count(*) AS n FROM events GROUP BY host`, env.broker.Addr())
	if out, err := psql(t, env.srv.pgAddr, setup); err != nil {
		t.Fatal(err, out)
	}
	host, port, _ := net.SplitHostPort(env.srv.pgAddr)
	var got strings.Builder
	for _, mc := range psqlMetaCommands {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		cmd := exec.CommandContext(ctx, psqlPath(t), "-X", "-h", host, "-p", port, "-U", "tocsin", "-d", "tocsin", "-c", mc)
		cmd.Env = append(os.Environ(), "PGCONNECT_TIMEOUT=5", "PGSSLMODE=disable", "PAGER=", "COLUMNS=200")
		out, err := cmd.CombinedOutput()
		cancel()
		fmt.Fprintf(&got, "=== %s\n", mc)
		if err != nil {
			fmt.Fprintf(&got, "(exit: %v)\n", err)
		}
		got.WriteString(strings.ReplaceAll(string(out), env.broker.Addr(), "BROKER"))
	}
	golden := filepath.Join("testdata", "psql_meta.golden")
	if *rewrite || os.Getenv("TOCSIN_REWRITE") != "" {
		if err := os.WriteFile(golden, []byte(got.String()), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run with -rewrite to create it)", err)
	}
	if got.String() != string(want) {
		t.Errorf("psql meta-command output differs from %s (rerun with -rewrite and review the diff):\n%s", golden, lineDiff(string(want), got.String()))
	}
}

// lineDiff lists the lines that differ between want and got.
func lineDiff(want, got string) string {
	w, g := strings.Split(want, "\n"), strings.Split(got, "\n")
	var b strings.Builder
	for i := 0; i < len(w) || i < len(g); i++ {
		var wl, gl string
		if i < len(w) {
			wl = w[i]
		}
		if i < len(g) {
			gl = g[i]
		}
		if wl != gl {
			fmt.Fprintf(&b, "line %d:\n  want %q\n  got  %q\n", i+1, wl, gl)
		}
	}
	return b.String()
}

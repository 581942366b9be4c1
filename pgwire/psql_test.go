package pgwire

import (
	"context"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// TestPsql runs the real psql client against the fake executor. CI
// installs psql; without it the test is skipped.
func TestPsql(t *testing.T) {
	psql, err := exec.LookPath("psql")
	if err != nil {
		t.Skip("psql is not installed")
	}
	ts := startServer(t)
	run := func(args ...string) string {
		t.Helper()
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		base := []string{"-X", "-w", "-v", "ON_ERROR_STOP=0", "-h", "127.0.0.1", "-p", ts.port(), "-U", "u", "-d", "db"}
		cmd := exec.CommandContext(ctx, psql, append(base, args...)...)
		// Default sslmode (prefer) exercises the SSLRequest refusal.
		cmd.Env = []string{"PGCONNECT_TIMEOUT=5", "PGAPPNAME=psql-test", "LC_ALL=C", "PGTZ=UTC"}
		out, err := cmd.CombinedOutput()
		if err != nil && !strings.Contains(string(out), "ERROR") {
			t.Fatalf("psql %v: %v\n%s", args, err, out)
		}
		return string(out)
	}

	out := run("-c", "select 1")
	want := " ?column? \n----------\n        1\n(1 row)\n\n"
	if out != want {
		t.Errorf("select 1:\n%s\nwant:\n%s", out, want)
	}

	out = run("-A", "-F", "|", "-c", "select types")
	lines := strings.Split(out, "\n")
	if len(lines) < 4 {
		t.Fatalf("select types:\n%s", out)
	}
	if lines[0] != "b|i2|i4|i8|f4|f8|t|vc|nm|j|by|ts|tstz|d|iv|o|ai|at|u" {
		t.Errorf("header %q", lines[0])
	}
	wantRow := `t|-2|2147483647|-9223372036854775808|1.5|1234567.25|héllo, wörld||pg_catalog|{"a": [1, 2]}|\xdeadbeef|2024-02-29 13:14:15.123456|2024-02-29 13:14:15.5+00|2024-02-29|1 year 2 mons 3 days 01:02:03|4294967295|{1,NULL,3}|{a,"b c","","NULL","q\"x"}|lit`
	if lines[1] != wantRow {
		t.Errorf("row:\n%s\nwant:\n%s", lines[1], wantRow)
	}
	if lines[2] != "||||||||||||||||||" || lines[3] != "(2 rows)" {
		t.Errorf("NULL row and footer: %q %q", lines[2], lines[3])
	}

	out = run("-c", "show application_name")
	if !strings.Contains(out, "psql-test") {
		t.Errorf("application_name:\n%s", out)
	}

	out = run("-c", "bad nosuch")
	if !containsAll(out, `ERROR:  column "nosuch" does not exist`, "LINE 1: bad nosuch", "^", `HINT:  Perhaps you meant "good".`) {
		t.Errorf("error output:\n%s", out)
	}

	// psql sends each -c as one Query; with several statements it
	// prints every result (psql 15).
	out = run("-c", "create source s; select 1")
	if !containsAll(out, "CREATE SOURCE", "?column?", "(1 row)") {
		t.Errorf("multi-statement output:\n%s", out)
	}
}

package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// tocsinBinary builds bin/tocsin once per test binary run.
var (
	buildOnce sync.Once
	buildPath string
	buildErr  error
)

func tocsinBinary(t *testing.T) string {
	t.Helper()
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "tocsin-bin")
		if err != nil {
			buildErr = err
			return
		}
		buildPath = filepath.Join(dir, "tocsin")
		out, err := exec.Command("go", "build", "-o", buildPath, ".").CombinedOutput()
		if err != nil {
			buildErr = fmt.Errorf("build: %v\n%s", err, out)
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return buildPath
}

// proc is a tocsin subprocess whose stdout we scan for its address.
type proc struct {
	cmd  *exec.Cmd
	addr string
	done chan struct{}
}

// startProc runs bin/tocsin with args and waits for a stdout line
// containing marker, returning the word after it (the address).
func startProc(t *testing.T, marker string, args ...string) *proc {
	t.Helper()
	cmd := exec.Command(tocsinBinary(t), args...)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr strings.Builder
	cmd.Stderr = &lockedWriter{w: &stderr}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	p := &proc{cmd: cmd, done: make(chan struct{})}
	go func() { _ = cmd.Wait(); close(p.done) }()
	found := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			line := sc.Text()
			if i := strings.Index(line, marker); i >= 0 {
				f := strings.Fields(line[i+len(marker):])
				if len(f) > 0 {
					select {
					case found <- f[0]:
					default:
					}
				}
			}
		}
		_, _ = io.Copy(io.Discard, stdout)
	}()
	select {
	case p.addr = <-found:
	case <-p.done:
		t.Fatalf("tocsin %v exited: %s", args, stderr.String())
	case <-time.After(30 * time.Second):
		_ = cmd.Process.Kill()
		t.Fatalf("tocsin %v did not print %q: %s", args, marker, stderr.String())
	}
	t.Cleanup(func() { p.kill() })
	return p
}

// kill sends SIGKILL and waits for the process to end.
func (p *proc) kill() {
	_ = p.cmd.Process.Kill()
	<-p.done
}

type lockedWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(b []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(b)
}

// connectTo opens a simple-protocol pgx connection, retrying while the
// server starts.
func connectTo(t *testing.T, addr string) *pgx.Conn {
	t.Helper()
	cfg, err := pgx.ParseConfig(fmt.Sprintf("postgres://tocsin@%s/tocsin?sslmode=disable&connect_timeout=5", addr))
	if err != nil {
		t.Fatal(err)
	}
	cfg.DefaultQueryExecMode = pgx.QueryExecModeSimpleProtocol
	var conn *pgx.Conn
	poll(t, 30*time.Second, "connect to "+addr, func() string {
		conn, err = pgx.ConnectConfig(context.Background(), cfg)
		if err != nil {
			return err.Error()
		}
		return ""
	})
	t.Cleanup(func() { _ = conn.Close(context.Background()) })
	return conn
}

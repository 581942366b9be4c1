//go:build linux

package main

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
)

// This file runs the reference PostgreSQL of the differential test: a
// throwaway cluster in a temporary directory, listening on a free
// loopback port and a private unix socket directory, stopped when the
// test ends. PostgreSQL refuses to run as root, so when the test runs as
// root the cluster's files belong to the "postgres" system user the
// Debian package creates, and initdb and postgres run under that user's
// credentials (the equivalent of setpriv, without an external tool).

// pgServer is a running throwaway PostgreSQL cluster.
type pgServer struct {
	dir    string // cluster root: data/ and sock/
	port   int
	cmd    *exec.Cmd
	exited chan struct{}
}

// pgBinDir runs scripts/ensure-postgres, which installs PostgreSQL 15 if
// it is missing and prints the directory of its binaries.
// TOCSIN_PG_BIN overrides it (a directory holding initdb and postgres).
func pgBinDir(t *testing.T) string {
	t.Helper()
	if dir := os.Getenv("TOCSIN_PG_BIN"); dir != "" {
		return dir
	}
	script, err := filepath.Abs("../../scripts/ensure-postgres")
	if err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(script).Output()
	if err != nil {
		var stderr []byte
		if ee, ok := err.(*exec.ExitError); ok {
			stderr = ee.Stderr
		}
		t.Fatalf("scripts/ensure-postgres: %v\n%s", err, stderr)
	}
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	return strings.TrimSpace(lines[len(lines)-1])
}

// pgCredential returns the credential to run PostgreSQL under: nil when
// the test is not root, else the postgres system user's.
func pgCredential() (*syscall.Credential, error) {
	if os.Geteuid() != 0 {
		return nil, nil
	}
	u, err := user.Lookup("postgres")
	if err != nil {
		return nil, fmt.Errorf("running as root, PostgreSQL needs an unprivileged user and %w (the postgresql-15 package creates one)", err)
	}
	uid, err := strconv.ParseUint(u.Uid, 10, 32)
	if err != nil {
		return nil, err
	}
	gid, err := strconv.ParseUint(u.Gid, 10, 32)
	if err != nil {
		return nil, err
	}
	return &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid), NoSetGroups: true}, nil
}

// pgFreePort asks the kernel for a free loopback TCP port.
func pgFreePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

// pgChownTree gives the cluster directory to the PostgreSQL user.
func pgChownTree(root string, cred *syscall.Credential) error {
	return filepath.Walk(root, func(path string, _ os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		return os.Lchown(path, int(cred.Uid), int(cred.Gid))
	})
}

// startPostgres creates a cluster with initdb and starts postgres on it.
// The server is stopped and its directory removed at the end of t.
func startPostgres(t *testing.T) *pgServer {
	t.Helper()
	bin := pgBinDir(t)
	cred, err := pgCredential()
	if err != nil {
		t.Fatal(err)
	}
	// Not t.TempDir: its parents are private to root, and the server may
	// run as another user.
	dir, err := os.MkdirTemp("", "tocsin-pgdiff-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = os.RemoveAll(dir) })
	for _, d := range []string{"data", "sock"} {
		if err := os.Mkdir(filepath.Join(dir, d), 0o700); err != nil {
			t.Fatal(err)
		}
	}
	if cred != nil {
		if err := pgChownTree(dir, cred); err != nil {
			t.Fatal(err)
		}
	}
	run := func(name string, args ...string) *exec.Cmd {
		cmd := exec.Command(filepath.Join(bin, name), args...)
		cmd.Dir = dir
		cmd.Env = append(os.Environ(), "LC_ALL=C.UTF-8", "TZ=UTC")
		// If the test binary dies without its cleanups (a timeout
		// panic), the server goes with it.
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: cred, Pdeathsig: syscall.SIGQUIT}
		return cmd
	}
	if out, err := run("postgres", "--version").CombinedOutput(); err == nil {
		t.Logf("reference server: %s", strings.TrimSpace(string(out)))
	}
	// C.UTF-8: upper/lower know every Unicode letter and text sorts by
	// code point, which is what Tocsin does.
	initdb := run("initdb", "-D", filepath.Join(dir, "data"), "-U", "postgres", "--auth=trust",
		"--encoding=UTF8", "--locale=C.UTF-8", "--no-sync")
	if out, err := initdb.CombinedOutput(); err != nil {
		t.Fatalf("initdb: %v\n%s", err, out)
	}
	s := &pgServer{dir: dir, exited: make(chan struct{})}
	var logBuf bytes.Buffer
	// A port picked here may be taken before postgres binds it; retry.
	for attempt := 0; ; attempt++ {
		if s.port, err = pgFreePort(); err != nil {
			t.Fatal(err)
		}
		logBuf.Reset()
		s.cmd = run("postgres", "-D", filepath.Join(dir, "data"),
			"-p", strconv.Itoa(s.port), "-k", filepath.Join(dir, "sock"),
			"-c", "listen_addresses=127.0.0.1",
			"-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off",
			"-c", "shared_buffers=64MB", "-c", "max_connections=40",
			"-c", "TimeZone=UTC", "-c", "log_min_messages=fatal", "-c", "logging_collector=off")
		s.cmd.Stdout, s.cmd.Stderr = &logBuf, &logBuf
		if err := s.cmd.Start(); err != nil {
			t.Fatalf("start postgres: %v", err)
		}
		exited := make(chan struct{})
		go func() { _ = s.cmd.Wait(); close(exited) }()
		s.exited = exited
		if err := s.waitReady(30 * time.Second); err == nil {
			break
		} else if attempt >= 2 {
			s.stop()
			t.Fatalf("postgres did not start: %v\n%s", err, logBuf.String())
		}
		s.stop()
	}
	t.Cleanup(s.stop)
	return s
}

// connString is a libpq URL for the cluster's postgres database.
func (s *pgServer) connString() string {
	return fmt.Sprintf("postgres://postgres@127.0.0.1:%d/postgres?sslmode=disable", s.port)
}

// waitReady polls until the server accepts a connection and answers a
// query, the process exits, or the timeout passes.
func (s *pgServer) waitReady(timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	var last error
	for time.Now().Before(deadline) {
		select {
		case <-s.exited:
			return fmt.Errorf("postgres exited: %v", s.cmd.ProcessState)
		default:
		}
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		conn, err := pgconn.Connect(ctx, s.connString())
		if err == nil {
			_, err = conn.Exec(ctx, "SELECT 1").ReadAll()
			_ = conn.Close(ctx)
			if err == nil {
				cancel()
				return nil
			}
		}
		cancel()
		last = err
		time.Sleep(50 * time.Millisecond) // polling interval, not synchronisation
	}
	return fmt.Errorf("not ready after %v: %v", timeout, last)
}

// stop asks postgres for a fast shutdown and kills it if it lingers.
func (s *pgServer) stop() {
	if s.cmd == nil || s.cmd.Process == nil {
		return
	}
	select {
	case <-s.exited:
		return
	default:
	}
	_ = s.cmd.Process.Signal(syscall.SIGINT) // fast shutdown
	select {
	case <-s.exited:
	case <-time.After(10 * time.Second):
		_ = s.cmd.Process.Kill()
		<-s.exited
	}
}

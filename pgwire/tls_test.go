package pgwire

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgproto3"
)

// testPKI is a CA and a server certificate it signed, for 127.0.0.1 and
// localhost.
type testPKI struct {
	// caFile is the CA certificate in PEM, for sslrootcert.
	caFile string
	// server is the server's TLS configuration.
	server *tls.Config
}

func newTestPKI(t testing.TB) *testPKI {
	t.Helper()
	newKey := func() *ecdsa.PrivateKey {
		k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		return k
	}
	caKey, srvKey := newKey(), newKey()
	now := time.Now()
	caTmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "Tocsin test CA"},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.Add(time.Hour),
		IsCA:                  true,
		KeyUsage:              x509.KeyUsageCertSign,
		BasicConstraintsValid: true,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	ca, _ := x509.ParseCertificate(caDER)
	srvTmpl := &x509.Certificate{
		SerialNumber: big.NewInt(2),
		Subject:      pkix.Name{CommonName: "localhost"},
		NotBefore:    now.Add(-time.Hour),
		NotAfter:     now.Add(time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		DNSNames:     []string{"localhost"},
		IPAddresses:  []net.IP{net.IPv4(127, 0, 0, 1)},
	}
	srvDER, err := x509.CreateCertificate(rand.Reader, srvTmpl, ca, &srvKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	caFile := filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(caFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: caDER}), 0o600); err != nil {
		t.Fatal(err)
	}
	return &testPKI{
		caFile: caFile,
		server: &tls.Config{
			Certificates: []tls.Certificate{{Certificate: [][]byte{srvDER}, PrivateKey: srvKey}},
			MinVersion:   tls.VersionTLS12,
		},
	}
}

// tlsConnect connects with pgconn using the given libpq parameters.
func tlsConnect(ts *testServer, user, params string, configure func(*pgconn.Config)) (*pgconn.PgConn, error) {
	cfg, err := pgconn.ParseConfig(fmt.Sprintf("postgres://%s@%s/testdb?connect_timeout=5&%s", user, ts.addr, params))
	if err != nil {
		return nil, err
	}
	if configure != nil {
		configure(cfg)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	return pgconn.ConnectConfig(ctx, cfg)
}

// isTLS reports whether pc talks TLS.
func isTLS(pc *pgconn.PgConn) bool {
	_, ok := pc.Conn().(*tls.Conn)
	return ok
}

func TestTLSModes(t *testing.T) {
	pki := newTestPKI(t)
	ts := startServer(t, func(c *Config) { c.TLS = pki.server })
	for _, tc := range []struct {
		name, params string
		configure    func(*pgconn.Config)
		tls          bool
		errPart      string
	}{
		{name: "require", params: "sslmode=require", tls: true},
		{name: "prefer", params: "sslmode=prefer", tls: true},
		{name: "disable", params: "sslmode=disable", tls: false},
		{name: "verify-ca", params: "sslmode=verify-ca&sslrootcert=" + pki.caFile, tls: true},
		{name: "verify-full", params: "sslmode=verify-full&sslrootcert=" + pki.caFile, tls: true},
		{name: "verify-full wrong host", params: "sslmode=verify-full&sslrootcert=" + pki.caFile,
			configure: func(c *pgconn.Config) { c.TLSConfig.ServerName = "db.example.com" },
			errPart:   "certificate is valid for localhost, not db.example.com"},
		{name: "verify-full unknown CA", params: "sslmode=verify-full", errPart: "certificate signed by unknown authority"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			pc, err := tlsConnect(ts, "tester", tc.params, tc.configure)
			if tc.errPart != "" {
				if err == nil {
					pc.Close(context.Background())
					t.Fatal("connected")
				}
				if !strings.Contains(err.Error(), tc.errPart) {
					t.Fatalf("err = %v, want %q", err, tc.errPart)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			defer pc.Close(context.Background())
			if isTLS(pc) != tc.tls {
				t.Errorf("TLS = %v", isTLS(pc))
			}
			if _, err := pc.Exec(context.Background(), "select 1").ReadAll(); err != nil {
				t.Fatal(err)
			}
		})
	}
}

func TestTLSNotConfigured(t *testing.T) {
	ts := startServer(t)
	_, err := tlsConnect(ts, "tester", "sslmode=require", nil)
	if err == nil || !strings.Contains(err.Error(), "server refused TLS connection") {
		t.Fatalf("err = %v", err)
	}
	pc, err := tlsConnect(ts, "tester", "sslmode=prefer", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer pc.Close(context.Background())
	if isTLS(pc) {
		t.Error("TLS without Config.TLS")
	}
}

func TestTLSRequired(t *testing.T) {
	pki := newTestPKI(t)
	ts := startServer(t, func(c *Config) { c.TLS, c.RequireTLS = pki.server, true })
	_, err := tlsConnect(ts, "tester", "sslmode=disable", nil)
	var pgErr *pgconn.PgError
	if !errors.As(err, &pgErr) || pgErr.Code != "28000" || pgErr.Severity != "FATAL" ||
		pgErr.Message != `connection without encryption refused for host "127.0.0.1", user "tester", database "testdb"` {
		t.Fatalf("plain connection: %v", err)
	}
	pc, err := tlsConnect(ts, "tester", "sslmode=prefer", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer pc.Close(context.Background())
	if !isTLS(pc) {
		t.Error("not TLS")
	}

	if err := NewServer(Config{Executor: ts.exec, RequireTLS: true}).Serve(context.Background(), nil); err == nil {
		t.Error("Serve with RequireTLS and no TLS succeeded")
	}
}

// TestTLSAuthSCRAM logs in with SCRAM over TLS, where pgx sends the gs2
// flag 'y' (it could bind the channel, the server did not offer it), and
// with a cleartext password, as is sensible only over TLS.
func TestTLSAuthSCRAM(t *testing.T) {
	pki := newTestPKI(t)
	for _, m := range []AuthMethod{AuthSCRAMSHA256, AuthPassword} {
		auth, _ := NewPasswordAuth(m, authUsers())
		ts := startServer(t, func(c *Config) { c.TLS, c.RequireTLS, c.Authenticator = pki.server, true, auth })
		for _, pw := range []string{"tocsin-pw", "wrong"} {
			pc, err := tlsConnect(ts, "alice", "sslmode=verify-full&sslrootcert="+pki.caFile,
				func(c *pgconn.Config) { c.Password = pw })
			if pw == "wrong" {
				var pgErr *pgconn.PgError
				if !errors.As(err, &pgErr) || pgErr.Code != "28P01" {
					t.Errorf("%v, wrong password: %v", m, err)
				}
				continue
			}
			if err != nil {
				t.Fatalf("%v: %v", m, err)
			}
			if !isTLS(pc) {
				t.Errorf("%v: not TLS", m)
			}
			pc.Close(context.Background())
		}
	}
}

// TestTLSCancel cancels a query on a TLS session: pgx sends the
// CancelRequest over TLS too. A plaintext CancelRequest with the right
// key also works, as in PostgreSQL, even when TLS is required.
func TestTLSCancel(t *testing.T) {
	pki := newTestPKI(t)
	ts := startServer(t, func(c *Config) { c.TLS, c.RequireTLS = pki.server, true })
	pc, err := tlsConnect(ts, "tester", "sslmode=require", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer pc.Close(context.Background())
	for _, plain := range []bool{false, true} {
		done := make(chan error, 1)
		go func() {
			_, err := pc.Exec(context.Background(), "wait").ReadAll()
			done <- err
		}()
		ts.waitStarted(t)
		if plain {
			f := rawConn(t, ts)
			f.send(t, &pgproto3.CancelRequest{ProcessID: pc.PID(), SecretKey: pc.SecretKey()})
			f.expectClosed(t)
		} else if err := pc.CancelRequest(context.Background()); err != nil {
			t.Fatal(err)
		}
		var pgErr *pgconn.PgError
		if err := <-done; !errors.As(err, &pgErr) || pgErr.Code != "57014" {
			t.Fatalf("plain %v: %v", plain, err)
		}
	}
}

// TestTLSHandshakeFailure sends garbage after the server's 'S': the
// connection is closed and nothing is left behind.
func TestTLSHandshakeFailure(t *testing.T) {
	checkGoroutines(t)
	pki := newTestPKI(t)
	ts := startServer(t, func(c *Config) { c.TLS = pki.server })
	f := rawConn(t, ts)
	f.send(t, &pgproto3.SSLRequest{})
	var b [1]byte
	if _, err := f.nc.Read(b[:]); err != nil || b[0] != 'S' {
		t.Fatalf("answer %q, %v", b[:], err)
	}
	// A plaintext startup packet where the ClientHello belongs.
	msg, _ := startupMessage(map[string]string{"user": "u"}).Encode(nil)
	if _, err := f.nc.Write(msg); err != nil {
		t.Fatal(err)
	}
	eventually(t, "connection closed", func() bool { return ts.srv.ConnCount() == 0 })
	// The server may send a TLS alert; then it closes.
	_ = f.nc.SetReadDeadline(time.Now().Add(5 * time.Second))
	buf := make([]byte, 64)
	for {
		if _, err := f.nc.Read(buf); err != nil {
			break
		}
	}
	if ts.exec.openSessions() != 0 {
		t.Error("a session was opened")
	}
}

// TestTLSPsql runs psql with sslmode=require and verify-full and a SCRAM
// password, and checks that verify-full with the wrong host name fails.
func TestTLSPsql(t *testing.T) {
	psql, err := exec.LookPath("psql")
	if err != nil {
		t.Skip("psql is not installed")
	}
	pki := newTestPKI(t)
	auth, _ := NewPasswordAuth(AuthSCRAMSHA256, authUsers())
	ts := startServer(t, func(c *Config) { c.TLS, c.RequireTLS, c.Authenticator = pki.server, true, auth })
	run := func(host, sslmode, password string) (string, error) {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		cmd := exec.CommandContext(ctx, psql, "-X", "-w", "-At", "-h", host, "-p", ts.port(), "-U", "alice", "-d", "db",
			"-c", "show user")
		cmd.Env = []string{"PGCONNECT_TIMEOUT=5", "LC_ALL=C", "PGSSLMODE=" + sslmode, "PGSSLROOTCERT=" + pki.caFile,
			"PGPASSWORD=" + password}
		out, err := cmd.CombinedOutput()
		return string(out), err
	}
	for _, mode := range []string{"require", "verify-full"} {
		if out, err := run("127.0.0.1", mode, "tocsin-pw"); err != nil || out != "alice\n" {
			t.Errorf("%s: %v\n%s", mode, err, out)
		}
	}
	if out, err := run("127.0.0.1", "require", "wrong"); err == nil || !strings.Contains(out, `password authentication failed for user "alice"`) {
		t.Errorf("wrong password: %v\n%s", err, out)
	}
	if out, err := run("127.0.0.1", "disable", "tocsin-pw"); err == nil || !strings.Contains(out, "connection without encryption refused") {
		t.Errorf("sslmode=disable: %v\n%s", err, out)
	}
	// Verify-full against a host name the certificate lacks (hostaddr
	// still reaches the test server).
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, psql, "-X", "-w", "-At", "-c", "show user",
		fmt.Sprintf("host=db.example.com hostaddr=127.0.0.1 port=%s user=alice dbname=db sslmode=verify-full sslrootcert=%s", ts.port(), pki.caFile))
	cmd.Env = []string{"PGCONNECT_TIMEOUT=5", "LC_ALL=C", "PGPASSWORD=tocsin-pw"}
	if out, err := cmd.CombinedOutput(); err == nil || !strings.Contains(string(out), "does not match host name") {
		t.Errorf("wrong host name: %v\n%s", err, out)
	}
}

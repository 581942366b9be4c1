package main

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/tocsin-db/tocsin/pgwire"
)

func TestAuthUsersFile(t *testing.T) {
	verifier := pgwire.MD5Verifier("bob", "pw")
	users, err := parseUsers([]byte("# comment\n\nalice:s3cr:et \r\n bob :" + verifier + "\n"))
	if err != nil {
		t.Fatal(err)
	}
	if c, ok := users.Lookup("alice"); !ok || c.Password != "s3cr:et " {
		t.Errorf("alice: %+v", c)
	}
	if c, ok := users.Lookup("bob"); !ok || c.Verifier != verifier || c.Password != "" {
		t.Errorf("bob: %+v", c)
	}
	for _, bad := range []string{"alice", ":pw", "alice:", "a:1\na:2", "# only a comment\n"} {
		if _, err := parseUsers([]byte(bad)); err == nil {
			t.Errorf("parseUsers(%q) succeeded", bad)
		}
	}
}

func TestAuthFlagsValidation(t *testing.T) {
	dir := t.TempDir()
	usersFile := filepath.Join(dir, "users")
	if err := os.WriteFile(usersFile, []byte("u:pw\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		f       serverFlags
		errPart string
	}{
		{serverFlags{auth: "md5"}, "needs --users-file"},
		{serverFlags{auth: "trust", usersFile: usersFile}, "no effect"},
		{serverFlags{auth: "kerberos", usersFile: usersFile}, "unknown authentication method"},
		{serverFlags{auth: "md5", usersFile: filepath.Join(dir, "missing")}, "no such file"},
		{serverFlags{tlsCert: "x.pem"}, "go together"},
		{serverFlags{requireTLS: true}, "needs --tls-cert"},
		{serverFlags{maxConns: -1}, "--max-connections"},
		{serverFlags{idleSessionTimeout: -time.Second}, "--idle-session-timeout"},
		{serverFlags{tlsCert: filepath.Join(dir, "c"), tlsKey: filepath.Join(dir, "k")}, "--tls-cert/--tls-key"},
	} {
		if _, err := tc.f.pgConfig(quietLogger()); err == nil || !strings.Contains(err.Error(), tc.errPart) {
			t.Errorf("%+v: err = %v, want %q", tc.f, err, tc.errPart)
		}
	}
	cfg, err := serverFlags{auth: "scram-sha-256", usersFile: usersFile, maxConns: 7, idleSessionTimeout: time.Minute}.pgConfig(quietLogger())
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := cfg.Authenticator.(*pgwire.PasswordAuth); !ok || cfg.MaxConns != 7 || cfg.IdleTimeout != time.Minute || cfg.TLS != nil {
		t.Errorf("config %+v", cfg)
	}
	if cfg, err := (serverFlags{}).pgConfig(quietLogger()); err != nil || cfg.Authenticator != (pgwire.TrustAuth{}) {
		t.Errorf("defaults: %+v, %v", cfg, err)
	}
}

// writeTestCerts writes a CA certificate and a server certificate and
// key for 127.0.0.1 into dir and returns their paths.
func writeTestCerts(t *testing.T, dir string) (caFile, certFile, keyFile string) {
	t.Helper()
	caKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	srvKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	now := time.Now()
	caTmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "test CA"},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(time.Hour), IsCA: true,
		KeyUsage: x509.KeyUsageCertSign, BasicConstraintsValid: true}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	ca, _ := x509.ParseCertificate(caDER)
	srvTmpl := &x509.Certificate{SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: "tocsin"},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(time.Hour), KeyUsage: x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}, IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)}}
	srvDER, err := x509.CreateCertificate(rand.Reader, srvTmpl, ca, &srvKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(srvKey)
	if err != nil {
		t.Fatal(err)
	}
	write := func(name, typ string, der []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der}), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	return write("ca.pem", "CERTIFICATE", caDER), write("server.pem", "CERTIFICATE", srvDER), write("server.key", "PRIVATE KEY", keyDER)
}

// TestAuthTLSServe starts the real server with TLS required and SCRAM
// authentication from a users file, and logs in with pgx.
func TestAuthTLSServe(t *testing.T) {
	dir := t.TempDir()
	caFile, certFile, keyFile := writeTestCerts(t, dir)
	verifier, err := pgwire.SCRAMVerifier("v-pw")
	if err != nil {
		t.Fatal(err)
	}
	usersFile := filepath.Join(dir, "users")
	if err := os.WriteFile(usersFile, []byte("alice:a-pw\nvera:"+verifier+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	srv, err := startServer(ctx, serverFlags{dataDir: t.TempDir(), pgAddr: "127.0.0.1:0", idleTimeout: 30 * time.Second,
		tlsCert: certFile, tlsKey: keyFile, requireTLS: true, auth: "scram-sha-256", usersFile: usersFile,
		maxConns: 10, idleSessionTimeout: time.Hour}, quietLogger())
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		if err := srv.close(); err != nil {
			t.Error(err)
		}
	}()
	connect := func(user, password, sslmode string) error {
		cfg, err := pgconn.ParseConfig(fmt.Sprintf("postgres://%s@%s/tocsin?sslmode=%s&sslrootcert=%s&connect_timeout=5",
			user, srv.pgAddr, sslmode, caFile))
		if err != nil {
			return err
		}
		cfg.Password = password
		pc, err := pgconn.ConnectConfig(ctx, cfg)
		if err != nil {
			return err
		}
		defer pc.Close(context.Background())
		_, err = pc.Exec(ctx, "SELECT 1").ReadAll()
		return err
	}
	for _, c := range [][2]string{{"alice", "a-pw"}, {"vera", "v-pw"}} {
		if err := connect(c[0], c[1], "verify-full"); err != nil {
			t.Errorf("%s: %v", c[0], err)
		}
	}
	var pgErr *pgconn.PgError
	if err := connect("alice", "v-pw", "verify-full"); !errors.As(err, &pgErr) || pgErr.Code != "28P01" {
		t.Errorf("wrong password: %v", err)
	}
	if err := connect("alice", "a-pw", "disable"); !errors.As(err, &pgErr) || pgErr.Code != "28000" {
		t.Errorf("without TLS: %v", err)
	}
}

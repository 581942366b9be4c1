package pgwire

import (
	"context"
	"log/slog"
	"net"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
)

// pipeConnect connects pgconn to srv over net.Pipe (no TCP), with the
// given user and password.
func pipeConnect(b *testing.B, srv *Server, user, password string) *pgconn.PgConn {
	cfg, err := pgconn.ParseConfig("postgres://" + user + "@127.0.0.1/db?sslmode=disable")
	if err != nil {
		b.Fatal(err)
	}
	cfg.Password = password
	cfg.DialFunc = func(context.Context, string, string) (net.Conn, error) {
		client, server := net.Pipe()
		go srv.serveConn(context.Background(), srv.newConn(server))
		return client, nil
	}
	pc, err := pgconn.ConnectConfig(context.Background(), cfg)
	if err != nil {
		b.Fatal(err)
	}
	return pc
}

// BenchmarkAuthLogin measures a whole login (startup, authentication,
// session start, Terminate) with pgconn as the client, per method and
// kind of stored credential. SCRAM's cost is PBKDF2 (4096 iterations) on
// the client, plus on the server when only a plaintext password is
// stored.
func BenchmarkAuthLogin(b *testing.B) {
	for _, bc := range []struct {
		name   string
		method AuthMethod
		user   string
	}{
		{"trust", AuthTrust, "plain"},
		{"password", AuthPassword, "plain"},
		{"md5", AuthMD5, "plain"},
		{"scram-plaintext", AuthSCRAMSHA256, "plain"},
		{"scram-verifier", AuthSCRAMSHA256, "alice"},
	} {
		b.Run(bc.name, func(b *testing.B) {
			auth, err := NewAuthenticator(bc.method, authUsers())
			if err != nil {
				b.Fatal(err)
			}
			srv := NewServer(Config{Executor: echoExecutor{}, Logger: slog.New(slog.DiscardHandler), Authenticator: auth})
			b.ReportAllocs()
			for b.Loop() {
				pc := pipeConnect(b, srv, bc.user, "tocsin-pw")
				if err := pc.Close(context.Background()); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkIdleTimeoutQuery measures a simple-query round trip with and
// without IdleTimeout, whose read deadline is set and cleared around
// every read that follows ReadyForQuery.
func BenchmarkIdleTimeoutQuery(b *testing.B) {
	for _, timeout := range []time.Duration{0, time.Hour} {
		b.Run("timeout="+timeout.String(), func(b *testing.B) {
			srv := NewServer(Config{Executor: echoExecutor{}, Logger: slog.New(slog.DiscardHandler), IdleTimeout: timeout})
			pc := pipeConnect(b, srv, "u", "")
			defer pc.Close(context.Background())
			b.ReportAllocs()
			for b.Loop() {
				if _, err := pc.Exec(context.Background(), "q").ReadAll(); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

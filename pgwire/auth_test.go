package pgwire

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgproto3"
)

// Verifiers PostgreSQL 15 stored for the password "tocsin-pw"
// (password_encryption scram-sha-256 for alice, md5 for bob), taken from
// pg_authid.rolpassword.
const (
	pgSCRAMVerifier = "SCRAM-SHA-256$4096:HFBNeRLZt+SnGjrPLystvA==$XvEissk8tS9GYInuFG1ul74RWJyvAUdB8tCacnvjeWU=:mHcBxHod5W3P6XncV98BDpDGPK2gwJ3NeppuO7fK0zQ="
	pgMD5Verifier   = "md594e66d535d668f9c0bf1a98611c05b1d" // user bob
)

func TestAuthVerifierFormats(t *testing.T) {
	if got := MD5Verifier("bob", "tocsin-pw"); got != pgMD5Verifier {
		t.Errorf("MD5Verifier = %s, want PostgreSQL's %s", got, pgMD5Verifier)
	}
	// Re-deriving PostgreSQL's SCRAM verifier from its salt gives the same
	// string.
	pg, err := parseSCRAMVerifier(pgSCRAMVerifier)
	if err != nil {
		t.Fatal(err)
	}
	mine, err := newSCRAMSecret("tocsin-pw", pg.salt, pg.iterations)
	if err != nil {
		t.Fatal(err)
	}
	if mine.String() != pgSCRAMVerifier {
		t.Errorf("SCRAM verifier\n got %s\nwant %s", mine.String(), pgSCRAMVerifier)
	}
	if !pg.verifyPassword("tocsin-pw") || pg.verifyPassword("tocsin-PW") {
		t.Error("verifyPassword")
	}

	v, err := SCRAMVerifier("pencil")
	if err != nil {
		t.Fatal(err)
	}
	s, err := parseSCRAMVerifier(v)
	if err != nil || s.iterations != 4096 || len(s.salt) != 16 || !strings.HasPrefix(v, "SCRAM-SHA-256$4096:") {
		t.Fatalf("SCRAMVerifier = %s (%v)", v, err)
	}
	if v2, _ := SCRAMVerifier("pencil"); v2 == v {
		t.Error("two verifiers share a salt")
	}

	for secret, want := range map[string]Credential{
		"plain":                                {Password: "plain"},
		pgMD5Verifier:                          {Verifier: pgMD5Verifier},
		pgSCRAMVerifier:                        {Verifier: pgSCRAMVerifier},
		"md5" + strings.Repeat("A", 32):        {Password: "md5" + strings.Repeat("A", 32)},
		"SCRAM-SHA-256$0:c2FsdA==$xx:yy":       {Password: "SCRAM-SHA-256$0:c2FsdA==$xx:yy"},
		strings.TrimSuffix(pgMD5Verifier, "d"): {Password: strings.TrimSuffix(pgMD5Verifier, "d")},
	} {
		if got := ParseCredential(secret); got != want {
			t.Errorf("ParseCredential(%q) = %+v, want %+v", secret, got, want)
		}
	}
	for _, bad := range []string{
		"SCRAM-SHA-256$4096:c2FsdA==",
		"SCRAM-SHA-256$x:c2FsdA==$a:b",
		"SCRAM-SHA-256$4096:!!$" + strings.Repeat("A", 44) + ":" + strings.Repeat("A", 44),
		"SCRAM-SHA-256$4096:c2FsdA==$YQ==:YQ==",
		"SCRAM-SHA-256$99999999999:c2FsdA==$" + strings.Repeat("A", 43) + "=:" + strings.Repeat("A", 43) + "=",
	} {
		if _, err := parseSCRAMVerifier(bad); err == nil {
			t.Errorf("parseSCRAMVerifier(%q) succeeded", bad)
		}
	}
}

// TestAuthSCRAMRFC7677 checks the key derivation, proof check and server
// signature against the SCRAM-SHA-256 example of RFC 7677 section 3.
func TestAuthSCRAMRFC7677(t *testing.T) {
	salt, _ := base64.StdEncoding.DecodeString("W22ZaJ0SNY7soEsUEjb6gQ==")
	s, err := newSCRAMSecret("pencil", salt, 4096)
	if err != nil {
		t.Fatal(err)
	}
	const nonce = "rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0"
	authMessage := "n=user,r=rOprNGfwEbeRWgbNEkqO" + "," +
		"r=" + nonce + ",s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096" + "," +
		"c=biws,r=" + nonce
	proof, _ := base64.StdEncoding.DecodeString("dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=")
	if !s.verifyProof(proof, authMessage) {
		t.Error("RFC 7677 client proof rejected")
	}
	proof[0] ^= 1
	if s.verifyProof(proof, authMessage) {
		t.Error("corrupted proof accepted")
	}
	if got := base64.StdEncoding.EncodeToString(hmacSHA256(s.serverKey[:], authMessage)); got != "6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=" {
		t.Errorf("server signature %s", got)
	}
}

func TestAuthParseMethod(t *testing.T) {
	for _, m := range []AuthMethod{AuthTrust, AuthPassword, AuthMD5, AuthSCRAMSHA256} {
		got, err := ParseAuthMethod(strings.ToUpper(m.String()))
		if err != nil || got != m {
			t.Errorf("ParseAuthMethod(%s) = %v, %v", m, got, err)
		}
	}
	if _, err := ParseAuthMethod("scram"); err == nil {
		t.Error("ParseAuthMethod(scram) succeeded")
	}
	if _, err := NewAuthenticator(AuthMD5, nil); err == nil {
		t.Error("md5 without users")
	}
	if a, err := NewAuthenticator(AuthTrust, nil); err != nil || a != (TrustAuth{}) {
		t.Errorf("trust: %v, %v", a, err)
	}
	if AuthMethod(9).String() != "AuthMethod(9)" {
		t.Error(AuthMethod(9).String())
	}
}

// countingUsers is a Users store that counts lookups, to show they
// happen per connection (so a store changed at run time takes effect).
type countingUsers struct {
	StaticUsers
	lookups chan string
}

func (u countingUsers) Lookup(user string) (Credential, bool) {
	u.lookups <- user
	return u.StaticUsers.Lookup(user)
}

// authUsers has one user per kind of stored credential, all with the
// password "tocsin-pw".
func authUsers() StaticUsers {
	return StaticUsers{
		"plain": {Password: "tocsin-pw"},
		"bob":   {Verifier: pgMD5Verifier},
		"alice": {Verifier: pgSCRAMVerifier},
	}
}

// TestAuthMethodsPgx logs in with pgx under every method, for every kind
// of stored credential, with the right and a wrong password, and as an
// unknown user.
func TestAuthMethodsPgx(t *testing.T) {
	for _, m := range []AuthMethod{AuthPassword, AuthMD5, AuthSCRAMSHA256} {
		t.Run(m.String(), func(t *testing.T) {
			users := countingUsers{authUsers(), make(chan string, 100)}
			auth, err := NewAuthenticator(m, users)
			if err != nil {
				t.Fatal(err)
			}
			ts := startServer(t, func(c *Config) { c.Authenticator = auth })
			for _, tc := range []struct {
				user, password string
				ok             bool
			}{
				{"plain", "tocsin-pw", true},
				{"bob", "tocsin-pw", m != AuthSCRAMSHA256}, // an MD5 verifier cannot serve SCRAM
				{"alice", "tocsin-pw", true},
				{"plain", "wrong", false},
				{"bob", "wrong", false},
				{"alice", "wrong", false},
				{"alice", "", false},
				{"nobody", "tocsin-pw", false},
			} {
				err := tryConnect(ts, tc.user, tc.password)
				if tc.ok {
					if err != nil {
						t.Errorf("%s/%q: %v", tc.user, tc.password, err)
					}
					continue
				}
				var pgErr *pgconn.PgError
				want := `password authentication failed for user "` + tc.user + `"`
				if !errors.As(err, &pgErr) || pgErr.Code != "28P01" || pgErr.Severity != "FATAL" || pgErr.Message != want {
					t.Errorf("%s/%q: err = %v", tc.user, tc.password, err)
				}
			}
			if n := len(users.lookups); n < 8 {
				t.Errorf("%d lookups for 8 logins", n)
			}
		})
	}
}

// tryConnect logs in as user and runs a query.
func tryConnect(ts *testServer, user, password string) error {
	cfg, err := pgconn.ParseConfig(strings.Replace(ts.connString(""), "tester@", user+"@", 1))
	if err != nil {
		return err
	}
	cfg.Password = password
	conn, err := pgconn.ConnectConfig(context.Background(), cfg)
	if err != nil {
		return err
	}
	defer conn.Close(context.Background())
	_, err = conn.Exec(context.Background(), "select 1").ReadAll()
	return err
}

// scramStart connects raw, sends a startup packet for user and returns
// the frontend after AuthenticationSASL.
func scramStart(t *testing.T, ts *testServer, user string) *frontend {
	t.Helper()
	f := rawConn(t, ts)
	f.send(t, startupMessage(map[string]string{"user": user}))
	msg, err := f.fe.Receive()
	if err != nil {
		t.Fatal(err)
	}
	sasl, ok := msg.(*pgproto3.AuthenticationSASL)
	if !ok || len(sasl.AuthMechanisms) != 1 || sasl.AuthMechanisms[0] != "SCRAM-SHA-256" {
		t.Fatalf("got %#v, want AuthenticationSASL with SCRAM-SHA-256 only", msg)
	}
	return f
}

// serverFirst sends a client-first-message and returns the server's
// answer.
func serverFirst(t *testing.T, f *frontend, clientFirst string) string {
	t.Helper()
	f.send(t, &pgproto3.SASLInitialResponse{AuthMechanism: "SCRAM-SHA-256", Data: []byte(clientFirst)})
	msg, err := f.fe.Receive()
	if err != nil {
		t.Fatal(err)
	}
	cont, ok := msg.(*pgproto3.AuthenticationSASLContinue)
	if !ok {
		t.Fatalf("got %#v, want AuthenticationSASLContinue", msg)
	}
	return string(cont.Data)
}

// expectFatal reads an ErrorResponse with the given code and then EOF.
func (f *frontend) expectFatal(t *testing.T, code, msgPart string) {
	t.Helper()
	msg, err := f.fe.Receive()
	if err != nil {
		t.Fatalf("receive: %v", err)
	}
	er, ok := msg.(*pgproto3.ErrorResponse)
	if !ok || er.Code != code || er.Severity != "FATAL" || !strings.Contains(er.Message, msgPart) {
		t.Fatalf("got %#v, want FATAL %s %q", msg, code, msgPart)
	}
	f.expectClosed(t)
}

// TestAuthSCRAMMockSalt checks that an unknown user gets the same
// exchange as a known one: a salt that is stable across attempts and
// 4096 iterations.
func TestAuthSCRAMMockSalt(t *testing.T) {
	auth, _ := NewPasswordAuth(AuthSCRAMSHA256, authUsers())
	ts := startServer(t, func(c *Config) { c.Authenticator = auth })
	salt := func(user string) string {
		f := scramStart(t, ts, user)
		sf := serverFirst(t, f, "n,,n=,r=abc")
		parts := strings.Split(sf, ",")
		if len(parts) != 3 || !strings.HasPrefix(parts[0], "r=abc") || len(parts[0]) != len("r=abc")+24 || parts[2] != "i=4096" {
			t.Fatalf("server-first-message %q", sf)
		}
		return parts[1]
	}
	for _, user := range []string{"nobody", "plain", "bob"} {
		s1, s2 := salt(user), salt(user)
		if s1 != s2 || len(s1) != len("s=")+24 {
			t.Errorf("%s: salts %s, %s", user, s1, s2)
		}
	}
	if salt("nobody") == salt("somebody") {
		t.Error("two unknown users share a salt")
	}
	if got, want := salt("alice"), "s=HFBNeRLZt+SnGjrPLystvA=="; got != want {
		t.Errorf("alice's salt %s, want her verifier's %s", got, want)
	}
}

// TestAuthSCRAMProtocolErrors sends malformed SASL messages.
func TestAuthSCRAMProtocolErrors(t *testing.T) {
	auth, _ := NewPasswordAuth(AuthSCRAMSHA256, authUsers())
	ts := startServer(t, func(c *Config) { c.Authenticator = auth })
	for _, tc := range []struct {
		name        string
		mechanism   string
		first       string
		final       func(nonce string) string
		code, error string
	}{
		{name: "mechanism", mechanism: "SCRAM-SHA-256-PLUS", first: "p=tls-server-end-point,,n=,r=abc",
			code: "08P01", error: "invalid SASL authentication mechanism"},
		{name: "channel binding", first: "p=tls-server-end-point,,n=,r=abc", code: "08P01", error: "malformed SCRAM message"},
		{name: "flag", first: "x,,n=,r=abc", code: "08P01", error: "malformed SCRAM message"},
		{name: "authzid", first: "n,a=admin,n=,r=abc", code: "0A000", error: "authorization identity"},
		{name: "extension", first: "n,,m=ext,n=,r=abc", code: "0A000", error: "unsupported SCRAM extension"},
		{name: "no nonce", first: "n,,n=", code: "08P01", error: "malformed SCRAM message"},
		{name: "empty nonce", first: "n,,n=,r=", code: "08P01", error: "malformed SCRAM message"},
		{name: "binary nonce", first: "n,,n=,r=a\x01b", code: "08P01", error: "malformed SCRAM message"},
		{name: "final without proof", first: "n,,n=,r=abc",
			final: func(n string) string { return "c=biws,r=" + n }, code: "08P01", error: "malformed SCRAM message"},
		{name: "final bad binding", first: "n,,n=,r=abc",
			final: func(n string) string { return "c=eSws,r=" + n + ",p=" + zeroProof() }, code: "08P01", error: "channel binding"},
		{name: "final bad nonce", first: "n,,n=,r=abc",
			final: func(string) string { return "c=biws,r=abcd,p=" + zeroProof() }, code: "08P01", error: "malformed SCRAM message"},
		{name: "final short proof", first: "n,,n=,r=abc",
			final: func(n string) string { return "c=biws,r=" + n + ",p=AAAA" }, code: "08P01", error: "malformed SCRAM message"},
		{name: "final wrong proof", first: "n,,n=,r=abc",
			final: func(n string) string { return "c=biws,r=" + n + ",p=" + zeroProof() }, code: "28P01", error: `password authentication failed for user "alice"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := scramStart(t, ts, "alice")
			mech := tc.mechanism
			if mech == "" {
				mech = "SCRAM-SHA-256"
			}
			f.send(t, &pgproto3.SASLInitialResponse{AuthMechanism: mech, Data: []byte(tc.first)})
			if tc.final != nil {
				msg, err := f.fe.Receive()
				if err != nil {
					t.Fatal(err)
				}
				cont, ok := msg.(*pgproto3.AuthenticationSASLContinue)
				if !ok {
					t.Fatalf("got %#v", msg)
				}
				nonce, _, _ := strings.Cut(strings.TrimPrefix(string(cont.Data), "r="), ",")
				f.send(t, &pgproto3.SASLResponse{Data: []byte(tc.final(nonce))})
			}
			f.expectFatal(t, tc.code, tc.error)
		})
	}
	// A client that answers the SASL request with another message.
	f := scramStart(t, ts, "alice")
	f.send(t, &pgproto3.Query{String: "select 1"})
	f.expectFatal(t, "08P01", "expected SASL response, got Query message")
}

func zeroProof() string { return base64.StdEncoding.EncodeToString(make([]byte, sha256.Size)) }

// TestAuthPasswordProtocol checks the requests the cleartext and MD5
// methods send and their answer to a message of the wrong type.
func TestAuthPasswordProtocol(t *testing.T) {
	for _, m := range []AuthMethod{AuthPassword, AuthMD5} {
		auth, _ := NewPasswordAuth(m, authUsers())
		ts := startServer(t, func(c *Config) { c.Authenticator = auth })
		f := rawConn(t, ts)
		f.send(t, startupMessage(map[string]string{"user": "plain"}))
		msg, err := f.fe.Receive()
		if err != nil {
			t.Fatal(err)
		}
		switch msg.(type) {
		case *pgproto3.AuthenticationCleartextPassword:
			if m != AuthPassword {
				t.Errorf("%v sent %T", m, msg)
			}
		case *pgproto3.AuthenticationMD5Password:
			if m != AuthMD5 {
				t.Errorf("%v sent %T", m, msg)
			}
		default:
			t.Fatalf("%v sent %#v", m, msg)
		}
		f.send(t, &pgproto3.Sync{})
		f.expectFatal(t, "08P01", "expected password response, got Sync message")
	}
}

// TestAuthClientHangsUp checks that a client leaving during the exchange
// (psql does, to prompt for a password) is not reported as an error.
func TestAuthClientHangsUp(t *testing.T) {
	auth, _ := NewPasswordAuth(AuthSCRAMSHA256, authUsers())
	ts := startServer(t, func(c *Config) { c.Authenticator = auth })
	f := scramStart(t, ts, "alice")
	_ = f.nc.Close()
	eventually(t, "connection closed", func() bool { return ts.srv.ConnCount() == 0 })
	if logs := ts.logs.String(); !strings.Contains(logs, "client left during authentication") || strings.Contains(logs, "level=WARN") {
		t.Errorf("logs:\n%s", logs)
	}
}

// TestAuthPsql logs in with psql (libpq) under MD5 and SCRAM, with
// PGPASSWORD right and wrong and without a password.
func TestAuthPsql(t *testing.T) {
	psql, err := exec.LookPath("psql")
	if err != nil {
		t.Skip("psql is not installed")
	}
	for _, m := range []AuthMethod{AuthMD5, AuthSCRAMSHA256} {
		auth, _ := NewPasswordAuth(m, authUsers())
		ts := startServer(t, func(c *Config) { c.Authenticator = auth })
		run := func(user, password string) (string, error) {
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			cmd := exec.CommandContext(ctx, psql, "-X", "-w", "-At", "-h", "127.0.0.1", "-p", ts.port(), "-U", user, "-d", "db",
				"-c", "show user")
			cmd.Env = []string{"PGCONNECT_TIMEOUT=5", "LC_ALL=C", "PGSSLMODE=disable"}
			if password != "" {
				cmd.Env = append(cmd.Env, "PGPASSWORD="+password)
			}
			out, err := cmd.CombinedOutput()
			return string(out), err
		}
		users := []string{"plain", "alice"}
		if m == AuthMD5 {
			users = append(users, "bob")
		}
		for _, user := range users {
			if out, err := run(user, "tocsin-pw"); err != nil || out != user+"\n" {
				t.Errorf("%v %s: %v\n%s", m, user, err, out)
			}
			if out, err := run(user, "wrong"); err == nil || !strings.Contains(out, `password authentication failed for user "`+user+`"`) {
				t.Errorf("%v %s, wrong password: %v\n%s", m, user, err, out)
			}
			if out, err := run(user, ""); err == nil || !strings.Contains(out, "no password supplied") {
				t.Errorf("%v %s, no password: %v\n%s", m, user, err, out)
			}
		}
		if logs := ts.logs.String(); strings.Contains(logs, "level=WARN") {
			t.Errorf("%v: warnings logged:\n%s", m, logs)
		}
	}
}

// TestStoredVerifier: a SQL password literal that already is a verifier
// is stored as is, anything else (a malformed verifier included) becomes
// a SCRAM-SHA-256 verifier of it, as PostgreSQL's get_password_type.
func TestStoredVerifier(t *testing.T) {
	scram, err := SCRAMVerifier("secret")
	if err != nil {
		t.Fatal(err)
	}
	md5 := MD5Verifier("alice", "secret")
	for _, kept := range []string{scram, md5} {
		if got, err := StoredVerifier(kept); err != nil || got != kept {
			t.Fatalf("StoredVerifier(%q) = %q, %v; want it kept", kept, got, err)
		}
	}
	for _, pw := range []string{"secret", "SCRAM-SHA-256$x", "md5" + strings.Repeat("G", 32)} {
		got, err := StoredVerifier(pw)
		if err != nil {
			t.Fatal(err)
		}
		s, err := parseSCRAMVerifier(got)
		if err != nil || got == pw || !s.verifyPassword(pw) {
			t.Fatalf("StoredVerifier(%q) = %q (%v): want a SCRAM verifier of it", pw, got, err)
		}
	}
}

package pgwire

import (
	"bytes"
	"context"
	"crypto/pbkdf2"
	"crypto/sha256"
	"encoding/base64"
	"io"
	"log/slog"
	"net"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgproto3"
)

// byUserAuth picks the Authenticator by user name, trusting users it
// does not list. FuzzStartup uses it so that one input exercises
// whichever exchange its startup packet asks for.
type byUserAuth map[string]Authenticator

func (a byUserAuth) Authenticate(ctx context.Context, req AuthRequest, ex AuthExchange) error {
	if auth, ok := a[req.User]; ok {
		return auth.Authenticate(ctx, req, ex)
	}
	return nil
}

// zeroReader is a deterministic stand-in for crypto/rand: salts and
// nonces are all zero, so fuzz seeds can hold complete, valid exchanges.
type zeroReader struct{}

func (zeroReader) Read(p []byte) (int, error) {
	clear(p)
	return len(p), nil
}

// fuzzPassword is every fuzz user's password.
const fuzzPassword = "pw"

// fuzzAuth returns deterministic password authenticators: users "scram"
// (plaintext credential), "alice" (PostgreSQL's SCRAM verifier, password
// tocsin-pw) and "nobody" (unknown) get SCRAM-SHA-256, "md5" gets MD5,
// "password" gets cleartext; everyone else is trusted.
func fuzzAuth(t testing.TB) byUserAuth {
	users := StaticUsers{
		"scram":    {Password: fuzzPassword},
		"md5":      {Password: fuzzPassword},
		"password": {Password: fuzzPassword},
		"alice":    {Verifier: pgSCRAMVerifier},
	}
	mk := func(m AuthMethod) *PasswordAuth {
		a, err := NewPasswordAuth(m, users)
		if err != nil {
			t.Fatal(err)
		}
		a.key, a.random = [32]byte{}, zeroReader{}
		return a
	}
	scram := mk(AuthSCRAMSHA256)
	return byUserAuth{"scram": scram, "alice": scram, "nobody": scram, "md5": mk(AuthMD5), "password": mk(AuthPassword)}
}

// scramClientFinal computes the client-final-message a correct client
// sends for password, given the client-first-message-bare, the gs2
// header and the server-first-message.
func scramClientFinal(t testing.TB, password, gs2, clientFirstBare, serverFirst string, salt []byte) string {
	salted, err := pbkdf2.Key(sha256.New, password, salt, SCRAMIterations, scramKeyLen)
	if err != nil {
		t.Fatal(err)
	}
	clientKey := hmacSHA256(salted, "Client Key")
	storedKey := sha256.Sum256(clientKey)
	nonce := serverFirst[len("r="):]
	nonce = nonce[:len(nonce)-len(",s=")-len(base64.StdEncoding.EncodeToString(salt))-len(",i=4096")]
	withoutProof := "c=" + base64.StdEncoding.EncodeToString([]byte(gs2)) + ",r=" + nonce
	sig := hmacSHA256(storedKey[:], clientFirstBare+","+serverFirst+","+withoutProof)
	for i := range clientKey {
		clientKey[i] ^= sig[i]
	}
	return withoutProof + ",p=" + base64.StdEncoding.EncodeToString(clientKey)
}

// saslSeeds returns FuzzStartup seeds that go through the password
// exchanges of fuzzAuth: complete successful ones, wrong proofs and
// passwords, and malformed or out-of-place messages.
func saslSeeds(t testing.TB) [][]byte {
	auth := fuzzAuth(t)
	scram := auth["scram"].(*PasswordAuth)
	salt := scram.derivedSalt("scram")
	const cnonce = "fyko+d2lbbFgONRv9qkxdawL"
	bare := "n=,r=" + cnonce
	serverNonce := base64.StdEncoding.EncodeToString(make([]byte, scramNonceLen))
	serverFirst := "r=" + cnonce + serverNonce + ",s=" + base64.StdEncoding.EncodeToString(salt) + ",i=" + strconv.Itoa(SCRAMIterations)
	good := scramClientFinal(t, fuzzPassword, "n,,", bare, serverFirst, salt)
	bad := scramClientFinal(t, "wrong", "n,,", bare, serverFirst, salt)
	withTLSFlag := scramClientFinal(t, fuzzPassword, "y,,", bare, serverFirst, salt)

	start := func(user string) pgproto3.FrontendMessage {
		return startupMessage(map[string]string{"user": user, "database": "db"})
	}
	initial := func(data string) pgproto3.FrontendMessage {
		return &pgproto3.SASLInitialResponse{AuthMechanism: scramMechanism, Data: []byte(data)}
	}
	final := func(data string) pgproto3.FrontendMessage { return &pgproto3.SASLResponse{Data: []byte(data)} }
	query := &pgproto3.Query{String: "select 1"}
	seeds := [][]pgproto3.FrontendMessage{
		{start("scram"), initial("n,," + bare), final(good), query, &pgproto3.Terminate{}},
		{start("scram"), initial("y,," + bare), final(withTLSFlag), query},
		{start("scram"), initial("n,," + bare), final(bad), query},
		{start("nobody"), initial("n,," + bare), final(good)},
		{start("alice"), initial("n,," + bare), final(good)},
		{start("scram"), initial("p=tls-server-end-point,," + bare)},
		{start("scram"), initial("n,a=x," + bare)},
		{start("scram"), initial("n,,m=x," + bare)},
		{start("scram"), initial("n,,n=,r=")},
		{start("scram"), initial("")},
		{start("scram"), &pgproto3.SASLInitialResponse{AuthMechanism: "SCRAM-SHA-256-PLUS", Data: []byte("n,," + bare)}},
		{start("scram"), initial("n,," + bare), final("c=biws,r=" + cnonce + serverNonce)},
		{start("scram"), initial("n,," + bare), final("c=eSws,r=" + cnonce + ",p=AAAA")},
		{start("scram"), initial("n,," + bare), query},
		{start("scram"), query},
		{start("md5"), &pgproto3.PasswordMessage{Password: md5Response(MD5Verifier("md5", fuzzPassword), [4]byte{})}, query},
		{start("md5"), &pgproto3.PasswordMessage{Password: "md5" + "00000000000000000000000000000000"}},
		{start("password"), &pgproto3.PasswordMessage{Password: fuzzPassword}, query},
		{start("password"), &pgproto3.PasswordMessage{Password: ""}},
		{start("password"), &pgproto3.Sync{}},
	}
	out := make([][]byte, 0, len(seeds)+2)
	for _, msgs := range seeds {
		out = append(out, encode(t, msgs...))
	}
	// SASLInitialResponse without its length word, and one whose 'p'
	// message is cut short.
	out = append(out, append(encode(t, start("scram")), 'p', 0, 0, 0, 18, 'S', 'C', 'R', 'A', 'M', '-', 'S', 'H', 'A', '-', '2', '5', '6', 0))
	out = append(out, append(encode(t, start("scram")), 'p', 0, 0, 1, 0, 'x'))
	return out
}

// runInput serves one connection over net.Pipe, writes input to it
// and returns everything the server wrote until it closed the
// connection (so input must end in Terminate or make the server hang
// up).
func runInput(t *testing.T, srv *Server, input []byte) string {
	t.Helper()
	client, server := net.Pipe()
	defer client.Close()
	c := srv.newConn(server)
	done := make(chan struct{})
	go func() {
		srv.serveConn(context.Background(), c)
		close(done)
	}()
	var out bytes.Buffer
	drained := make(chan struct{})
	go func() {
		_, _ = io.Copy(&out, client)
		close(drained)
	}()
	_, _ = client.Write(input)
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("the server did not close the connection")
	}
	<-drained
	return out.String()
}

// TestAuthFuzzSeeds checks that the complete exchanges among the seeds
// really log in and the wrong ones fail for the right reason, so the
// fuzzer starts from both paths.
func TestAuthFuzzSeeds(t *testing.T) {
	srv := NewServer(Config{Executor: echoExecutor{}, Logger: slog.New(slog.DiscardHandler), Authenticator: fuzzAuth(t)})
	seeds := saslSeeds(t)
	for _, i := range []int{0, 1, 15, 17} {
		out := runInput(t, srv, append(seeds[i], encode(t, &pgproto3.Terminate{})...))
		if !containsAll(out, "select 1", "SELECT 1") || strings.Contains(out, "28P01") {
			t.Errorf("seed %d did not log in: %q", i, out)
		}
	}
	for _, i := range []int{2, 3, 4, 16, 18} {
		if out := runInput(t, srv, seeds[i]); !containsAll(out, "28P01", "password authentication failed") {
			t.Errorf("seed %d: %q", i, out)
		}
	}
}

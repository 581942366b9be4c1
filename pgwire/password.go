package pgwire

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"strings"
	"sync"

	"github.com/jackc/pgx/v5/pgproto3"

	"github.com/tocsin-db/tocsin/sql/sqlerr"
)

// AuthMethod is a client authentication method, named as in pg_hba.conf.
type AuthMethod int

// The authentication methods.
const (
	// AuthTrust lets every client in without a password.
	AuthTrust AuthMethod = iota
	// AuthPassword asks for the password in clear text
	// (AuthenticationCleartextPassword); use it only over TLS.
	AuthPassword
	// AuthMD5 runs PostgreSQL's MD5 challenge, or SCRAM-SHA-256 for users
	// whose credential is a SCRAM verifier (as PostgreSQL's md5 method
	// does).
	AuthMD5
	// AuthSCRAMSHA256 runs SCRAM-SHA-256 (RFC 7677) over SASL, without
	// channel binding.
	AuthSCRAMSHA256
)

var authMethodNames = [...]string{
	AuthTrust:       "trust",
	AuthPassword:    "password",
	AuthMD5:         "md5",
	AuthSCRAMSHA256: "scram-sha-256",
}

// String returns the method's pg_hba.conf name.
func (m AuthMethod) String() string {
	if m < 0 || int(m) >= len(authMethodNames) {
		return fmt.Sprintf("AuthMethod(%d)", int(m))
	}
	return authMethodNames[m]
}

// ParseAuthMethod parses a pg_hba.conf method name: trust, password, md5
// or scram-sha-256 (case-insensitive).
func ParseAuthMethod(s string) (AuthMethod, error) {
	for m, name := range authMethodNames {
		if strings.EqualFold(s, name) {
			return AuthMethod(m), nil
		}
	}
	return 0, fmt.Errorf("unknown authentication method %q (want trust, password, md5 or scram-sha-256)", s)
}

// Credential is what the server knows about one user's password: the
// password itself, or a PostgreSQL verifier of it.
type Credential struct {
	// Password is the plaintext password; empty when only a verifier is
	// known.
	Password string
	// Verifier is used when Password is empty: an MD5 verifier
	// ("md5<32 hex digits>", see MD5Verifier) or a SCRAM-SHA-256 verifier
	// ("SCRAM-SHA-256$<iter>:<salt>$<StoredKey>:<ServerKey>", see
	// SCRAMVerifier), as pg_authid.rolpassword holds them.
	Verifier string
}

// ParseCredential classifies a stored secret as PostgreSQL does with
// rolpassword: a string in MD5 or SCRAM-SHA-256 verifier form is a
// verifier, anything else a plaintext password.
func ParseCredential(secret string) Credential {
	if isMD5Verifier(secret) {
		return Credential{Verifier: secret}
	}
	if _, err := parseSCRAMVerifier(secret); err == nil {
		return Credential{Verifier: secret}
	}
	return Credential{Password: secret}
}

// scramSecret returns c's SCRAM verifier, if it has one.
func (c Credential) scramSecret() (scramSecret, bool) {
	if c.Password != "" || c.Verifier == "" {
		return scramSecret{}, false
	}
	s, err := parseSCRAMVerifier(c.Verifier)
	return s, err == nil
}

// Users is the credential store the password methods consult. Lookup is
// called once per connection attempt, from that connection's goroutine
// and concurrently with other connections, so a store that changes at
// run time (CREATE USER) takes effect for the next login.
type Users interface {
	// Lookup returns user's credential, or false if there is no such user.
	Lookup(user string) (Credential, bool)
}

// StaticUsers is a fixed Users store.
type StaticUsers map[string]Credential

var _ Users = StaticUsers(nil)

// Lookup implements Users.
func (u StaticUsers) Lookup(user string) (Credential, bool) {
	c, ok := u[user]
	return c, ok
}

// NewAuthenticator returns the Authenticator for method: TrustAuth for
// AuthTrust, otherwise a PasswordAuth over users (required).
func NewAuthenticator(method AuthMethod, users Users) (Authenticator, error) {
	if method == AuthTrust {
		return TrustAuth{}, nil
	}
	return NewPasswordAuth(method, users)
}

// PasswordAuth authenticates clients by password with one method
// (AuthPassword, AuthMD5 or AuthSCRAMSHA256) against a Users store.
//
// Failures never reveal whether the user exists: an unknown user, a user
// without a usable credential and a wrong password all get FATAL 28P01
// "password authentication failed for user ...", after the same exchange
// (for SCRAM, with a salt derived from the user name, as PostgreSQL's
// mock authentication does). It is safe for concurrent use.
type PasswordAuth struct {
	method AuthMethod
	users  Users
	// key keys the derived salts of users without a SCRAM verifier.
	key [32]byte
	// random supplies salts and nonces; tests replace it.
	random io.Reader

	mu sync.Mutex
	// derived caches the SCRAM secrets derived from plaintext passwords,
	// by user, so that PBKDF2 runs once per user and password rather
	// than once per login.
	derived map[string]derivedSecret
}

// derivedSecret is a SCRAM secret derived from password.
type derivedSecret struct {
	password string
	secret   scramSecret
}

var _ Authenticator = (*PasswordAuth)(nil)

// NewPasswordAuth returns a PasswordAuth for method over users.
func NewPasswordAuth(method AuthMethod, users Users) (*PasswordAuth, error) {
	switch method {
	case AuthPassword, AuthMD5, AuthSCRAMSHA256:
	default:
		return nil, fmt.Errorf("pgwire: %v is not a password authentication method", method)
	}
	if users == nil {
		return nil, errors.New("pgwire: password authentication needs a Users store")
	}
	a := &PasswordAuth{method: method, users: users, random: rand.Reader, derived: make(map[string]derivedSecret)}
	if _, err := io.ReadFull(a.random, a.key[:]); err != nil {
		return nil, err
	}
	return a, nil
}

// Authenticate implements Authenticator.
func (a *PasswordAuth) Authenticate(_ context.Context, req AuthRequest, ex AuthExchange) error {
	cred, ok := a.users.Lookup(req.User)
	if !ok {
		cred = Credential{}
	}
	switch a.method {
	case AuthPassword:
		return a.cleartext(req, ex, cred)
	case AuthMD5:
		if _, isSCRAM := cred.scramSecret(); !isSCRAM {
			return a.md5(req, ex, cred)
		}
	}
	return a.scram(req, ex, cred)
}

// authFailed returns the error the client sees for any failed login.
func authFailed(user string) error {
	return sqlerr.New(sqlerr.InvalidPassword, "password authentication failed for user \"%s\"", user)
}

// cleartext runs AuthenticationCleartextPassword.
func (a *PasswordAuth) cleartext(req AuthRequest, ex AuthExchange, cred Credential) error {
	pw, err := receivePassword(ex, &pgproto3.AuthenticationCleartextPassword{})
	if err != nil {
		return err
	}
	if pw == "" || !cred.checkPassword(req.User, pw) {
		return authFailed(req.User)
	}
	return nil
}

// checkPassword reports whether the cleartext password pw matches c.
func (c Credential) checkPassword(user, pw string) bool {
	switch {
	case c.Password != "":
		want, got := sha256.Sum256([]byte(c.Password)), sha256.Sum256([]byte(pw))
		return subtle.ConstantTimeCompare(want[:], got[:]) == 1
	case isMD5Verifier(c.Verifier):
		return subtle.ConstantTimeCompare([]byte(MD5Verifier(user, pw)), []byte(c.Verifier)) == 1
	}
	s, ok := c.scramSecret()
	return ok && s.verifyPassword(pw)
}

// md5 runs AuthenticationMD5Password with a random salt.
func (a *PasswordAuth) md5(req AuthRequest, ex AuthExchange, cred Credential) error {
	var salt [4]byte
	if _, err := io.ReadFull(a.random, salt[:]); err != nil {
		return err
	}
	resp, err := receivePassword(ex, &pgproto3.AuthenticationMD5Password{Salt: salt})
	if err != nil {
		return err
	}
	verifier := cred.Verifier
	if cred.Password != "" {
		verifier = MD5Verifier(req.User, cred.Password)
	}
	if !isMD5Verifier(verifier) {
		return authFailed(req.User)
	}
	if subtle.ConstantTimeCompare([]byte(resp), []byte(md5Response(verifier, salt))) != 1 {
		return authFailed(req.User)
	}
	return nil
}

// receivePassword sends req and reads the client's PasswordMessage.
func receivePassword(ex AuthExchange, req pgproto3.AuthenticationResponseMessage) (string, error) {
	if err := ex.Send(req); err != nil {
		return "", err
	}
	msg, err := receiveAuth(ex)
	if err != nil {
		return "", err
	}
	pw, ok := msg.(*pgproto3.PasswordMessage)
	if !ok {
		return "", sqlerr.New(sqlerr.ProtocolViolation, "expected password response, got %s message", messageName(msg))
	}
	return pw.Password, nil
}

// receiveAuth reads the client's next authentication message. A
// malformed message is a protocol violation; a client that hangs up
// (as psql does to prompt for a password) ends the exchange with the
// I/O error, which the server does not report.
func receiveAuth(ex AuthExchange) (pgproto3.FrontendMessage, error) {
	msg, err := ex.Receive()
	if err != nil {
		if clientGone(err) {
			return nil, err
		}
		var tooLong *pgproto3.ExceededMaxBodyLenErr
		if errors.As(err, &tooLong) {
			return nil, sqlerr.New(sqlerr.ProtocolViolation, "authentication message of %d bytes is too long", tooLong.ActualBodyLen)
		}
		return nil, sqlerr.Wrap(err, sqlerr.ProtocolViolation, "invalid authentication message")
	}
	return msg, nil
}

// clientGone reports whether err means the client went away or stopped
// talking (closed connection or an expired deadline).
func clientGone(err error) bool {
	var ne net.Error
	return errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, net.ErrClosed) ||
		errors.Is(err, os.ErrDeadlineExceeded) || errors.As(err, &ne)
}

// derivedSalt is the SCRAM salt for a user without a SCRAM verifier: a
// keyed hash of the name, so that it is stable across attempts and the
// same whether or not the user exists.
func (a *PasswordAuth) derivedSalt(user string) []byte {
	h := hmac.New(sha256.New, a.key[:])
	h.Write([]byte(user))
	return h.Sum(nil)[:scramSaltLen]
}

// plaintextSecret returns the SCRAM secret of user's plaintext password,
// salted with derivedSalt, from the cache or freshly derived.
func (a *PasswordAuth) plaintextSecret(user, password string) (scramSecret, error) {
	a.mu.Lock()
	d, ok := a.derived[user]
	a.mu.Unlock()
	if ok && d.password == password {
		return d.secret, nil
	}
	s, err := newSCRAMSecret(password, a.derivedSalt(user), SCRAMIterations)
	if err != nil {
		return scramSecret{}, err
	}
	a.mu.Lock()
	a.derived[user] = derivedSecret{password: password, secret: s}
	a.mu.Unlock()
	return s, nil
}

package pgwire

import (
	"context"
	"crypto/tls"
	"fmt"
	"net"

	"github.com/jackc/pgx/v5/pgproto3"
)

// AuthRequest describes the client an Authenticator is asked about.
type AuthRequest struct {
	// User and Database are the startup parameters (Database defaults to
	// User, as in Postgres).
	User     string
	Database string
	// RemoteAddr is the client's network address.
	RemoteAddr net.Addr
	// TLS is the state of the connection's TLS session, or nil when the
	// client did not negotiate TLS.
	TLS *tls.ConnectionState
}

// Authenticator decides whether a client may connect. The server calls
// Authenticate once per connection, after the startup packet and before
// AuthenticationOk, from the connection's goroutine.
//
// Authenticate runs whatever exchange its method needs (cleartext
// password, MD5, SCRAM-SHA-256, ...) through ex and returns nil to let
// the client in; the server then sends AuthenticationOk itself. A
// returned *sqlerr.Error (typically 28P01 or 28000) is sent to the client
// as a FATAL ErrorResponse; any other error closes the connection with a
// generic 28000 error and is logged. ctx ends with the server or the
// startup timeout.
type Authenticator interface {
	Authenticate(ctx context.Context, req AuthRequest, ex AuthExchange) error
}

// AuthExchange is the channel an Authenticator talks to the client
// through during startup.
type AuthExchange interface {
	// Send sends an authentication request (AuthenticationCleartextPassword,
	// AuthenticationMD5Password, AuthenticationSASL, ...) and flushes it.
	// It must not be used to send AuthenticationOk.
	Send(msg pgproto3.AuthenticationResponseMessage) error
	// Receive reads the client's response to the last request, decoded
	// according to that request's type (PasswordMessage,
	// SASLInitialResponse, SASLResponse, GSSResponse).
	Receive() (pgproto3.FrontendMessage, error)
}

// TrustAuth lets every client in without a password, like Postgres's
// trust method.
type TrustAuth struct{}

var _ Authenticator = TrustAuth{}

// Authenticate implements Authenticator.
func (TrustAuth) Authenticate(context.Context, AuthRequest, AuthExchange) error { return nil }

// authExchange implements AuthExchange on a connection in startup.
type authExchange struct{ c *conn }

var _ AuthExchange = authExchange{}

// Send implements AuthExchange.
func (a authExchange) Send(msg pgproto3.AuthenticationResponseMessage) error {
	var typ uint32
	switch msg.(type) {
	case *pgproto3.AuthenticationCleartextPassword:
		typ = pgproto3.AuthTypeCleartextPassword
	case *pgproto3.AuthenticationMD5Password:
		typ = pgproto3.AuthTypeMD5Password
	case *pgproto3.AuthenticationSASL:
		typ = pgproto3.AuthTypeSASL
	case *pgproto3.AuthenticationSASLContinue:
		typ = pgproto3.AuthTypeSASLContinue
	case *pgproto3.AuthenticationSASLFinal:
		typ = pgproto3.AuthTypeSASLFinal
	case *pgproto3.AuthenticationGSS:
		typ = pgproto3.AuthTypeGSS
	case *pgproto3.AuthenticationGSSContinue:
		typ = pgproto3.AuthTypeGSSCont
	default:
		return fmt.Errorf("pgwire: %T is not an authentication request", msg)
	}
	if err := a.c.be.SetAuthType(typ); err != nil {
		return err
	}
	if err := a.c.send(msg); err != nil {
		return err
	}
	return a.c.flush()
}

// Receive implements AuthExchange.
func (a authExchange) Receive() (pgproto3.FrontendMessage, error) {
	return a.c.be.Receive()
}

package pgwire

import (
	"context"
	"crypto/tls"
	"net"

	"github.com/tocsin-db/tocsin/sql/sqlerr"
)

// negotiateTLS answers an SSLRequest. Without Config.TLS it declines
// with 'N' and the client continues in plain text (or gives up if it
// requires TLS). With it, it answers 'S', runs the TLS handshake (under
// the startup deadline already set on the socket) and replaces c.nc with
// the TLS connection, from which startup reads the next packet.
// readStartupPacket has not buffered anything past the SSLRequest, so no
// plaintext sent before the handshake can leak into the TLS session
// (CVE-2021-23214). It reports whether the connection can go on.
func (c *conn) negotiateTLS(ctx context.Context) bool {
	cfg := c.srv.cfg.TLS
	if cfg == nil {
		return c.writeRaw('N')
	}
	if !c.writeRaw('S') {
		return false
	}
	tc := tls.Server(c.nc, cfg)
	if err := tc.HandshakeContext(ctx); err != nil {
		c.log.Debug("pgwire: TLS handshake failed", "err", err)
		return false
	}
	c.nc = tc
	return true
}

// tlsState returns the connection's TLS state, or nil in plain text.
func (c *conn) tlsState() *tls.ConnectionState {
	tc, ok := c.nc.(*tls.Conn)
	if !ok {
		return nil
	}
	st := tc.ConnectionState()
	return &st
}

// checkEncryption enforces Config.RequireTLS on a startup packet: a
// client that did not negotiate TLS is refused with 28000, as pg_hba.conf
// refuses it when only hostssl lines match.
func (c *conn) checkEncryption(params map[string]string) error {
	if !c.srv.cfg.RequireTLS {
		return nil
	}
	if _, ok := c.nc.(*tls.Conn); ok {
		return nil
	}
	host := c.nc.RemoteAddr().String()
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	return sqlerr.New(sqlerr.InvalidAuthorization,
		"connection without encryption refused for host \"%s\", user \"%s\", database \"%s\"",
		host, params["user"], params["database"]).
		WithHint("This server accepts only TLS connections: connect with sslmode=require, verify-ca or verify-full.")
}

package pgwire

import (
	"context"
	"encoding/binary"
	"errors"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgproto3"

	"github.com/tocsin-db/tocsin/sql/sqlerr"
)

// Request codes of the packets that may open a connection, in place of
// a protocol version (see the protocol's "Message Formats").
const (
	cancelRequestCode = 80877102
	sslRequestCode    = 80877103
	gssEncRequestCode = 80877104
	// maxStartupPacket is MAX_STARTUP_PACKET_LENGTH from Postgres.
	maxStartupPacket = 10000
)

var errStartupLength = errors.New("invalid length of startup packet")

// readStartupPacket reads one length-prefixed startup-phase packet and
// returns its body (without the length word). It reads exactly the
// packet's bytes and no more, so nothing the client sends afterwards is
// buffered: that keeps a later TLS handshake from inheriting plaintext
// bytes (CVE-2021-23214) and lets the pgproto3 Backend be created after
// startup on a clean stream. pgproto3's ReceiveStartupMessage is not
// used because it hides the version of packets it cannot decode, which
// the server needs in order to negotiate or reject them.
func readStartupPacket(r io.Reader) ([]byte, error) {
	var hdr [4]byte
	if _, err := io.ReadFull(r, hdr[:]); err != nil {
		return nil, err
	}
	n := int(int32(binary.BigEndian.Uint32(hdr[:]))) - 4
	if n < 4 || n > maxStartupPacket {
		return nil, errStartupLength
	}
	body := make([]byte, n)
	if _, err := io.ReadFull(r, body); err != nil {
		if errors.Is(err, io.EOF) {
			err = io.ErrUnexpectedEOF
		}
		return nil, err
	}
	return body, nil
}

// startup runs the startup phase: encryption negotiation, cancel
// requests, the startup packet, authentication and the session's
// opening messages. It reports whether a session is ready for the
// message loop.
func (c *conn) startup(ctx context.Context) bool {
	_ = c.nc.SetDeadline(time.Now().Add(c.srv.cfg.StartupTimeout))
	var sslDone, gssDone bool
	for {
		body, err := readStartupPacket(c.nc)
		if err != nil {
			if errors.Is(err, errStartupLength) {
				c.fatal(sqlerr.New(sqlerr.ProtocolViolation, "%v", err))
			} else {
				c.log.Debug("pgwire: connection ended during startup", "err", err)
			}
			return false
		}
		code := binary.BigEndian.Uint32(body)
		switch {
		case code == sslRequestCode && !sslDone:
			sslDone = true
			if !c.negotiateTLS(ctx) {
				return false
			}
		case code == gssEncRequestCode && !gssDone:
			// GSSAPI encryption is not offered; the client goes on in
			// plain text or gives up, as it would with Postgres.
			gssDone = true
			if !c.writeRaw('N') {
				return false
			}
		case code == cancelRequestCode:
			var req pgproto3.CancelRequest
			if err := req.Decode(body); err != nil {
				c.log.Debug("pgwire: malformed cancel request", "err", err)
				return false
			}
			c.srv.cancel(req.ProcessID, req.SecretKey)
			return false
		case code>>16 == 3:
			if !c.openSession(ctx, body) {
				return false
			}
			_ = c.nc.SetDeadline(time.Time{})
			return true
		case code == sslRequestCode || code == gssEncRequestCode:
			c.fatal(sqlerr.New(sqlerr.ProtocolViolation, "duplicate encryption request"))
			return false
		default:
			c.fatal(sqlerr.New(sqlerr.FeatureNotSupported,
				"unsupported frontend protocol %d.%d: server supports 3.0", code>>16, code&0xffff))
			return false
		}
	}
}

// writeRaw writes a single-byte answer to an encryption request.
func (c *conn) writeRaw(b byte) bool {
	if _, err := c.nc.Write([]byte{b}); err != nil {
		c.log.Debug("pgwire: write failed during startup", "err", err)
		return false
	}
	return true
}

// openSession handles a protocol 3.x startup packet: it negotiates the
// minor version, checks the parameters, authenticates the client,
// starts the session and sends ParameterStatus, BackendKeyData and the
// first ReadyForQuery. ctx is the connection's context, which the
// session keeps; authentication gets one bounded by StartupTimeout.
func (c *conn) openSession(ctx context.Context, body []byte) bool {
	minor := binary.BigEndian.Uint32(body) & 0xffff
	// pgproto3 decodes only the versions it knows; the parameters are
	// laid out identically in every 3.x version.
	binary.BigEndian.PutUint32(body, pgproto3.ProtocolVersion30)
	var sm pgproto3.StartupMessage
	if err := sm.Decode(body); err != nil {
		c.fatal(sqlerr.New(sqlerr.ProtocolViolation, "invalid startup packet layout: %v", err))
		return false
	}
	params := sm.Parameters

	c.be = pgproto3.NewBackend(c.nc, c.nc)
	c.be.SetMaxBodyLen(c.srv.cfg.MaxMessageSize)

	// Protocol 3.x with x > 0, or _pq_ protocol options, are answered
	// with NegotiateProtocolVersion: the session continues in 3.0 and
	// the options are declined.
	var unknownOpts []string
	for k := range params {
		if strings.HasPrefix(k, "_pq_.") {
			unknownOpts = append(unknownOpts, k)
			delete(params, k)
		}
	}
	if minor > 0 || len(unknownOpts) > 0 {
		slices.Sort(unknownOpts)
		_ = c.send(&pgproto3.NegotiateProtocolVersion{NewestMinorProtocol: 0, UnrecognizedOptions: unknownOpts})
	}

	if err := checkStartupParams(params); err != nil {
		c.fatal(err)
		return false
	}
	if err := c.checkEncryption(params); err != nil {
		c.fatal(err)
		return false
	}
	if !c.srv.register(c) {
		c.fatal(sqlerr.New(sqlerr.TooManyConnections, "sorry, too many clients already"))
		return false
	}

	req := AuthRequest{User: params["user"], Database: params["database"], RemoteAddr: c.nc.RemoteAddr(), TLS: c.tlsState()}
	actx, cancel := context.WithTimeout(ctx, c.srv.cfg.StartupTimeout)
	err := c.srv.cfg.Authenticator.Authenticate(actx, req, authExchange{c})
	cancel()
	if err != nil {
		var se *sqlerr.Error
		switch {
		case errors.As(err, &se):
			c.log.Info("pgwire: authentication failed", "user", req.User, "err", err)
		case clientGone(err):
			// psql hangs up when asked for a password it does not have,
			// prompts for one and connects again.
			c.log.Debug("pgwire: client left during authentication", "user", req.User, "err", err)
			return false
		default:
			c.log.Warn("pgwire: authentication failed", "user", req.User, "err", err)
			err = sqlerr.New(sqlerr.InvalidAuthorization, "authentication failed for user %q", req.User)
		}
		c.fatal(err)
		return false
	}
	_ = c.send(&pgproto3.AuthenticationOk{})

	sess, err := c.srv.cfg.Executor.Connect(ctx, params)
	if err != nil {
		c.fatal(err)
		return false
	}
	c.session = sess

	for _, p := range c.srv.statusParams(params) {
		_ = c.send(&pgproto3.ParameterStatus{Name: p[0], Value: cstring(p[1])})
	}
	_ = c.send(&pgproto3.BackendKeyData{ProcessID: c.pid, SecretKey: c.secret[:]})
	c.ready()
	return c.writeErr == nil
}

// checkStartupParams validates the startup parameters and fills in the
// database default, as Postgres does.
func checkStartupParams(params map[string]string) error {
	user := params["user"]
	if user == "" {
		return sqlerr.New(sqlerr.InvalidAuthorization, "no PostgreSQL user name specified in startup packet")
	}
	if params["database"] == "" {
		params["database"] = user
	}
	switch strings.ToLower(params["replication"]) {
	case "", "false", "off", "no", "0":
	default:
		return sqlerr.New(sqlerr.FeatureNotSupported, "replication connections are not supported")
	}
	if enc, ok := params["client_encoding"]; ok && !isUTF8(enc) {
		return sqlerr.New(sqlerr.InvalidParameterValue, "invalid value for parameter \"client_encoding\": %q", enc).
			WithDetail("Tocsin supports only the UTF8 encoding.")
	}
	return nil
}

// isUTF8 reports whether a client_encoding value names UTF-8 (or asks
// for the default, as libpq's "auto" does when it cannot tell).
func isUTF8(enc string) bool {
	switch strings.ToLower(strings.NewReplacer("-", "", "_", "", "'", "").Replace(strings.TrimSpace(enc))) {
	case "utf8", "unicode", "auto", "":
		return true
	}
	return false
}

// statusParams returns the ParameterStatus messages sent after
// authentication, the set and order PostgreSQL 15 sends. Clients read
// server_version, integer_datetimes, standard_conforming_strings,
// client_encoding and DateStyle to decide how to talk to the server.
func (s *Server) statusParams(params map[string]string) [][2]string {
	return [][2]string{
		{"application_name", params["application_name"]},
		{"client_encoding", "UTF8"},
		{"DateStyle", "ISO, MDY"},
		{"default_transaction_read_only", "off"},
		{"in_hot_standby", "off"},
		{"integer_datetimes", "on"},
		{"IntervalStyle", "postgres"},
		{"is_superuser", "on"},
		{"server_encoding", "UTF8"},
		{"server_version", s.cfg.ServerVersion},
		{"session_authorization", params["user"]},
		{"standard_conforming_strings", "on"},
		{"TimeZone", "Etc/UTC"},
	}
}

// cstring makes s safe for a NUL-terminated protocol field by dropping
// NUL bytes, which would otherwise cut the field short and corrupt the
// message framing.
func cstring(s string) string {
	if strings.IndexByte(s, 0) < 0 {
		return s
	}
	return strings.ReplaceAll(s, "\x00", "")
}

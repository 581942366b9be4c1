package pgwire

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"runtime/debug"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5/pgproto3"

	"github.com/tocsin-db/tocsin/sql/sqlerr"
)

// Output buffering.
const (
	// flushThreshold is the buffered output size at which the
	// connection writes to the socket even before ReadyForQuery, so
	// that large results stream instead of piling up in memory.
	flushThreshold = 64 << 10
	// keepOutput is the largest output buffer kept between flushes; a
	// bigger one (after a huge DataRow) is dropped.
	keepOutput = 1 << 20
	// fatalWriteTimeout bounds the last write before closing a
	// connection.
	fatalWriteTimeout = 5 * time.Second
)

// conn is one client connection. Apart from the fields under mu, it is
// owned by the connection's goroutine (serve).
type conn struct {
	srv *Server
	// raw is the accepted socket. It never changes, so Serve's shutdown
	// may close it from another goroutine.
	raw net.Conn
	// nc is raw, or the TLS connection over it once negotiated.
	nc  net.Conn
	log *slog.Logger
	// be decodes client messages once the startup packet has been read.
	be *pgproto3.Backend
	// out holds encoded messages not yet written; writeErr is the first
	// write error, after which nothing more is written.
	out      []byte
	writeErr error

	pid     uint32
	secret  [4]byte
	session Session
	rw      resultWriter
	// ignoreTillSync is set after an error in an extended-protocol
	// message: everything but Sync and Terminate is skipped.
	ignoreTillSync bool
	// ext holds the extended protocol's statements and portals.
	ext extState
	// closing is set when the connection must end after the current
	// message (a FATAL error was sent).
	closing bool
	// idle is set by ReadyForQuery outside a transaction block and
	// cleared by the next message: the session is waiting for a query,
	// and Config.IdleTimeout applies (idle.go).
	idle bool
	// notify delivers asynchronous notifications (notify.go); nil when
	// the session does not implement Notifier.
	notify *notifier

	mu sync.Mutex
	// cancelQuery cancels the running query's context; nil when idle.
	cancelQuery context.CancelFunc
	// canceled records that a CancelRequest canceled the running query.
	canceled bool
}

// serve runs the connection: startup, then the message loop, until the
// client leaves, an error ends the connection or ctx is done. It always
// closes the connection and the session.
func (c *conn) serve(ctx context.Context) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	defer func() { _ = c.nc.Close() }()
	defer c.closeSession()
	defer c.recoverPanic()
	c.srv.stats.connOpened()
	defer c.srv.stats.connClosed()

	if !c.startup(ctx) {
		return
	}
	c.log = c.log.With("pid", c.pid)
	c.log.Debug("pgwire: session started")
	c.notify = c.startNotifier(ctx)
	defer c.notify.stop()
	c.loop(ctx)
}

// recoverPanic turns a panic on the connection's goroutine into a FATAL
// XX000 error and a logged stack; the connection is then closed.
func (c *conn) recoverPanic() {
	r := recover()
	if r == nil {
		return
	}
	c.log.Error("pgwire: panic while serving connection; closing it",
		"panic", fmt.Sprint(r), "stack", string(debug.Stack()))
	// The buffer may end in a half-encoded message.
	c.out = c.out[:0]
	c.fatal(sqlerr.New(sqlerr.Internal, "internal error"))
}

func (c *conn) closeSession() {
	if c.session == nil {
		return
	}
	defer func() {
		if r := recover(); r != nil {
			c.log.Error("pgwire: panic closing session", "panic", fmt.Sprint(r), "stack", string(debug.Stack()))
		}
	}()
	if err := c.session.Close(); err != nil {
		c.log.Warn("pgwire: closing session", "err", err)
	}
}

// loop reads and dispatches messages until the connection ends. It is
// the protocol's state machine: idle between messages, a simple query
// runs to ReadyForQuery within one Query message, and after an error in
// an extended-protocol message everything up to the next Sync is
// skipped.
func (c *conn) loop(ctx context.Context) {
	for !c.closing && c.writeErr == nil {
		_ = c.notify.setIdle(c.idle)
		msg, err := c.receive()
		if nerr := c.notify.setIdle(false); nerr != nil && c.writeErr == nil {
			c.writeErr = nerr
			c.log.Debug("pgwire: write failed", "err", nerr)
			return
		}
		c.idle = false
		if err != nil {
			c.receiveFailed(err)
			return
		}
		if c.ignoreTillSync {
			switch msg.(type) {
			case *pgproto3.Sync, *pgproto3.Terminate:
			default:
				continue
			}
		}
		switch m := msg.(type) {
		case *pgproto3.Query:
			c.srv.stats.query()
			c.simpleQuery(ctx, m.String)
		case *pgproto3.Parse, *pgproto3.Bind, *pgproto3.Describe, *pgproto3.Execute, *pgproto3.Close:
			if _, ok := m.(*pgproto3.Execute); ok {
				c.srv.stats.query()
			}
			c.extended(ctx, m)
		case *pgproto3.Sync:
			c.sync()
		case *pgproto3.Flush:
			_ = c.flush()
		case *pgproto3.Terminate:
			c.log.Debug("pgwire: client terminated the session")
			return
		case *pgproto3.CopyData, *pgproto3.CopyDone, *pgproto3.CopyFail:
			// Outside COPY these are ignored, per the protocol: they are
			// the tail of a COPY that already failed.
		case *pgproto3.FunctionCall:
			c.sendError(sqlerr.New(sqlerr.FeatureNotSupported, "the function call protocol is not supported"))
			c.ready()
		default:
			c.fatal(sqlerr.New(sqlerr.ProtocolViolation, "unexpected %s message", messageName(msg)))
		}
	}
}

// receiveFailed ends the connection after Receive failed: silently if
// the client went away, with a FATAL protocol violation if it sent
// something malformed.
func (c *conn) receiveFailed(err error) {
	var ne net.Error
	var tooLong *pgproto3.ExceededMaxBodyLenErr
	switch {
	case errors.Is(err, errIdleSessionTimeout):
		c.fatalIdleTimeout()
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, net.ErrClosed),
		errors.Is(err, os.ErrDeadlineExceeded), errors.As(err, &ne):
		c.log.Debug("pgwire: connection ended", "err", err)
	case errors.As(err, &tooLong):
		c.fatal(sqlerr.New(sqlerr.ProtocolViolation, "message of %d bytes exceeds the limit of %d bytes",
			tooLong.ActualBodyLen, tooLong.MaxExpectedBodyLen))
	default:
		c.fatal(sqlerr.Wrap(err, sqlerr.ProtocolViolation, "invalid frontend message"))
	}
}

// messageName returns the protocol name of a message, e.g. "PasswordMessage".
func messageName(msg pgproto3.FrontendMessage) string {
	name := fmt.Sprintf("%T", msg)
	return name[strings.LastIndexByte(name, '.')+1:]
}

// send encodes msg into the output buffer, writing the buffer out when
// it has grown past flushThreshold. After a write error it does nothing
// and returns that error.
func (c *conn) send(msg pgproto3.BackendMessage) error {
	if c.writeErr != nil {
		return c.writeErr
	}
	n := len(c.out)
	out, err := msg.Encode(c.out)
	if err != nil {
		c.out = c.out[:n]
		return fmt.Errorf("pgwire: encoding %s: %w", fmt.Sprintf("%T", msg), err)
	}
	c.out = out
	if len(c.out) >= flushThreshold {
		return c.flush()
	}
	return nil
}

// flush writes the buffered output to the client.
func (c *conn) flush() error {
	if c.writeErr != nil {
		return c.writeErr
	}
	if len(c.out) == 0 {
		return nil
	}
	_, err := c.nc.Write(c.out)
	if cap(c.out) > keepOutput {
		c.out = nil
	} else {
		c.out = c.out[:0]
	}
	if err != nil {
		c.writeErr = fmt.Errorf("pgwire: writing to client: %w", err)
		c.log.Debug("pgwire: write failed", "err", err)
	}
	return c.writeErr
}

// ready ends a query cycle: ReadyForQuery with the session's
// transaction status, then a flush.
func (c *conn) ready() {
	status := c.session.TxStatus()
	switch status {
	case 'I', 'T', 'E':
	default:
		c.log.Error("pgwire: session reported an invalid transaction status; sending idle", "status", status)
		status = 'I'
	}
	if status == 'I' {
		c.notify.sendHeld()
	}
	_ = c.send(&pgproto3.ReadyForQuery{TxStatus: status})
	_ = c.flush()
	c.idle = status == 'I'
}

// sendError sends err as an ErrorResponse with severity ERROR.
func (c *conn) sendError(err error) {
	resp := c.errorResponse(err, "ERROR")
	c.srv.stats.sentError(resp.Code)
	_ = c.send(resp)
}

// fatal sends err as a FATAL ErrorResponse, flushes it (bounded by
// fatalWriteTimeout) and marks the connection for closing.
func (c *conn) fatal(err error) {
	c.closing = true
	_ = c.nc.SetWriteDeadline(time.Now().Add(fatalWriteTimeout))
	resp := c.errorResponse(err, "FATAL")
	c.srv.stats.sentError(resp.Code)
	_ = c.send(resp)
	_ = c.flush()
}

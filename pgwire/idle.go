package pgwire

import (
	"errors"
	"os"
	"time"

	"github.com/jackc/pgx/v5/pgproto3"

	"github.com/tocsin-db/tocsin/sql/sqlerr"
)

// Idle-session timeout, as PostgreSQL 14's idle_session_timeout: a
// session that has sent ReadyForQuery with status 'I' and then waits
// longer than Config.IdleTimeout for the next message is closed with
// FATAL 57P05. A session inside a transaction block ('T' or 'E'), one
// running a query, and one in the middle of an extended-protocol batch
// (messages without a Sync yet) are never idle. The wait is bounded
// with a read deadline on the socket, set only for the read that
// follows ReadyForQuery and cleared as soon as a message arrives, so
// that reads made while a query runs (COPY data) are not affected.

// errIdleSessionTimeout reports that the idle timeout ended a read.
var errIdleSessionTimeout = errors.New("idle-session timeout")

// receive reads the next client message, bounded by Config.IdleTimeout
// when the session is idle.
func (c *conn) receive() (pgproto3.FrontendMessage, error) {
	timeout := c.srv.cfg.IdleTimeout
	if timeout <= 0 || !c.idle {
		return c.be.Receive()
	}
	c.idle = false
	_ = c.nc.SetReadDeadline(time.Now().Add(timeout))
	msg, err := c.be.Receive()
	if err != nil {
		if errors.Is(err, os.ErrDeadlineExceeded) {
			return nil, errIdleSessionTimeout
		}
		return nil, err
	}
	_ = c.nc.SetReadDeadline(time.Time{})
	return msg, nil
}

// fatalIdleTimeout ends an idle session with FATAL 57P05, the error
// PostgreSQL sends when idle_session_timeout expires.
func (c *conn) fatalIdleTimeout() {
	c.log.Info("pgwire: closing idle session", "timeout", c.srv.cfg.IdleTimeout)
	c.fatal(sqlerr.New(sqlerr.IdleSessionTimeout, "terminating connection due to idle-session timeout"))
}

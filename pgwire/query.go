package pgwire

import (
	"context"
	"errors"
	"math"

	"github.com/jackc/pgx/v5/pgproto3"

	"github.com/tocsin-db/tocsin/sql/sqlerr"
)

// simpleQuery runs one Query message: the session reports each
// statement's result through c.rw; an error ends the message with an
// ErrorResponse; ReadyForQuery always follows.
func (c *conn) simpleQuery(ctx context.Context, text string) {
	// A Query destroys the unnamed statement and portal.
	c.forgetUnnamed()
	canceled, err := c.runCancelable(ctx, func(qctx context.Context) error {
		return c.session.Query(qctx, text, &c.rw)
	})
	c.rw.reset()
	if err != nil {
		if err = c.statementError(ctx, err, canceled); err == nil {
			return
		}
		c.sendError(err)
	}
	c.closePortalsIfIdle()
	c.ready()
}

// runCancelable runs f with a context that a CancelRequest for this
// connection cancels, and reports whether one did.
func (c *conn) runCancelable(ctx context.Context, f func(context.Context) error) (canceled bool, err error) {
	qctx, cancel := context.WithCancel(ctx)
	c.mu.Lock()
	c.cancelQuery = cancel
	c.canceled = false
	c.mu.Unlock()

	err = f(qctx)

	c.mu.Lock()
	c.cancelQuery = nil
	canceled = c.canceled
	c.mu.Unlock()
	cancel()
	return canceled, err
}

// statementError returns the error to send for a failed statement: a
// cancel turns an error without a SQLSTATE of its own into 57014. When
// the server is shutting down it sends FATAL 57P01 instead, marks the
// connection for closing and returns nil.
func (c *conn) statementError(ctx context.Context, err error, canceled bool) error {
	switch {
	case ctx.Err() != nil:
		c.fatal(sqlerr.New(sqlerr.AdminShutdown, "terminating connection due to administrator command"))
		return nil
	case canceled && !isUserError(err, sqlerr.QueryCanceled):
		return sqlerr.New(sqlerr.QueryCanceled, "canceling statement due to user request")
	}
	return err
}

// isUserError reports whether err carries a SQLSTATE of its own other
// than code (rather than being a context error or an untyped failure).
func isUserError(err error, code sqlerr.Code) bool {
	var se *sqlerr.Error
	return errors.As(err, &se) && se.Code != code && se.Code != sqlerr.Internal
}

// cancelRunningQuery cancels the query running on c, if any. It is
// called from the goroutine serving a CancelRequest.
func (c *conn) cancelRunningQuery() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.cancelQuery != nil {
		c.canceled = true
		c.cancelQuery()
	}
}

// errorResponse builds the ErrorResponse (or the fields of a
// NoticeResponse) for err. A *sqlerr.Error anywhere in err's chain
// provides the code, message, detail, hint and position; any other
// error is a bug or an I/O failure the client cannot act on, so it is
// logged and reported as XX000 with a generic message.
func (c *conn) errorResponse(err error, severity string) *pgproto3.ErrorResponse {
	resp := &pgproto3.ErrorResponse{Severity: severity, SeverityUnlocalized: severity}
	var se *sqlerr.Error
	if !errors.As(err, &se) {
		c.log.Error("pgwire: internal error", "err", err)
		resp.Code = sqlerr.Internal.String()
		resp.Message = "internal error"
		resp.Hint = "The server log has the details."
		return resp
	}
	resp.Code = se.Code.String()
	if resp.Code == "" {
		resp.Code = sqlerr.Internal.String()
	}
	resp.Message = cstring(se.Error())
	if resp.Message == "" {
		resp.Message = "unknown error"
	}
	resp.Detail = cstring(se.Detail)
	resp.Hint = cstring(se.Hint)
	if se.Pos > 0 && se.Pos <= math.MaxInt32 {
		resp.Position = int32(se.Pos)
	}
	return resp
}

package pgwire

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5/pgproto3"

	"github.com/tocsin-db/tocsin/pgwire/pgtypes"
	"github.com/tocsin-db/tocsin/sql/sqlerr"
)

// Execute. Without a row limit (MaxRows 0, what almost every client
// sends) the statement streams through the connection's resultWriter
// exactly as a simple query does, so continuous queries deliver each
// batch as it comes. With a row limit the first Execute runs the
// statement to completion into a portalBuffer (encoded DataRow messages)
// and each Execute then sends up to MaxRows of them, followed by
// PortalSuspended while rows remain and by CommandComplete with the
// statement's own tag (the total row count) after the last. A
// continuous query executed with a row limit therefore never completes
// its first Execute; maxPortalBuffer bounds what one buffers.

// maxPortalBuffer bounds the encoded rows one portal may buffer.
const maxPortalBuffer = 256 << 20

// portalBuffer holds the result of a portal run with a row limit.
type portalBuffer struct {
	// data holds the encoded DataRow messages; ends[i] is where row i's
	// ends. next is the number of rows already sent.
	data []byte
	ends []int
	next int
	// tag is the command tag of the completed statement; empty is set
	// when the statement was empty (EmptyQueryResponse).
	tag   string
	done  bool
	empty bool
}

// addRows appends the encoded rows of enc as DataRow messages.
func (b *portalBuffer) addRows(enc *pgtypes.Encoder, row *pgproto3.DataRow) error {
	for r := range enc.Rows() {
		row.Values = enc.Row(r, row.Values)
		var err error
		if b.data, err = row.Encode(b.data); err != nil {
			return fmt.Errorf("pgwire: encoding DataRow: %w", err)
		}
		if len(b.data) > maxPortalBuffer {
			return sqlerr.New(sqlerr.ProgramLimitExceeded, "the result of a portal executed with a row limit exceeds %d MiB", maxPortalBuffer>>20).
				WithHint("Execute the portal without a row limit to stream its rows.")
		}
		b.ends = append(b.ends, len(b.data))
	}
	return nil
}

func (b *portalBuffer) complete(tag string) {
	b.tag = tag
	b.done = true
}

// execute handles Execute.
func (c *conn) execute(ctx context.Context, m *pgproto3.Execute) error {
	p, err := c.lookupPortal(m.Portal)
	if err != nil {
		return err
	}
	switch {
	case p.buf != nil:
		return c.sendBuffered(p, m.MaxRows)
	case p.ran && p.stmt.cols != nil:
		// A completed query portal has no rows left.
		return c.send(&pgproto3.CommandComplete{CommandTag: []byte("SELECT 0")})
	case p.ran:
		return sqlerr.New(sqlerr.ObjectNotInPrerequisiteState, "portal %q cannot be run", m.Portal)
	}
	p.ran = true
	c.rw.formats = p.formats
	c.rw.execute = true
	var buf *portalBuffer
	if m.MaxRows > 0 && p.stmt.cols != nil {
		buf = &portalBuffer{}
		c.rw.buf = buf
	}
	c.ext.running = p
	canceled, err := c.runCancelable(ctx, func(qctx context.Context) error {
		return p.stmt.prep.Execute(qctx, p.params, &c.rw)
	})
	c.ext.running = nil
	c.rw.reset()
	if err != nil {
		return c.statementError(ctx, err, canceled)
	}
	if buf != nil {
		p.buf = buf
		return c.sendBuffered(p, m.MaxRows)
	}
	return nil
}

// sendBuffered sends up to maxRows (0: all) of a buffered portal's
// remaining rows, then PortalSuspended, or CommandComplete when none
// remain.
func (c *conn) sendBuffered(p *portal, maxRows uint32) error {
	b := p.buf
	if b.empty {
		p.buf = nil
		return c.send(&pgproto3.EmptyQueryResponse{})
	}
	n := len(b.ends) - b.next
	if maxRows > 0 && int64(maxRows) < int64(n) {
		n = int(maxRows)
	}
	if n > 0 {
		start := 0
		if b.next > 0 {
			start = b.ends[b.next-1]
		}
		if err := c.sendEncoded(b.data[start:b.ends[b.next+n-1]]); err != nil {
			return err
		}
		b.next += n
	}
	if b.next < len(b.ends) {
		return c.send(&pgproto3.PortalSuspended{})
	}
	p.buf = nil
	return c.send(&pgproto3.CommandComplete{CommandTag: []byte(cstring(b.tag))})
}

// sendEncoded appends already encoded messages to the output buffer,
// writing it out in flushThreshold pieces.
func (c *conn) sendEncoded(msgs []byte) error {
	for len(msgs) > 0 {
		if c.writeErr != nil {
			return c.writeErr
		}
		n := min(len(msgs), max(flushThreshold-len(c.out), 0))
		c.out = append(c.out, msgs[:n]...)
		msgs = msgs[n:]
		if len(c.out) >= flushThreshold {
			if err := c.flush(); err != nil {
				return err
			}
		}
	}
	return nil
}

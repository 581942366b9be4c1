package pgwire

import (
	"io"
	"math"

	"github.com/jackc/pgx/v5/pgproto3"

	"github.com/tocsin-db/tocsin/sql/sqlerr"
)

// COPY FROM STDIN: the session asks for the data in the middle of running
// the COPY statement (the connection's goroutine is the one running the
// session, so the reader can take messages off the wire directly). In
// copy-in mode only CopyData, CopyDone and CopyFail mean anything; Flush
// and Sync are ignored, as the protocol says; anything else is a protocol
// violation. If the statement fails before CopyDone, the rest of the
// copy data is discarded by the main loop, which ignores copy messages.

// CopyIn implements ResultWriter.
func (w *resultWriter) CopyIn(columns int) (io.Reader, error) {
	if columns > math.MaxUint16 {
		return nil, sqlerr.New(sqlerr.ProgramLimitExceeded, "too many columns")
	}
	formats := make([]uint16, columns)
	if err := w.c.send(&pgproto3.CopyInResponse{OverallFormat: 0, ColumnFormatCodes: formats}); err != nil {
		return nil, err
	}
	if err := w.c.flush(); err != nil {
		return nil, err
	}
	return &copyReader{c: w.c}, nil
}

// copyReader reads the CopyData the client sends.
type copyReader struct {
	c    *conn
	buf  []byte
	done bool
	err  error
}

func (r *copyReader) Read(p []byte) (int, error) {
	for len(r.buf) == 0 {
		if r.err != nil {
			return 0, r.err
		}
		if r.done {
			return 0, io.EOF
		}
		msg, err := r.c.be.Receive()
		if err != nil {
			r.err = err
			return 0, err
		}
		switch m := msg.(type) {
		case *pgproto3.CopyData:
			// The message's buffer is reused by the next Receive.
			r.buf = append(r.buf[:0], m.Data...)
		case *pgproto3.CopyDone:
			r.done = true
		case *pgproto3.CopyFail:
			r.err = sqlerr.New(sqlerr.QueryCanceled, "COPY from stdin failed: %s", m.Message)
		case *pgproto3.Flush, *pgproto3.Sync:
		default:
			r.err = sqlerr.New(sqlerr.ProtocolViolation, "unexpected message type 0x%02x during COPY from stdin", msgType(msg))
		}
	}
	n := copy(p, r.buf)
	r.buf = r.buf[n:]
	return n, nil
}

func msgType(msg pgproto3.FrontendMessage) byte {
	b, err := msg.Encode(nil)
	if err != nil || len(b) == 0 {
		return 0
	}
	return b[0]
}

package pgwire

import (
	"errors"
	"fmt"
	"math"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/jackc/pgx/v5/pgproto3"

	"github.com/tocsin-db/tocsin/pgwire/pgtypes"
	"github.com/tocsin-db/tocsin/sql/sqlerr"
	"github.com/tocsin-db/tocsin/sql/types"
)

// resultWriter is the connection's ResultWriter: it turns a session's
// results into RowDescription, DataRow, CommandComplete,
// EmptyQueryResponse and NoticeResponse messages in the connection's
// output buffer. Its buffers (the row encoder's arena, the DataRow value
// slice, the field descriptions) are reused across statements.
type resultWriter struct {
	c *conn
	// typs holds the types of the described columns; described is set
	// between Columns and Complete.
	typs      []types.Type
	described bool
	enc       pgtypes.Encoder
	row       pgproto3.DataRow
	desc      pgproto3.RowDescription

	// The extended protocol's Execute sets these for one call (see
	// portal.go): formats holds each column's result format (nil for
	// all text); execute suppresses RowDescription, which Describe
	// sends instead; buf, when set, collects the rows and the outcome
	// of a portal run with a row limit instead of sending them.
	formats []pgtypes.Format
	execute bool
	buf     *portalBuffer
}

var (
	_ ResultWriter       = (*resultWriter)(nil)
	_ PreparedStatements = (*resultWriter)(nil)
)

// DeallocatePrepared implements PreparedStatements.
func (w *resultWriter) DeallocatePrepared(name string) bool {
	_, ok := w.c.ext.stmts[name]
	if ok && name != "" {
		delete(w.c.ext.stmts, name)
		return true
	}
	return false
}

// DeallocateAllPrepared implements PreparedStatements.
func (w *resultWriter) DeallocateAllPrepared() {
	for name := range w.c.ext.stmts {
		if name != "" {
			delete(w.c.ext.stmts, name)
		}
	}
}

// ClosePortals implements PreparedStatements. A portal run with a row
// limit keeps its buffered rows, since it is the one running.
func (w *resultWriter) ClosePortals() {
	for name, p := range w.c.ext.portals {
		if p != w.c.ext.running {
			delete(w.c.ext.portals, name)
		}
	}
}

// Columns implements ResultWriter.
func (w *resultWriter) Columns(cols []Column) error {
	if w.described {
		return errors.New("pgwire: Columns called twice without Complete")
	}
	if w.formats != nil && len(w.formats) != len(cols) {
		return fmt.Errorf("pgwire: statement returned %d columns, but its description had %d", len(cols), len(w.formats))
	}
	fields, typs, err := appendFields(w.desc.Fields[:0], w.typs[:0], cols, w.formats)
	if err != nil {
		return err
	}
	w.typs = typs
	w.desc.Fields = fields
	w.described = true
	if w.execute {
		return nil
	}
	return w.c.send(&w.desc)
}

// appendFields appends the RowDescription fields of cols, with the
// result formats formats (nil: all text), to fields, and the types the
// columns are encoded as to typs.
func appendFields(fields []pgproto3.FieldDescription, typs []types.Type, cols []Column, formats []pgtypes.Format) ([]pgproto3.FieldDescription, []types.Type, error) {
	if len(cols) > math.MaxUint16 {
		return fields, typs, sqlerr.New(sqlerr.ProgramLimitExceeded, "target lists can have at most %d entries", math.MaxUint16)
	}
	for i, col := range cols {
		t := pgtypes.ResultType(col.Type)
		info, ok := pgtypes.Info(t)
		if !ok {
			return fields, typs, fmt.Errorf("pgwire: column %q has type %s, which has no Postgres counterpart", col.Name, col.Type)
		}
		fields = append(fields, pgproto3.FieldDescription{
			Name:                 []byte(cstring(col.Name)),
			TableOID:             col.TableOID,
			TableAttributeNumber: uint16(col.Attr),
			DataTypeOID:          info.OID,
			DataTypeSize:         info.Len,
			TypeModifier:         -1,
			Format:               int16(formatAt(formats, i)),
		})
		typs = append(typs, t)
	}
	return fields, typs, nil
}

// formatAt returns column i's format from a per-column list (nil: text).
func formatAt(formats []pgtypes.Format, i int) pgtypes.Format {
	if i < len(formats) {
		return formats[i]
	}
	return pgtypes.Text
}

// Rows implements ResultWriter. It encodes rec column by column and
// sends one DataRow per row. The output is written out whenever the
// buffer passes flushThreshold and again at the end of the call, so
// that every batch reaches the client as soon as it is produced, even
// when the statement then waits for more (a continuous query). That is
// at most one extra write per batch, small next to encoding it.
func (w *resultWriter) Rows(rec arrow.RecordBatch) error {
	if !w.described {
		return errors.New("pgwire: Rows called before Columns")
	}
	if int(rec.NumCols()) != len(w.typs) {
		return fmt.Errorf("pgwire: batch has %d columns, RowDescription has %d", rec.NumCols(), len(w.typs))
	}
	defer w.enc.Reset()
	if err := w.enc.Encode(rec, w.typs, w.formats); err != nil {
		return fmt.Errorf("pgwire: %w", err)
	}
	if w.buf != nil {
		return w.buf.addRows(&w.enc, &w.row)
	}
	for r := range w.enc.Rows() {
		w.row.Values = w.enc.Row(r, w.row.Values)
		if err := w.c.send(&w.row); err != nil {
			return err
		}
	}
	return w.c.flush()
}

// Complete implements ResultWriter.
func (w *resultWriter) Complete(tag string) error {
	w.described = false
	if w.buf != nil {
		w.buf.complete(tag)
		return nil
	}
	return w.c.send(&pgproto3.CommandComplete{CommandTag: []byte(cstring(tag))})
}

// Empty implements ResultWriter.
func (w *resultWriter) Empty() error {
	w.described = false
	if w.buf != nil {
		w.buf.empty = true
		w.buf.done = true
		return nil
	}
	return w.c.send(&pgproto3.EmptyQueryResponse{})
}

// Notice implements ResultWriter. Severity is NOTICE or WARNING (also
// accepted: INFO, LOG, DEBUG); anything else is sent as NOTICE.
func (w *resultWriter) Notice(severity, msg string) error {
	sev := strings.ToUpper(severity)
	code := sqlerr.SuccessfulCompletion
	switch sev {
	case "WARNING":
		code = sqlerr.Warning
	case "NOTICE", "INFO", "LOG", "DEBUG":
	default:
		sev = "NOTICE"
	}
	return w.c.send(&pgproto3.NoticeResponse{
		Severity:            sev,
		SeverityUnlocalized: sev,
		Code:                code.String(),
		Message:             cstring(msg),
	})
}

// reset readies the writer for the next Query message and drops
// per-statement state a failed statement may have left.
func (w *resultWriter) reset() {
	w.described = false
	w.formats, w.execute, w.buf = nil, false, nil
	w.enc.Reset()
	clear(w.row.Values)
	w.row.Values = w.row.Values[:0]
	for i := range w.desc.Fields {
		w.desc.Fields[i].Name = nil
	}
}

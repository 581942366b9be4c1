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
}

var _ ResultWriter = (*resultWriter)(nil)

// Columns implements ResultWriter.
func (w *resultWriter) Columns(cols []Column) error {
	if w.described {
		return errors.New("pgwire: Columns called twice without Complete")
	}
	if len(cols) > math.MaxUint16 {
		return sqlerr.New(sqlerr.ProgramLimitExceeded, "target lists can have at most %d entries", math.MaxUint16)
	}
	w.typs = w.typs[:0]
	fields := w.desc.Fields[:0]
	for _, col := range cols {
		t := pgtypes.ResultType(col.Type)
		info, ok := pgtypes.Info(t)
		if !ok {
			return fmt.Errorf("pgwire: column %q has type %s, which has no Postgres counterpart", col.Name, col.Type)
		}
		fields = append(fields, pgproto3.FieldDescription{
			Name:                 []byte(cstring(col.Name)),
			TableOID:             col.TableOID,
			TableAttributeNumber: uint16(col.Attr),
			DataTypeOID:          info.OID,
			DataTypeSize:         info.Len,
			TypeModifier:         -1,
			Format:               int16(pgtypes.Text),
		})
		w.typs = append(w.typs, t)
	}
	w.desc.Fields = fields
	w.described = true
	return w.c.send(&w.desc)
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
	if err := w.enc.Encode(rec, w.typs, nil); err != nil {
		return fmt.Errorf("pgwire: %w", err)
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
	return w.c.send(&pgproto3.CommandComplete{CommandTag: []byte(cstring(tag))})
}

// Empty implements ResultWriter.
func (w *resultWriter) Empty() error {
	w.described = false
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
	w.enc.Reset()
	clear(w.row.Values)
	w.row.Values = w.row.Values[:0]
	for i := range w.desc.Fields {
		w.desc.Fields[i].Name = nil
	}
}

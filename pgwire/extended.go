package pgwire

import (
	"context"
	"errors"
	"fmt"
	"math"

	"github.com/jackc/pgx/v5/pgproto3"

	"github.com/tocsin-db/tocsin/pgwire/pgtypes"
	"github.com/tocsin-db/tocsin/sql/sqlerr"
	"github.com/tocsin-db/tocsin/sql/types"
)

// The extended query protocol: Parse makes a prepared statement, Bind a
// portal (a statement with parameter values and result formats),
// Describe describes either, Execute runs a portal (portal.go), Close
// drops either, and Sync ends the cycle with ReadyForQuery. The tables
// live in extState, owned by the connection's goroutine.

// extState is a connection's prepared statements and portals. The
// unnamed statement and portal are stored under "".
type extState struct {
	stmts   map[string]*statement
	portals map[string]*portal
	// running is the portal Execute is running, nil otherwise.
	running *portal
}

// statement is a prepared statement.
type statement struct {
	prep Prepared
	// params are the parameters as announced in ParameterDescription:
	// len(params) may exceed len(prep.ParamTypes()) when the client
	// declared more types than the statement uses, as Postgres allows.
	params []param
	// cols are the result columns, nil for a statement without rows.
	cols []Column
}

// param is one parameter of a prepared statement.
type param struct {
	// oid is the type announced in ParameterDescription: the type the
	// client declared in Parse, or the type the statement inferred.
	oid uint32
	// wire is the type Bind values are decoded as (pgtypes.ParamType of
	// oid); typ is the type the statement expects.
	wire, typ types.Type
}

// portal is a bound statement, ready to execute.
type portal struct {
	stmt   *statement
	params []types.Datum
	// formats holds each result column's format, nil for all text.
	formats []pgtypes.Format
	// ran is set once Execute has run the statement; buf holds the rows
	// not yet sent of a run with a row limit (nil otherwise).
	ran bool
	buf *portalBuffer
}

// extended handles one message of the extended query protocol (Parse,
// Bind, Describe, Execute, Close). An error is sent at once (flushed, as
// Postgres does, so a client that sent Flush rather than Sync learns of
// it) and the connection then skips every message up to Sync, the
// protocol's error recovery rule (see loop).
//
// Sessions that do not implement Preparer get a 0A000 error for every
// such message.
func (c *conn) extended(ctx context.Context, msg pgproto3.FrontendMessage) {
	p, ok := c.session.(Preparer)
	if !ok {
		c.extendedFailed(sqlerr.New(sqlerr.FeatureNotSupported, "extended query protocol is not supported yet").
			WithDetail("Received a %s message.", messageName(msg)).
			WithHint("Use the simple query protocol (for pgx: QueryExecModeSimpleProtocol; for JDBC: preferQueryMode=simple)."))
		return
	}
	if c.ext.stmts == nil {
		c.ext.stmts = make(map[string]*statement)
		c.ext.portals = make(map[string]*portal)
	}
	var err error
	switch m := msg.(type) {
	case *pgproto3.Parse:
		err = c.parse(ctx, p, m)
	case *pgproto3.Bind:
		err = c.bind(m)
	case *pgproto3.Describe:
		err = c.describe(m)
	case *pgproto3.Execute:
		err = c.execute(ctx, m)
	case *pgproto3.Close:
		err = c.closeObject(m)
	}
	if err != nil && !c.closing {
		c.extendedFailed(err)
	}
}

func (c *conn) extendedFailed(err error) {
	c.sendError(err)
	_ = c.flush()
	c.ignoreTillSync = true
}

// sync handles Sync: it ends error recovery, drops the portals if the
// transaction has ended (outside a transaction block every Sync ends
// the implicit transaction) and sends ReadyForQuery.
func (c *conn) sync() {
	c.ignoreTillSync = false
	c.closePortalsIfIdle()
	c.ready()
}

// closePortalsIfIdle drops every portal when the session is outside a
// transaction block: portals live until the end of their transaction.
func (c *conn) closePortalsIfIdle() {
	if len(c.ext.portals) > 0 && c.session.TxStatus() == 'I' {
		clear(c.ext.portals)
	}
}

// forgetUnnamed drops the unnamed statement and portal, as a simple
// Query does.
func (c *conn) forgetUnnamed() {
	delete(c.ext.stmts, "")
	delete(c.ext.portals, "")
}

func (c *conn) parse(ctx context.Context, p Preparer, m *pgproto3.Parse) error {
	if m.Name != "" {
		if _, ok := c.ext.stmts[m.Name]; ok {
			return sqlerr.New(sqlerr.DuplicatePreparedStatement, "prepared statement %q already exists", m.Name)
		}
	} else {
		delete(c.ext.stmts, "")
	}
	declared := make([]types.Type, len(m.ParameterOIDs))
	for i, oid := range m.ParameterOIDs {
		t, ok := pgtypes.ParamType(oid)
		if !ok {
			return sqlerr.New(sqlerr.FeatureNotSupported, "parameter $%d has the type with OID %d, which Tocsin does not support", i+1, oid)
		}
		declared[i] = t
	}
	var prep Prepared
	canceled, err := c.runCancelable(ctx, func(qctx context.Context) error {
		var err error
		prep, err = p.Prepare(qctx, m.Query, declared)
		return err
	})
	if err != nil {
		return c.statementError(ctx, err, canceled)
	}
	ptypes := prep.ParamTypes()
	n := max(len(ptypes), len(declared))
	if n > math.MaxUint16 {
		return sqlerr.New(sqlerr.ProgramLimitExceeded, "statements can have at most %d parameters", math.MaxUint16)
	}
	st := &statement{prep: prep, cols: prep.Columns(), params: make([]param, n)}
	for i := range st.params {
		pr := &st.params[i]
		if i < len(ptypes) {
			pr.typ = ptypes[i]
		} else {
			pr.typ = declared[i]
		}
		if i < len(declared) && declared[i] != (types.Type{}) {
			pr.oid, pr.wire = m.ParameterOIDs[i], declared[i]
			continue
		}
		pr.wire = pgtypes.ResultType(pr.typ)
		info, ok := pgtypes.Info(pr.wire)
		if !ok {
			return sqlerr.New(sqlerr.FeatureNotSupported, "parameter $%d has type %s, which has no Postgres counterpart", i+1, pr.typ)
		}
		pr.oid = info.OID
	}
	// Check now that the columns can be described.
	if _, _, err := appendFields(nil, nil, st.cols, nil); err != nil {
		return err
	}
	c.ext.stmts[m.Name] = st
	return c.send(&pgproto3.ParseComplete{})
}

func (c *conn) lookupStatement(name string) (*statement, error) {
	st, ok := c.ext.stmts[name]
	if !ok {
		if name == "" {
			return nil, sqlerr.New(sqlerr.InvalidSQLStatementName, "unnamed prepared statement does not exist")
		}
		return nil, sqlerr.New(sqlerr.InvalidSQLStatementName, "prepared statement %q does not exist", name)
	}
	return st, nil
}

func (c *conn) lookupPortal(name string) (*portal, error) {
	p, ok := c.ext.portals[name]
	if !ok {
		return nil, sqlerr.New(sqlerr.InvalidCursorName, "portal %q does not exist", name)
	}
	return p, nil
}

func (c *conn) bind(m *pgproto3.Bind) error {
	if m.DestinationPortal == "" {
		delete(c.ext.portals, "")
	} else if _, ok := c.ext.portals[m.DestinationPortal]; ok {
		return sqlerr.New(sqlerr.DuplicateCursor, "portal %q already exists", m.DestinationPortal)
	}
	st, err := c.lookupStatement(m.PreparedStatement)
	if err != nil {
		return err
	}
	nf, np := len(m.ParameterFormatCodes), len(m.Parameters)
	if nf > 1 && nf != np {
		return sqlerr.New(sqlerr.ProtocolViolation, "bind message has %d parameter formats but %d parameters", nf, np)
	}
	if np != len(st.params) {
		return sqlerr.New(sqlerr.ProtocolViolation, "bind message supplies %d parameters, but prepared statement %q requires %d",
			np, m.PreparedStatement, len(st.params))
	}
	params := make([]types.Datum, len(st.prep.ParamTypes()))
	for i, raw := range m.Parameters {
		f := pgtypes.Text
		switch {
		case nf == 1:
			f = pgtypes.Format(m.ParameterFormatCodes[0])
		case nf > 1:
			f = pgtypes.Format(m.ParameterFormatCodes[i])
		}
		d, err := decodeParam(st.params[i], f, raw)
		if err != nil {
			return paramError(err, i)
		}
		if i < len(params) {
			params[i] = d
		}
	}
	formats, err := resultFormats(m.ResultFormatCodes, st.cols)
	if err != nil {
		return err
	}
	c.ext.portals[m.DestinationPortal] = &portal{stmt: st, params: params, formats: formats}
	return c.send(&pgproto3.BindComplete{})
}

// decodeParam decodes one Bind value as its announced type and converts
// it to the type the statement expects.
func decodeParam(p param, f pgtypes.Format, raw []byte) (types.Datum, error) {
	if f != pgtypes.Text && f != pgtypes.Binary {
		return types.Datum{}, sqlerr.New(sqlerr.InvalidParameterValue, "unsupported format code: %d", f)
	}
	d, err := pgtypes.DecodeParam(p.oid, p.wire, f, raw)
	if err != nil || p.wire == p.typ {
		return d, err
	}
	return convertParam(d, p.typ)
}

// convertParam converts a parameter decoded as its declared type to the
// type the statement inferred, for the assignments that lose nothing
// (the engine may widen a declared int4 to the int8 it compares with).
func convertParam(d types.Datum, to types.Type) (types.Datum, error) {
	from := d.Type
	switch {
	case from.IsInteger() && to.IsInteger():
		lo, hi := int64(math.MinInt64), int64(math.MaxInt64)
		switch to.Kind {
		case types.Int16:
			lo, hi = math.MinInt16, math.MaxInt16
		case types.Int32:
			lo, hi = math.MinInt32, math.MaxInt32
		}
		if !d.Null && (d.I < lo || d.I > hi) {
			return types.Datum{}, sqlerr.New(sqlerr.NumericValueOutOfRange, "%s out of range", to)
		}
	case from.IsInteger() && to.IsFloat():
		d.F, d.I = float64(d.I), 0
	case from.IsFloat() && to.IsFloat(),
		(from.IsString() || from.Kind == types.Unknown) && to.IsString(),
		from.IsTimestamp() && to.IsTimestamp():
	default:
		return types.Datum{}, sqlerr.New(sqlerr.DatatypeMismatch, "parameter declared as %s cannot be used as %s", from, to)
	}
	d.Type = to
	return d, nil
}

// paramError adds the parameter number to a Bind value's decoding
// error.
func paramError(err error, i int) error {
	var de *pgtypes.DecodeError
	if errors.As(err, &de) {
		code, ok := sqlerr.Lookup(de.Code)
		if !ok {
			code = sqlerr.DataException
		}
		return &sqlerr.Error{Code: code, Msg: de.Msg, Detail: fmt.Sprintf("Bind parameter $%d.", i+1), Err: err}
	}
	var se *sqlerr.Error
	if errors.As(err, &se) && se.Detail == "" {
		se.Detail = fmt.Sprintf("Bind parameter $%d.", i+1)
	}
	return err
}

// resultFormats expands Bind's result format codes (none: all text;
// one: for every column; else one per column) into one format per
// column, or nil when every column is text.
func resultFormats(codes []int16, cols []Column) ([]pgtypes.Format, error) {
	if len(codes) > 1 && len(codes) != len(cols) {
		return nil, sqlerr.New(sqlerr.ProtocolViolation, "bind message has %d result formats but query has %d columns", len(codes), len(cols))
	}
	if len(codes) == 0 || len(cols) == 0 {
		return nil, nil
	}
	out := make([]pgtypes.Format, len(cols))
	allText := true
	for i, col := range cols {
		f := pgtypes.Format(codes[0])
		if len(codes) > 1 {
			f = pgtypes.Format(codes[i])
		}
		switch f {
		case pgtypes.Text:
		case pgtypes.Binary:
			if !pgtypes.SupportsBinary(col.Type) {
				return nil, sqlerr.New(sqlerr.FeatureNotSupported, "binary format is not supported for column %q of type %s", col.Name, col.Type)
			}
			allText = false
		default:
			return nil, sqlerr.New(sqlerr.InvalidParameterValue, "unsupported format code: %d", f)
		}
		out[i] = f
	}
	if allText {
		return nil, nil
	}
	return out, nil
}

func (c *conn) describe(m *pgproto3.Describe) error {
	switch m.ObjectType {
	case 'S':
		st, err := c.lookupStatement(m.Name)
		if err != nil {
			return err
		}
		oids := make([]uint32, len(st.params))
		for i, p := range st.params {
			oids[i] = p.oid
		}
		if err := c.send(&pgproto3.ParameterDescription{ParameterOIDs: oids}); err != nil {
			return err
		}
		return c.sendRowDescription(st.cols, nil)
	case 'P':
		p, err := c.lookupPortal(m.Name)
		if err != nil {
			return err
		}
		return c.sendRowDescription(p.stmt.cols, p.formats)
	}
	return sqlerr.New(sqlerr.ProtocolViolation, "invalid DESCRIBE message subtype %d", m.ObjectType)
}

// sendRowDescription describes a statement's or portal's rows, or sends
// NoData for a statement without rows.
func (c *conn) sendRowDescription(cols []Column, formats []pgtypes.Format) error {
	if cols == nil {
		return c.send(&pgproto3.NoData{})
	}
	fields, _, err := appendFields(nil, nil, cols, formats)
	if err != nil {
		return err
	}
	return c.send(&pgproto3.RowDescription{Fields: fields})
}

// closeObject handles Close. Closing a name that does not exist is not
// an error.
func (c *conn) closeObject(m *pgproto3.Close) error {
	switch m.ObjectType {
	case 'S':
		delete(c.ext.stmts, m.Name)
	case 'P':
		delete(c.ext.portals, m.Name)
	default:
		return sqlerr.New(sqlerr.ProtocolViolation, "invalid CLOSE message subtype %d", m.ObjectType)
	}
	return c.send(&pgproto3.CloseComplete{})
}

package engine

import (
	"context"
	"io"
	"strconv"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/tocsin-db/tocsin/functions/scalar"
	"github.com/tocsin-db/tocsin/sql/ast"
	"github.com/tocsin-db/tocsin/sql/binder"
	"github.com/tocsin-db/tocsin/sql/parser"
	"github.com/tocsin-db/tocsin/sql/plan"
	"github.com/tocsin-db/tocsin/sql/sqlerr"
	"github.com/tocsin-db/tocsin/sql/types"
)

// This file is the engine side of the extended query protocol: prepared
// statements with parameters $1 .. $n.
//
// Prepare parses one statement and binds it with the binder in
// preparing mode (binder.SetParamTypes) to learn the parameters' types
// and the result columns; the plan is then discarded. Execute runs the
// same parsed statement through Session.exec, exactly as Query runs one
// statement, with the session's params set: every binder the statement
// asks for (newBinder) binds $n as a typed constant of its value. So a
// prepared statement gives the results, errors, command tags and
// transaction status the same text with literals gives over the simple
// protocol. The parsed tree is shared by every execution: binding reads
// it and never modifies it.

// Prepared is a statement prepared by Session.Prepare. It belongs to its
// session and, like the session, is used by one goroutine at a time.
type Prepared struct {
	s    *Session
	text string
	// stmt is nil for an empty statement.
	stmt   ast.Statement
	params []types.Type
	// cols are the result columns, nil for a statement without rows.
	cols []Column
}

// Prepare parses and binds text, which must hold at most one statement,
// for executing later with parameter values. declared holds the types
// the client declared for $1, $2, ... (a zero type, or a slice shorter
// than the highest $n, leaves a parameter's type to be inferred from its
// use; one nothing constrains is text). SELECT, INSERT, UPDATE and
// DELETE may have parameters; other statements may not (42P02). An error
// is returned as Query would return it, and fails an open transaction
// block the same way.
func (s *Session) Prepare(ctx context.Context, text string, declared []types.Type) (*Prepared, error) {
	stmts, err := parser.Parse(text)
	if err != nil {
		return nil, s.fail(err, text)
	}
	p := &Prepared{s: s, text: text}
	switch len(stmts) {
	case 0:
		return p, nil
	case 1:
	default:
		return nil, s.fail(sqlerr.New(sqlerr.SyntaxError, "cannot insert multiple commands into a prepared statement"), text)
	}
	if ctx.Err() != nil {
		return nil, s.fail(errCanceled(), text)
	}
	st := stmts[0]
	if err := s.aborted(st); err != nil {
		return nil, s.fail(err, text)
	}
	if err := p.describe(ctx, st, declared); err != nil {
		return nil, s.fail(err, text)
	}
	p.stmt = st
	return p, nil
}

// ParamTypes returns the types of the statement's parameters $1 .. $n.
func (p *Prepared) ParamTypes() []types.Type { return p.params }

// Columns returns the columns of the rows the statement returns, or nil
// if it returns none.
func (p *Prepared) Columns() []Column { return p.cols }

// Execute runs the statement with params[i] as the value of $i+1,
// reporting its result to w as Query does for one statement. Each value
// should have the parameter's type (ParamTypes); a NULL may have any
// type, and a value of another type is converted as by an explicit cast.
// Errors, cancellation through ctx and the transaction status behave as
// in Query. If the catalog changed since Prepare so that the result
// columns have other types, Execute fails with 0A000, as Postgres does.
func (p *Prepared) Execute(ctx context.Context, params []types.Datum, w ResultWriter) error {
	s := p.s
	if p.stmt == nil {
		return w.Empty()
	}
	if len(params) != len(p.params) {
		return s.fail(sqlerr.New(sqlerr.ProtocolViolation, "bind message supplies %d parameters, but prepared statement requires %d", len(params), len(p.params)), p.text)
	}
	vals := make([]types.Datum, len(params))
	for i, d := range params {
		v, err := paramValue(d, p.params[i])
		if err != nil {
			return s.fail(sqlerr.Wrap(err, sqlerr.CodeOf(err), "parameter $%d", i+1), p.text)
		}
		vals[i] = v
	}
	s.params = vals
	defer func() { s.params = nil }()
	if p.cols != nil {
		w = &checkedWriter{ResultWriter: w, want: p.cols}
	}
	return s.runOne(ctx, p.text, p.stmt, w)
}

// paramValue converts a parameter's value to the parameter's type t.
func paramValue(d types.Datum, t types.Type) (types.Datum, error) {
	switch {
	case d.Null:
		return types.NullDatum(t), nil
	case d.Type == t:
		return d, nil
	case d.Type.Kind == types.Unknown:
		return scalar.ParseText(d.S, t)
	}
	return scalar.CastDatum(d, t)
}

// describe binds st to learn its parameter types and result columns.
func (p *Prepared) describe(ctx context.Context, st ast.Statement, declared []types.Type) error {
	s := p.s
	bind := func(b *binder.Binder) (plan.Node, error) {
		switch st := st.(type) {
		case *ast.SelectStmt:
			return b.BindQuery(st.Query)
		case *ast.Insert:
			_, err := b.BindInsert(st)
			return nil, err
		case *ast.Update:
			_, err := b.BindUpdate(st)
			return nil, err
		case *ast.Delete:
			_, err := b.BindDelete(st)
			return nil, err
		}
		return nil, nil
	}
	switch st := st.(type) {
	case *ast.SelectStmt, *ast.Insert, *ast.Update, *ast.Delete:
		b := s.newBinder()
		b.SetParamTypes(declared)
		if _, err := bind(b); err != nil {
			return err
		}
		p.params = b.ParamTypes()
		if _, ok := st.(*ast.SelectStmt); !ok {
			return nil
		}
		// Bind again with every type known: a parameter nothing typed
		// (SELECT $1) is now text, as its value will be, so the columns
		// are those Execute will report.
		b = s.newBinder()
		b.SetParamTypes(p.params)
		n, err := bind(b)
		if err != nil {
			return err
		}
		p.cols = planColumns(n)
		return nil
	}
	if n := paramIn(st); n > 0 {
		return sqlerr.New(sqlerr.UndefinedParameter, "there is no parameter $%d", n)
	}
	// Parameters the client declared are kept (and take values that
	// nothing reads), as in Postgres.
	p.params = make([]types.Type, len(declared))
	for i, t := range declared {
		if t.Kind == types.Unknown {
			t = types.TextType
		}
		p.params[i] = t
	}
	switch st.(type) {
	case *ast.Show, *ast.Describe, *ast.Explain:
		// Their columns depend on what is shown; running them now (they
		// change nothing) is the simplest way to learn them.
		var cw columnsWriter
		if err := s.exec(ctx, st, &cw); err != nil {
			return err
		}
		p.cols = cw.cols
	case *ast.CreateSilence:
		p.cols = []Column{col("id", types.Int64Type), col("ends_at", types.TimestampTZType)}
	case *ast.Subscribe, *ast.Fetch:
		cols, err := s.liveColumns(st)
		if err != nil {
			return err
		}
		p.cols = cols
	}
	return nil
}

// planColumns returns the visible result columns of a query plan, as
// writeRows reports them.
func planColumns(n plan.Node) []Column {
	schema := n.Schema()
	visible := schema.Visible()
	cols := make([]Column, len(visible))
	for i, c := range visible {
		cols[i] = Column{Name: schema[c].Name, Type: schema[c].Type}
	}
	return cols
}

// paramIn returns the number of a parameter $n that st uses, or 0. It
// reads the statement's canonical text, where string literals and quoted
// identifiers are the only quoted spans.
func paramIn(st ast.Statement) int {
	text := ast.Format(st)
	for i := 0; i < len(text); i++ {
		switch c := text[i]; c {
		case '\'', '"':
			// Skip to the closing quote; a doubled quote is an escape
			// and reads as a close and a reopen.
			for i++; i < len(text) && text[i] != c; i++ {
			}
		case '$':
			j := i + 1
			for j < len(text) && text[j] >= '0' && text[j] <= '9' {
				j++
			}
			if j > i+1 {
				if n, err := strconv.Atoi(text[i+1 : j]); err == nil && n > 0 {
					return n
				}
			}
		}
	}
	return 0
}

// errCanceled is the error of a statement canceled by the client.
func errCanceled() error {
	return sqlerr.New(sqlerr.QueryCanceled, "canceling statement due to user request")
}

// checkedWriter passes a prepared statement's result on after checking
// that its columns still have the types Prepare reported.
type checkedWriter struct {
	ResultWriter
	want []Column
}

// Columns implements ResultWriter.
func (w *checkedWriter) Columns(cols []Column) error {
	same := len(cols) == len(w.want)
	for i := 0; same && i < len(cols); i++ {
		same = cols[i].Type == w.want[i].Type
	}
	if !same {
		return sqlerr.New(sqlerr.FeatureNotSupported, "cached plan must not change result type")
	}
	return w.ResultWriter.Columns(cols)
}

// columnsWriter records a statement's columns and drops its rows.
type columnsWriter struct{ cols []Column }

var _ ResultWriter = (*columnsWriter)(nil)

// Columns implements ResultWriter.
func (w *columnsWriter) Columns(cols []Column) error {
	w.cols = append([]Column{}, cols...)
	return nil
}

// Rows implements ResultWriter.
func (*columnsWriter) Rows(arrow.RecordBatch) error { return nil }

// Complete implements ResultWriter.
func (*columnsWriter) Complete(string) error { return nil }

// Empty implements ResultWriter.
func (*columnsWriter) Empty() error { return nil }

// Notice implements ResultWriter.
func (*columnsWriter) Notice(string, string) error { return nil }

// CopyIn implements ResultWriter.
func (*columnsWriter) CopyIn(int) (io.Reader, error) {
	return nil, sqlerr.New(sqlerr.Internal, "BUG: COPY while describing a statement")
}

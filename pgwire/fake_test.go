package pgwire

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/tocsin-db/tocsin/sql/sqlerr"
	"github.com/tocsin-db/tocsin/sql/types"
)

// fakeExecutor is the test stand-in for the engine. Its sessions
// understand a handful of canned statements (see fakeSession.run),
// separated by semicolons.
type fakeExecutor struct {
	mem memory.Allocator

	mu     sync.Mutex
	open   int // sessions not yet closed
	params []map[string]string
	// started is signalled (non-blocking) whenever a "wait" or "stream"
	// statement begins blocking, so tests can cancel it.
	started chan struct{}
	// prepares counts Prepare calls.
	prepares int
}

func newFakeExecutor() *fakeExecutor {
	return &fakeExecutor{mem: memory.NewGoAllocator(), started: make(chan struct{}, 16)}
}

var _ Executor = (*fakeExecutor)(nil)

func (e *fakeExecutor) Connect(_ context.Context, params map[string]string) (Session, error) {
	if params["user"] == "reject" {
		return nil, sqlerr.New(sqlerr.InvalidAuthorization, "role %q is not permitted to log in", params["user"])
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	e.open++
	e.params = append(e.params, params)
	s := &fakeSession{exec: e, params: params, tx: 'I'}
	if params["user"] == "noprep" {
		// An engine without the extended protocol.
		return simpleOnlySession{s}, nil
	}
	return s, nil
}

func (e *fakeExecutor) openSessions() int {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.open
}

type fakeSession struct {
	exec   *fakeExecutor
	params map[string]string
	tx     byte
	closed bool
}

var _ Session = (*fakeSession)(nil)

func (s *fakeSession) TxStatus() byte { return s.tx }

func (s *fakeSession) Close() error {
	if s.closed {
		return errors.New("session closed twice")
	}
	s.closed = true
	s.exec.mu.Lock()
	s.exec.open--
	s.exec.mu.Unlock()
	return nil
}

// Query runs each ;-separated statement (no quoting rules: the fake's
// statements contain no semicolons) and stops at the first error. Like
// the real session it reports error positions as characters.
func (s *fakeSession) Query(ctx context.Context, text string, w ResultWriter) error {
	ran := false
	off := 0
	for stmt := range strings.SplitSeq(text, ";") {
		start := off
		off += len(stmt) + 1
		if strings.TrimSpace(stmt) == "" {
			continue
		}
		ran = true
		if err := s.run(ctx, text, start, stmt, w); err != nil {
			if s.tx == 'T' {
				s.tx = 'E'
			}
			var se *sqlerr.Error
			if errors.As(err, &se) && se.Pos > 0 {
				se.Pos = sqlerr.CharPos(text, se.Pos)
			}
			return err
		}
	}
	if !ran {
		return w.Empty()
	}
	return nil
}

// run executes one statement starting at byte offset start of text.
func (s *fakeSession) run(ctx context.Context, text string, start int, stmt string, w ResultWriter) error {
	fields := strings.Fields(strings.ToLower(stmt))
	switch {
	case len(fields) == 2 && fields[0] == "select" && fields[1] == "1":
		return s.result(w, []Column{{Name: "?column?", Type: types.Int32Type}},
			[]string{`[1]`}, "SELECT 1")
	case len(fields) == 2 && fields[0] == "select" && fields[1] == "types":
		return s.selectTypes(w)
	case len(fields) == 2 && fields[0] == "select" && fields[1] == "null":
		return s.result(w, []Column{{Name: "n", Type: types.UnknownType}}, []string{`[null]`}, "SELECT 1")
	case len(fields) == 2 && fields[0] == "rows":
		n, err := strconv.Atoi(fields[1])
		if err != nil {
			return sqlerr.At(sqlerr.InvalidTextRepresentation, start+strings.Index(stmt, fields[1]), "bad row count")
		}
		return s.rows(ctx, w, n, false)
	case len(fields) == 1 && fields[0] == "stream":
		return s.rows(ctx, w, 20000, true)
	case len(fields) == 1 && fields[0] == "wait":
		s.signalStarted()
		<-ctx.Done()
		return fmt.Errorf("waiting: %w", ctx.Err())
	case len(fields) == 1 && fields[0] == "begin":
		s.tx = 'T'
		return w.Complete("BEGIN")
	case len(fields) == 1 && (fields[0] == "commit" || fields[0] == "rollback"):
		s.tx = 'I'
		return w.Complete(strings.ToUpper(fields[0]))
	case len(fields) == 2 && fields[0] == "bad":
		pos := start + strings.Index(strings.ToLower(stmt), fields[1])
		return sqlerr.At(sqlerr.UndefinedColumn, pos, "column %q does not exist", fields[1]).
			WithHint("Perhaps you meant %q.", "good").WithDetail("detail here")
	case len(fields) == 1 && fields[0] == "internal":
		return errors.New("secret: disk on fire")
	case len(fields) == 1 && fields[0] == "panic":
		panic("boom")
	case len(fields) == 1 && fields[0] == "notice":
		if err := w.Notice("WARNING", "careful"); err != nil {
			return err
		}
		return w.Complete("DO")
	case len(fields) == 1 && fields[0] == "badtype":
		return w.Columns([]Column{{Name: "x", Type: types.Type{Kind: types.Array, Elem: types.Array}}})
	case len(fields) == 2 && fields[0] == "show":
		return s.result(w, []Column{{Name: fields[1], Type: types.TextType}},
			[]string{"[" + strconv.Quote(s.params[fields[1]]) + "]"}, "SHOW")
	case len(fields) == 3 && fields[0] == "create" && fields[1] == "source":
		return w.Complete("CREATE SOURCE")
	}
	return sqlerr.At(sqlerr.SyntaxError, start+len(stmt)-len(strings.TrimLeft(stmt, " \t\n")),
		"syntax error at or near %q", strings.Fields(stmt)[0])
}

func (s *fakeSession) signalStarted() {
	select {
	case s.exec.started <- struct{}{}:
	default:
	}
}

// result sends one batch built from per-column JSON arrays.
func (s *fakeSession) result(w ResultWriter, cols []Column, jsonCols []string, tag string) error {
	if err := w.Columns(cols); err != nil {
		return err
	}
	arrs := make([]arrow.Array, len(cols))
	fields := make([]arrow.Field, len(cols))
	for i, c := range cols {
		arr, _, err := array.FromJSON(s.exec.mem, c.Type.Arrow(), strings.NewReader(jsonCols[i]))
		if err != nil {
			return fmt.Errorf("fake: column %s: %w", c.Name, err)
		}
		defer arr.Release()
		arrs[i] = arr
		fields[i] = arrow.Field{Name: c.Name, Type: arr.DataType(), Nullable: true}
	}
	rec := array.NewRecordBatch(arrow.NewSchema(fields, nil), arrs, int64(arrs[0].Len()))
	defer rec.Release()
	if err := w.Rows(rec); err != nil {
		return err
	}
	return w.Complete(tag)
}

// typeColumns is the column set of "select types": one column of every
// type, with a row of values and a row of NULLs.
var typeColumns = []struct {
	col  Column
	json string
}{
	{Column{Name: "b", Type: types.BoolType}, `[true, null]`},
	{Column{Name: "i2", Type: types.Int16Type}, `[-2, null]`},
	{Column{Name: "i4", Type: types.Int32Type, TableOID: 16384, Attr: 2}, `[2147483647, null]`},
	{Column{Name: "i8", Type: types.Int64Type}, `[-9223372036854775808, null]`},
	{Column{Name: "f4", Type: types.Float32Type}, `[1.5, null]`},
	{Column{Name: "f8", Type: types.Float64Type}, `[1234567.25, null]`},
	{Column{Name: "t", Type: types.TextType}, `["héllo, wörld", null]`},
	{Column{Name: "vc", Type: types.VarcharType}, `["", null]`},
	{Column{Name: "nm", Type: types.NameType}, `["pg_catalog", null]`},
	{Column{Name: "j", Type: types.JSONBType}, `["{\"a\": [1, 2]}", null]`},
	{Column{Name: "by", Type: types.ByteaType}, `["3q2+7w==", null]`},
	{Column{Name: "ts", Type: types.TimestampType}, `[1709212455123456, null]`},
	{Column{Name: "tstz", Type: types.TimestampTZType}, `[1709212455500000, null]`},
	{Column{Name: "d", Type: types.DateType}, `[19782, null]`},
	{Column{Name: "iv", Type: types.IntervalType}, `[{"months":14,"days":3,"nanoseconds":3723000000000}, null]`},
	{Column{Name: "o", Type: types.OidType}, `[4294967295, null]`},
	{Column{Name: "ai", Type: types.ArrayOf(types.Int32)}, `[[1, null, 3], null]`},
	{Column{Name: "at", Type: types.ArrayOf(types.Text)}, `[["a", "b c", "", "NULL", "q\"x"], null]`},
	{Column{Name: "u", Type: types.UnknownType}, `["lit", null]`},
}

func (s *fakeSession) selectTypes(w ResultWriter) error {
	cols := make([]Column, len(typeColumns))
	js := make([]string, len(typeColumns))
	for i, tc := range typeColumns {
		cols[i], js[i] = tc.col, tc.json
	}
	return s.result(w, cols, js, "SELECT 2")
}

// rows sends n int8 rows in batches of 1000; with block, it then waits
// for its context to end, like a continuous query.
func (s *fakeSession) rows(ctx context.Context, w ResultWriter, n int, block bool) error {
	if err := w.Columns([]Column{{Name: "n", Type: types.Int64Type}}); err != nil {
		return err
	}
	schema := arrow.NewSchema([]arrow.Field{{Name: "n", Type: arrow.PrimitiveTypes.Int64}}, nil)
	b := array.NewInt64Builder(s.exec.mem)
	defer b.Release()
	for sent := 0; sent < n; {
		batch := min(n-sent, 1000)
		if block {
			batch = n
		}
		for i := range batch {
			b.Append(int64(sent + i))
		}
		arr := b.NewArray()
		rec := array.NewRecordBatch(schema, []arrow.Array{arr}, int64(batch))
		err := w.Rows(rec)
		rec.Release()
		arr.Release()
		if err != nil {
			return err
		}
		sent += batch
		if err := ctx.Err(); err != nil {
			return err
		}
	}
	if block {
		s.signalStarted()
		<-ctx.Done()
		return ctx.Err()
	}
	return w.Complete(fmt.Sprintf("SELECT %d", n))
}

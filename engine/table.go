package engine

import (
	"fmt"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/tocsin-db/tocsin/engine/batch"
	"github.com/tocsin-db/tocsin/engine/durable"
	"github.com/tocsin-db/tocsin/engine/expr"
	"github.com/tocsin-db/tocsin/engine/query"
	"github.com/tocsin-db/tocsin/engine/view"
	"github.com/tocsin-db/tocsin/functions"
	"github.com/tocsin-db/tocsin/functions/scalar"
	"github.com/tocsin-db/tocsin/sql/ast"
	"github.com/tocsin-db/tocsin/sql/catalog"
	"github.com/tocsin-db/tocsin/sql/plan"
	"github.com/tocsin-db/tocsin/sql/sqlerr"
	"github.com/tocsin-db/tocsin/sql/types"
)

// Tables hold reference data (thresholds, service owners) that views
// join. Their rows live in a view.Store keyed by the primary key (or a
// row number), and each DML statement writes its changes to the data
// directory before it returns, so a table is as durable as a committed
// Postgres row. Statements on tables run one at a time (under e.mu);
// readers (queries, joins in views) use published snapshots.

// table is a table's runtime.
type table struct {
	obj   *catalog.Object
	store *view.Store
}

func (s *Session) createTable(st *ast.CreateTable, w ResultWriter) error {
	s.e.mu.Lock()
	defer s.e.mu.Unlock()
	if skip, err := s.exists(st.Name, st.IfNotExists, w); skip || err != nil {
		return err
	}
	obj, err := s.e.defineTable(st, s.e.cat.NextID())
	if err != nil {
		return err
	}
	if err := s.e.persist(obj); err != nil {
		return err
	}
	return s.e.addTable(obj)
}

// defineTable validates CREATE TABLE and builds its catalog object.
func (e *Engine) defineTable(st *ast.CreateTable, id uint32) (*catalog.Object, error) {
	if st.Name.Schema() != "" && st.Name.Schema() != "public" {
		return nil, sqlerr.At(sqlerr.FeatureNotSupported, st.Name.Off, "schemas other than public are not supported")
	}
	for _, o := range st.With {
		return nil, sqlerr.At(sqlerr.InvalidParameterValue, o.Off, "unknown table option %q", o.Key)
	}
	schema := make(types.Schema, 0, len(st.Columns))
	var key []int
	for i, c := range st.Columns {
		if schema.Index(c.Name) >= 0 {
			return nil, sqlerr.At(sqlerr.DuplicateColumn, c.Off, "column %q specified more than once", c.Name)
		}
		t, err := lookupType(c.Type)
		if err != nil {
			return nil, err
		}
		schema = append(schema, types.Column{Name: c.Name, Type: t, Nullable: !c.NotNull && !c.PrimaryKey})
		if c.PrimaryKey {
			key = append(key, i)
		}
	}
	if len(st.PrimaryKey) > 0 {
		if len(key) > 0 {
			return nil, sqlerr.At(sqlerr.InvalidObjectDefinition, st.Off, "multiple primary keys for table %q are not allowed", st.Name.Name())
		}
		for _, name := range st.PrimaryKey {
			i := schema.Index(name)
			if i < 0 {
				return nil, sqlerr.At(sqlerr.UndefinedColumn, st.Off, "column %q named in key does not exist", name)
			}
			key = append(key, i)
			schema[i].Nullable = false
		}
	}
	if len(schema) == 0 {
		return nil, sqlerr.At(sqlerr.InvalidObjectDefinition, st.Off, "a table needs at least one column")
	}
	return &catalog.Object{ID: id, Kind: catalog.KindTable, Name: st.Name.Name(), Schema: schema, SQL: st.Text,
		Table: &catalog.TableDef{Key: key}}, nil
}

// addTable registers a table and its (empty or restored) store.
func (e *Engine) addTable(obj *catalog.Object) error {
	if err := e.cat.Add(obj); err != nil {
		return err
	}
	t := &table{obj: obj, store: view.NewStore(obj.Schema, obj.Table.Key, false)}
	e.tables[obj.ID] = t
	e.views.Store(obj.ID, t.store)
	return nil
}

// commit makes a table's pending changes durable and visible.
func (e *Engine) commitTable(t *table) error {
	b := e.db.NewBatch()
	if err := t.store.Checkpoint(b.Sink(durable.StorePrefix(t.obj.ID)), false); err != nil {
		b.Discard()
		return err
	}
	if err := b.Commit(); err != nil {
		return sqlerr.Wrap(err, sqlerr.IOError, "write table %s", t.obj.Name)
	}
	t.store.Publish()
	return nil
}

// tableFor returns the runtime of a bound DML target.
func (e *Engine) tableFor(obj *catalog.Object) (*table, error) {
	t, ok := e.tables[obj.ID]
	if !ok {
		return nil, sqlerr.New(sqlerr.UndefinedTable, "relation %q does not exist", obj.Name)
	}
	return t, nil
}

// checkRows verifies NOT NULL and primary-key uniqueness of new rows
// against the table (minus the rows being replaced) and each other.
func checkRows(t *table, rows []arrow.RecordBatch, replacing map[string]bool) error {
	schema := t.obj.Schema
	seen := map[string]bool{}
	for _, rec := range rows {
		for c, col := range schema {
			if !col.Nullable && rec.Column(c).NullN() > 0 {
				return sqlerr.New(sqlerr.NotNullViolation, "null value in column %q of relation %q violates not-null constraint", col.Name, t.obj.Name)
			}
		}
		if len(t.obj.Table.Key) == 0 {
			continue
		}
		for i, k := range t.store.Keys(rec) {
			if seen[k] || (t.store.Has(k) && !replacing[k]) {
				names := make([]string, len(t.obj.Table.Key))
				vals := make([]string, len(t.obj.Table.Key))
				for j, c := range t.obj.Table.Key {
					names[j] = schema[c].Name
					vals[j] = functions.DatumAt(rec.Column(c), schema[c].Type, i).String()
				}
				return sqlerr.New(sqlerr.UniqueViolation, "duplicate key value violates unique constraint %q", t.obj.Name+"_pkey").
					WithDetail("Key (%s)=(%s) already exists.", strings.Join(names, ", "), strings.Join(vals, ", "))
			}
			seen[k] = true
		}
	}
	return nil
}

func (s *Session) insert(st *ast.Insert) (int64, error) {
	s.e.mu.Lock()
	defer s.e.mu.Unlock()
	ins, err := s.newBinder().BindInsert(st)
	if err != nil {
		return 0, err
	}
	t, err := s.e.tableFor(ins.Table)
	if err != nil {
		return 0, err
	}
	r := &query.Runner{Snap: s.e, Ctx: &functions.Context{Now: s.e.opts.Now().UnixMicro()}}
	src, err := r.Run(ins.Source)
	if err != nil {
		return 0, err
	}
	rows := make([]arrow.RecordBatch, 0, len(src))
	var n int64
	for _, rec := range src {
		rows = append(rows, widen(t.obj.Schema, ins.Columns, rec))
		n += rec.NumRows()
	}
	return n, s.e.writeRows(t, rows, nil)
}

// widen builds full table rows from a record holding the given columns;
// the others are NULL.
func widen(schema types.Schema, cols []int, rec arrow.RecordBatch) arrow.RecordBatch {
	n := rec.NumRows()
	arrs := make([]arrow.Array, len(schema))
	for i, c := range cols {
		arrs[c] = rec.Column(i)
	}
	for c := range arrs {
		if arrs[c] == nil {
			arrs[c] = array.MakeArrayOfNull(memory.DefaultAllocator, schema[c].Type.Arrow(), int(n))
		}
	}
	return array.NewRecordBatch(schema.Arrow(), arrs, n)
}

// writeRows checks and applies new rows (after deleting the replaced
// keys) and commits them.
func (e *Engine) writeRows(t *table, rows []arrow.RecordBatch, replaced []string) error {
	replacing := make(map[string]bool, len(replaced))
	for _, k := range replaced {
		replacing[k] = true
	}
	if err := checkRows(t, rows, replacing); err != nil {
		return err
	}
	t.store.DeleteKeys(replaced)
	for _, rec := range rows {
		if err := t.store.Apply(batch.Chunk{Rec: rec}); err != nil {
			return err
		}
	}
	return e.commitTable(t)
}

// matching returns the table's current rows (and keys) for which filter
// holds.
func matching(ctx *functions.Context, t *table, filter plan.Expr) ([]string, []arrow.RecordBatch, error) {
	var ev *expr.Evaluator
	if filter != nil {
		var err error
		if ev, err = expr.Compile(filter); err != nil {
			return nil, nil, err
		}
	}
	var keys []string
	var recs []arrow.RecordBatch
	err := t.store.ScanCurrent(1024, func(ks []string, rec arrow.RecordBatch) error {
		if ev == nil {
			keys = append(keys, ks...)
			recs = append(recs, rec)
			return nil
		}
		mask, err := ev.EvalArray(ctx, rec)
		if err != nil {
			return err
		}
		idx, all := batch.Selected(mask, nil)
		if all {
			keys = append(keys, ks...)
			recs = append(recs, rec)
			return nil
		}
		for _, i := range idx {
			keys = append(keys, ks[i])
		}
		if len(idx) > 0 {
			recs = append(recs, batch.Take(rec, idx))
		}
		return nil
	})
	return keys, recs, err
}

func (s *Session) update(st *ast.Update) (int64, error) {
	s.e.mu.Lock()
	defer s.e.mu.Unlock()
	u, err := s.newBinder().BindUpdate(st)
	if err != nil {
		return 0, err
	}
	t, err := s.e.tableFor(u.Table)
	if err != nil {
		return 0, err
	}
	ctx := &functions.Context{Now: s.e.opts.Now().UnixMicro()}
	keys, recs, err := matching(ctx, t, u.Filter)
	if err != nil || len(keys) == 0 {
		return 0, err
	}
	sets := map[int]*expr.Evaluator{}
	for c, x := range u.Set {
		if sets[c], err = expr.Compile(x); err != nil {
			return 0, err
		}
	}
	rows := make([]arrow.RecordBatch, len(recs))
	for i, rec := range recs {
		cols := append([]arrow.Array{}, rec.Columns()...)
		for c, ev := range sets {
			if cols[c], err = ev.EvalArray(ctx, rec); err != nil {
				return 0, err
			}
		}
		rows[i] = array.NewRecordBatch(rec.Schema(), cols, rec.NumRows())
	}
	return int64(len(keys)), s.e.writeRows(t, rows, keys)
}

func (s *Session) deleteRows(st *ast.Delete) (int64, error) {
	s.e.mu.Lock()
	defer s.e.mu.Unlock()
	d, err := s.newBinder().BindDelete(st)
	if err != nil {
		return 0, err
	}
	t, err := s.e.tableFor(d.Table)
	if err != nil {
		return 0, err
	}
	keys, _, err := matching(&functions.Context{Now: s.e.opts.Now().UnixMicro()}, t, d.Filter)
	if err != nil || len(keys) == 0 {
		return 0, err
	}
	t.store.DeleteKeys(keys)
	return int64(len(keys)), s.e.commitTable(t)
}

// parseCell converts one COPY field to a datum of the column's type.
func parseCell(field string, null bool, col types.Column, line int) (types.Datum, error) {
	if null {
		return types.NullDatum(col.Type), nil
	}
	d, err := scalar.ParseText(field, col.Type)
	if err != nil {
		se := sqlerr.As(err)
		c := *se
		c.Msg = fmt.Sprintf("%s (COPY line %d, column %s)", se.Msg, line, col.Name)
		return types.Datum{}, &c
	}
	return d, nil
}

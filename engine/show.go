package engine

import (
	"sort"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"

	"github.com/tocsin-db/tocsin/connectors"
	"github.com/tocsin-db/tocsin/functions"
	"github.com/tocsin-db/tocsin/sql/ast"
	"github.com/tocsin-db/tocsin/sql/catalog"
	"github.com/tocsin-db/tocsin/sql/sqlerr"
	"github.com/tocsin-db/tocsin/sql/types"
)

// resultTable builds a small result row by row.
type resultTable struct {
	cols []Column
	rows [][]types.Datum
}

func newTable(cols ...Column) *resultTable { return &resultTable{cols: cols} }

func col(name string, t types.Type) Column { return Column{Name: name, Type: t} }

func (t *resultTable) add(vals ...types.Datum) { t.rows = append(t.rows, vals) }

func (t *resultTable) write(w ResultWriter, tag string) error {
	if err := w.Columns(t.cols); err != nil {
		return err
	}
	if len(t.rows) > 0 {
		fields := make([]arrow.Field, len(t.cols))
		arrs := make([]arrow.Array, len(t.cols))
		for j, c := range t.cols {
			ds := make([]types.Datum, len(t.rows))
			for i, r := range t.rows {
				ds[i] = r[j]
				ds[i].Type = c.Type
			}
			arrs[j] = functions.BuildArray(c.Type, ds)
			fields[j] = arrow.Field{Name: c.Name, Type: c.Type.Arrow(), Nullable: true}
		}
		if err := w.Rows(array.NewRecordBatch(arrow.NewSchema(fields, nil), arrs, int64(len(t.rows)))); err != nil {
			return err
		}
	}
	if tag == "" {
		tag = "SHOW"
	}
	return w.Complete(tag)
}

func text(s string) types.Datum { return types.StringDatum(types.TextType, s) }
func i64(v int64) types.Datum   { return types.IntDatum(types.Int64Type, v) }
func nullable(d types.Datum, ok bool) types.Datum {
	if !ok {
		return types.NullDatum(d.Type)
	}
	return d
}

func (s *Session) show(st *ast.Show, w ResultWriter) error {
	switch st.Kind {
	case ast.ShowSources:
		return s.showSources(w)
	case ast.ShowMaterializedViews:
		return s.showViews(w)
	case ast.ShowSinks:
		return s.showSinks(w)
	case ast.ShowTables, ast.ShowViews:
		kind := map[ast.ShowKind]catalog.Kind{ast.ShowTables: catalog.KindTable, ast.ShowSinks: catalog.KindSink}[st.Kind]
		t := newTable(col("name", types.TextType))
		if kind != 0 {
			for _, o := range s.e.cat.List(kind) {
				t.add(text(o.Name))
			}
		}
		return t.write(w, "")
	case ast.ShowSilences:
		return s.showSilences(w)
	case ast.ShowInhibitions:
		return s.showInhibitions(w)
	case ast.ShowAlerts:
		return s.showAlerts(w)
	case ast.ShowColumns:
		return s.describe(&ast.Describe{Pos: st.Pos, Name: ast.Ident{Pos: st.Pos, Parts: []string{st.Name}}}, w)
	case ast.ShowAll:
		t := newTable(col("name", types.TextType), col("setting", types.TextType))
		names := make([]string, 0, len(s.vars))
		for k := range s.vars {
			names = append(names, k)
		}
		sort.Strings(names)
		for _, k := range names {
			t.add(text(k), text(s.vars[k]))
		}
		return t.write(w, "")
	case ast.ShowVariable:
		name := strings.ToLower(st.Name)
		v, ok := s.vars[name]
		if !ok {
			return sqlerr.At(sqlerr.UndefinedObject, st.Off, "unrecognized configuration parameter %q", st.Name)
		}
		t := newTable(col(name, types.TextType))
		t.add(text(v))
		return t.write(w, "")
	}
	return sqlerr.At(sqlerr.FeatureNotSupported, st.Off, "this SHOW is not supported yet")
}

// sourceStats adds up the readers of one source: records and malformed
// records are the furthest reader's (every reader sees the same input),
// late rows are summed over views (lateness depends on each view's
// windows), offsets are the slowest reader's (what lag is measured
// against), and the watermark is the lowest.
type sourceStats struct {
	records, rows, malformed, late int64
	wm                             int64
	hasWM                          bool
	offsets                        connectors.Offsets
	highs                          map[int32]int64
	readers                        int
}

func (e *Engine) statsOf(src uint32) sourceStats {
	st := sourceStats{highs: map[int32]int64{}}
	for _, j := range e.jobs {
		for _, in := range j.inputs {
			if in.obj.ID == src {
				st.addReader(&in.stats)
			}
		}
	}
	return st
}

func (st *sourceStats) addReader(s *jobStats) {
	st.readers++
	st.records = max(st.records, s.records.Load())
	st.rows = max(st.rows, s.rows.Load())
	st.malformed = max(st.malformed, s.malformed.Load())
	st.late += s.late.Load()
	if wm, ok := watermarkTime(s.watermark.Load()); ok && (!st.hasWM || wm < st.wm) {
		st.wm, st.hasWM = wm, true
	}
	offs, highs := s.progress()
	if st.offsets == nil {
		st.offsets = offs
	} else {
		for p, o := range offs {
			if cur, ok := st.offsets[p]; !ok || o < cur {
				st.offsets[p] = o
			}
		}
	}
	for p, h := range highs {
		st.highs[p] = max(st.highs[p], h)
	}
}

// watermarkTime reports a watermark, or false before the first one.
func watermarkTime(wm int64) (int64, bool) {
	return wm, wm != noWatermark
}

func (s *Session) showSources(w ResultWriter) error {
	t := newTable(
		col("name", types.TextType), col("connector", types.TextType), col("topic", types.TextType),
		col("format", types.TextType), col("watermark", types.TimestampType),
		col("records", types.Int64Type), col("accepted", types.Int64Type), col("dead_letters", types.Int64Type),
		col("late", types.Int64Type), col("offsets", types.TextType), col("lag", types.Int64Type), col("readers", types.Int64Type),
		col("backfill_percent", types.Float64Type), col("events_per_second", types.Float64Type), col("backfill_eta", types.IntervalType),
	)
	now := s.e.opts.Now()
	s.e.mu.Lock()
	defer s.e.mu.Unlock()
	for _, o := range s.e.cat.List(catalog.KindSource) {
		st := s.e.statsOf(o.ID)
		bf := s.e.sourceBackfill(o.ID, now)
		var lag int64
		for p, h := range st.highs {
			if off, ok := st.offsets[p]; ok && h > off {
				lag += h - off
			}
		}
		offsets := types.NullDatum(types.TextType)
		if len(st.offsets) > 0 {
			offsets = text(st.offsets.String())
		}
		format := strings.ToUpper(o.Source.Format + " " + o.Source.Encode)
		t.add(text(o.Name), text(o.Source.Connector), text(o.Source.Options["topic"]), text(strings.TrimSpace(format)),
			nullable(types.IntDatum(types.TimestampType, st.wm), st.hasWM),
			i64(st.records), i64(st.rows-st.late), i64(st.malformed), i64(st.late), offsets, i64(lag), i64(int64(st.readers)),
			nullable(float(bf.Percent), bf.Known), nullable(float(bf.Rate), bf.Known), nullable(interval(bf.ETA), bf.Known && bf.ETA >= 0))
	}
	return t.write(w, "")
}

func (s *Session) showViews(w ResultWriter) error {
	t := newTable(
		col("name", types.TextType), col("status", types.TextType), col("rows", types.Int64Type),
		col("records", types.Int64Type), col("lag", types.Int64Type),
		col("emit", types.TextType), col("error", types.TextType), col("definition", types.TextType),
	)
	s.e.mu.Lock()
	defer s.e.mu.Unlock()
	for _, o := range s.e.cat.List(catalog.KindMaterializedView) {
		status, rows, records, lag, errText := "stopped", int64(0), int64(0), int64(0), types.NullDatum(types.TextType)
		if j, ok := s.e.jobs[o.ID]; ok {
			var err error
			status, err = j.Status()
			if err != nil {
				errText = text(err.Error())
			}
			rows = int64(j.store.Read().Len())
			records = j.stats.records.Load()
			if len(j.inputs) > 0 {
				records = 0
			}
			for _, in := range j.inputs {
				records += in.stats.records.Load()
				offs, highs := in.stats.progress()
				for p, h := range highs {
					if h > offs[p] {
						lag += h - offs[p]
					}
				}
			}
		}
		emit := "on update"
		if o.View.Emit == ast.EmitOnWindowClose {
			emit = "on window close"
		}
		t.add(text(o.Name), text(status), i64(rows), i64(records), i64(lag), text(emit), errText, text(strings.TrimSpace(o.View.QueryText)))
	}
	return t.write(w, "")
}

func (s *Session) describe(st *ast.Describe, w ResultWriter) error {
	o, ok := s.e.cat.Lookup(st.Name.Name())
	if !ok {
		return sqlerr.At(sqlerr.UndefinedTable, st.Name.Off, "relation %q does not exist", st.Name.Name())
	}
	t := newTable(col("name", types.TextType), col("type", types.TextType), col("nullable", types.BoolType),
		col("is_key", types.BoolType), col("is_hidden", types.BoolType), col("description", types.TextType))
	key := map[int]bool{}
	if o.View != nil {
		for _, k := range o.View.Key {
			key[k] = true
		}
	}
	for i, c := range o.Schema {
		desc := types.NullDatum(types.TextType)
		if o.Source != nil && o.Source.EventTime == i {
			desc = text("event time; watermark " + formatWatermark(o))
		}
		t.add(text(c.Name), text(c.Type.String()), types.BoolDatum(c.Nullable), types.BoolDatum(key[i]), types.BoolDatum(c.Hidden), desc)
	}
	return t.write(w, "")
}

func formatWatermark(o *catalog.Object) string {
	if o.Source.Watermark == nil {
		return ""
	}
	return ast.Format(o.Source.Watermark)
}

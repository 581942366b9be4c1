package engine

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/tocsin-db/tocsin/connectors"
	"github.com/tocsin-db/tocsin/engine/durable"
	"github.com/tocsin-db/tocsin/engine/expr"
	"github.com/tocsin-db/tocsin/engine/physical"
	"github.com/tocsin-db/tocsin/engine/view"
	"github.com/tocsin-db/tocsin/functions"
	"github.com/tocsin-db/tocsin/sql/ast"
	"github.com/tocsin-db/tocsin/sql/catalog"
	"github.com/tocsin-db/tocsin/sql/sqlerr"
	"github.com/tocsin-db/tocsin/sql/types"
)

// exists handles a CREATE whose name is taken: with IF NOT EXISTS it
// sends Postgres's notice and reports true; otherwise it fails with
// 42P07.
func (s *Session) exists(name ast.Ident, ifNotExists bool, w ResultWriter) (bool, error) {
	o, ok := s.e.cat.Lookup(name.Name())
	if !ok {
		return false, nil
	}
	if ifNotExists {
		return true, w.Notice("NOTICE", fmt.Sprintf("relation %q already exists, skipping", o.Name))
	}
	return false, sqlerr.At(sqlerr.DuplicateTable, name.Off, "relation %q already exists", name.Name())
}

func options(opts []ast.Option) map[string]string {
	m := make(map[string]string, len(opts))
	for _, o := range opts {
		m[strings.ToLower(o.Key)] = o.Value
	}
	return m
}

func (s *Session) createSource(st *ast.CreateSource, w ResultWriter) error {
	s.e.mu.Lock()
	defer s.e.mu.Unlock()
	if skip, err := s.exists(st.Name, st.IfNotExists, w); skip || err != nil {
		return err
	}
	obj, err := s.e.defineSource(st, s.e.cat.NextID())
	if err != nil {
		return err
	}
	if errName := obj.Name + "_errors"; s.e.taken(errName) {
		return sqlerr.At(sqlerr.DuplicateTable, st.Name.Off, "relation %q (the dead-letter table of source %s) already exists", errName, obj.Name)
	}
	if err := s.e.persist(obj); err != nil {
		return err
	}
	return s.e.addSource(obj)
}

// taken reports whether a relation name is in use.
func (e *Engine) taken(name string) bool {
	_, ok := e.cat.Lookup(name)
	return ok
}

// persist stores an object's CREATE statement durably before it exists.
func (e *Engine) persist(obj *catalog.Object) error {
	err := e.db.PutCatalog(durable.CatalogEntry{ID: obj.ID, Kind: uint8(obj.Kind), Name: obj.Name, SQL: obj.SQL})
	if err != nil {
		return sqlerr.Wrap(err, sqlerr.IOError, "store the catalog")
	}
	return nil
}

// addSource adds a source and its dead-letter table to the catalog.
func (e *Engine) addSource(obj *catalog.Object) error {
	if err := e.cat.Add(obj); err != nil {
		return err
	}
	return e.cat.Add(deadLetterRelation(obj))
}

// defineSource validates CREATE SOURCE and builds its catalog object.
func (e *Engine) defineSource(st *ast.CreateSource, id uint32) (*catalog.Object, error) {
	if st.Name.Schema() != "" && st.Name.Schema() != "public" {
		return nil, sqlerr.At(sqlerr.FeatureNotSupported, st.Name.Off, "schemas other than public are not supported")
	}
	schema := make(types.Schema, 0, len(st.Columns))
	for _, c := range st.Columns {
		if schema.Index(c.Name) >= 0 {
			return nil, sqlerr.At(sqlerr.DuplicateColumn, c.Off, "column %q specified more than once", c.Name)
		}
		t, err := lookupType(c.Type)
		if err != nil {
			return nil, err
		}
		schema = append(schema, types.Column{Name: c.Name, Type: t, Nullable: !c.NotNull})
	}
	if len(schema) == 0 {
		return nil, sqlerr.At(sqlerr.InvalidObjectDefinition, st.Off, "a source needs at least one column")
	}
	def := &catalog.SourceDef{Options: options(st.With), Format: st.Format, Encode: st.Encode, EventTime: -1}
	def.Connector = def.Options["connector"]
	if def.Connector == "" {
		return nil, sqlerr.At(sqlerr.InvalidParameterValue, st.Off, "source %q needs a connector: WITH (connector = '...')", st.Name.Name())
	}
	factory, ok := e.opts.Connectors.Source(def.Connector)
	if !ok {
		return nil, sqlerr.At(sqlerr.InvalidParameterValue, st.Off, "unknown connector %q (available: %s)", def.Connector, strings.Join(e.opts.Connectors.SourceNames(), ", "))
	}
	if wm := st.Watermark; wm != nil {
		col := schema.Index(wm.Column)
		if col < 0 {
			return nil, sqlerr.At(sqlerr.UndefinedColumn, wm.Off, "column %q named in WATERMARK FOR does not exist", wm.Column)
		}
		if !schema[col].Type.IsTimestamp() {
			return nil, sqlerr.At(sqlerr.DatatypeMismatch, wm.Off, "WATERMARK FOR column %q must be a timestamp, not %s", wm.Column, schema[col].Type)
		}
		x, err := newBinderFor(e).BindScalar(wm.Expr, st.Name.Name(), schema)
		if err != nil {
			return nil, err
		}
		if x.Type() != schema[col].Type {
			return nil, sqlerr.At(sqlerr.DatatypeMismatch, wm.Expr.Position(), "watermark expression must be of type %s, not %s", schema[col].Type, x.Type())
		}
		// Events without an event time cannot be placed in windows: the
		// decoder rejects them like a missing required field.
		schema[col].Nullable = false
		def.EventTime, def.Watermark = col, wm.Expr
	}
	if _, err := startMode(def.Options); err != nil {
		return nil, err
	}
	obj := &catalog.Object{ID: id, Kind: catalog.KindSource, Name: st.Name.Name(), Schema: schema, SQL: st.Text, Source: def}
	spec, err := sourceSpec(obj, "")
	if err != nil {
		return nil, err
	}
	src, err := factory(spec)
	if err != nil {
		return nil, err
	}
	_ = src.Close()
	return obj, nil
}

func startMode(opts map[string]string) (connectors.StartMode, error) {
	switch strings.ToLower(opts["scan.startup.mode"]) {
	case "", "earliest":
		return connectors.StartEarliest, nil
	case "latest":
		return connectors.StartLatest, nil
	}
	return 0, sqlerr.New(sqlerr.InvalidParameterValue, "scan.startup.mode must be 'earliest' or 'latest', not %q", opts["scan.startup.mode"])
}

// Generic source options, handled by the engine for every connector.
const (
	optMaxRecordBytes  = "max.record.bytes"
	optDeadLetterBytes = "dead.letter.bytes"
)

// sourceSpec builds the connector's view of a source; the generic
// options are taken out of the connector's options.
func sourceSpec(src *catalog.Object, reader string) (connectors.SourceSpec, error) {
	group := "tocsin." + src.Name
	if reader != "" {
		group += "." + reader
	}
	spec := connectors.SourceSpec{
		Name: src.Name, Schema: src.Schema, Options: map[string]string{},
		Format: src.Source.Format, Encode: src.Source.Encode, GroupID: group,
	}
	for k, v := range src.Source.Options {
		switch k {
		case optMaxRecordBytes, optDeadLetterBytes:
			n, err := strconv.Atoi(v)
			if err != nil || n <= 0 {
				return spec, sqlerr.New(sqlerr.InvalidParameterValue, "%s must be a positive number of bytes, not %q", k, v)
			}
			if k == optMaxRecordBytes {
				spec.MaxRecordBytes = n
			} else {
				spec.DeadLetterBytes = n
			}
		default:
			spec.Options[k] = v
		}
	}
	return spec, nil
}

func lookupType(tn ast.TypeName) (types.Type, error) {
	name := tn.Name
	if tn.Array {
		name += "[]"
	}
	t, ok := types.LookupName(name)
	if !ok {
		return types.Type{}, sqlerr.At(sqlerr.UndefinedObject, tn.Off, "type %q does not exist", name)
	}
	return t, nil
}

// viewOptions are a materialized view's WITH (...) options.
type viewOptions struct {
	retention time.Duration // 0: keep forever
	keepLate  bool
}

func (e *Engine) parseViewOptions(opts []ast.Option) (viewOptions, error) {
	vo := viewOptions{retention: e.opts.DefaultRetention}
	for _, o := range opts {
		v := strings.ToLower(o.Value)
		switch strings.ToLower(o.Key) {
		case "retention":
			if v == "forever" || v == "none" {
				vo.retention = 0
				continue
			}
			iv, err := types.ParseInterval(o.Value, "")
			us, fixed := iv.Fixed()
			if err != nil || !fixed || us <= 0 {
				return vo, sqlerr.At(sqlerr.InvalidParameterValue, o.Off, "retention must be a positive interval such as '24 hours', or 'forever', not %q", o.Value)
			}
			vo.retention = time.Duration(us) * time.Microsecond
		case "late_rows":
			switch v {
			case "keep":
				vo.keepLate = true
			case "drop":
				vo.keepLate = false
			default:
				return vo, sqlerr.At(sqlerr.InvalidParameterValue, o.Off, "late_rows must be 'drop' or 'keep', not %q", o.Value)
			}
		default:
			return vo, sqlerr.At(sqlerr.InvalidParameterValue, o.Off, "unknown materialized view option %q (known: retention, late_rows)", o.Key)
		}
	}
	return vo, nil
}

func (s *Session) createView(st *ast.CreateView, w ResultWriter) error {
	s.e.mu.Lock()
	defer s.e.mu.Unlock()
	if skip, err := s.exists(st.Name, st.IfNotExists, w); skip || err != nil {
		return err
	}
	if st.OrReplace {
		return sqlerr.At(sqlerr.FeatureNotSupported, st.Off, "CREATE OR REPLACE MATERIALIZED VIEW is not supported; drop the view first")
	}
	obj, pipe, vo, err := s.e.defineView(st, s.e.cat.NextID())
	if err != nil {
		return err
	}
	if lateName := obj.Name + "_late"; vo.keepLate && s.e.taken(lateName) {
		return sqlerr.At(sqlerr.DuplicateTable, st.Name.Off, "relation %q (the late-row table of view %s) already exists", lateName, obj.Name)
	}
	j, err := s.e.newJob(obj, pipe, vo)
	if err != nil {
		return err
	}
	if err := s.e.persist(obj); err != nil {
		j.closeInputs()
		return err
	}
	if err := s.e.addView(obj, j, vo); err != nil {
		return err
	}
	return s.e.startView(j, false)
}

// defineView binds CREATE MATERIALIZED VIEW and lowers it to a pipeline.
func (e *Engine) defineView(st *ast.CreateView, id uint32) (*catalog.Object, *physical.Pipeline, viewOptions, error) {
	vo, err := e.parseViewOptions(st.With)
	if err != nil {
		return nil, nil, vo, err
	}
	b := newBinderFor(e)
	b.KeepGroupKeys = true
	p, err := b.BindQuery(st.Query)
	if err != nil {
		return nil, nil, vo, err
	}
	pipe, err := physical.BuildStream(p, st.Emit, e)
	if err != nil {
		return nil, nil, vo, sqlerr.Wrap(err, sqlerr.CodeOf(err), "")
	}
	if vo.keepLate && len(pipe.Windows) == 0 {
		return nil, nil, vo, sqlerr.At(sqlerr.InvalidParameterValue, st.Off, "late_rows = 'keep' needs a windowed view (TUMBLE or HOP); other views have no late rows")
	}
	schema := append(types.Schema{}, pipe.Out...)
	if len(st.Columns) > 0 {
		visible := schema.Visible()
		if len(st.Columns) > len(visible) {
			return nil, nil, vo, sqlerr.At(sqlerr.SyntaxError, st.Off, "CREATE MATERIALIZED VIEW specifies more column names than columns")
		}
		for i, name := range st.Columns {
			schema[visible[i]].Name = name
		}
	}
	seen := map[string]bool{}
	for _, c := range schema {
		if seen[c.Name] {
			return nil, nil, vo, sqlerr.At(sqlerr.DuplicateColumn, st.Off, "column %q specified more than once", c.Name).
				WithHint("Give the columns distinct names with AS.")
		}
		seen[c.Name] = true
	}
	obj := &catalog.Object{
		ID: id, Kind: catalog.KindMaterializedView, Name: st.Name.Name(), Schema: schema,
		SQL: st.Text, Deps: viewDeps(pipe),
		View: &catalog.ViewDef{Query: st.Query, QueryText: st.QueryText, Emit: st.Emit, Options: options(st.With),
			Key: pipe.Key, AppendOnly: pipe.AppendOnly, Time: pipe.Time, Plus: pipe.Plus},
	}
	return obj, pipe, vo, nil
}

// addView registers a view (and its late-row table) and its job, which
// is not started yet (see startView).
func (e *Engine) addView(obj *catalog.Object, j *job, vo viewOptions) error {
	if err := e.cat.Add(obj); err != nil {
		j.closeInputs()
		return err
	}
	if vo.keepLate {
		if err := e.cat.Add(lateRelation(obj, j.source)); err != nil {
			return err
		}
	}
	e.views.Store(obj.ID, j.store)
	e.jobs[obj.ID] = j
	return nil
}

// startView starts a view's job. A view reading another view and not yet
// attached to it subscribes, receiving the upstream's current rows first
// (a new view, or one whose state was never checkpointed).
func (e *Engine) startView(j *job, attached bool) error {
	j.start(e.ctx)
	if j.upstream == nil || attached {
		return nil
	}
	req := subscribeReq{sub: j.inbox, backfill: true, reply: make(chan error, 1)}
	select {
	case j.upstream.subReqs <- req:
	case <-j.upstream.done:
		return sqlerr.New(sqlerr.ObjectNotInPrerequisiteState, "materialized view %s is not running", j.upstream.view.Name)
	}
	select {
	case err := <-req.reply:
		return err
	case <-j.upstream.done:
		return sqlerr.New(sqlerr.ObjectNotInPrerequisiteState, "materialized view %s is not running", j.upstream.view.Name)
	}
}

// newInput connects a view to one source (not opened yet).
func (e *Engine) newInput(src *catalog.Object, view string) (*input, error) {
	factory, ok := e.opts.Connectors.Source(src.Source.Connector)
	if !ok {
		return nil, sqlerr.New(sqlerr.InvalidParameterValue, "unknown connector %q", src.Source.Connector)
	}
	spec, err := sourceSpec(src, view)
	if err != nil {
		return nil, err
	}
	in := &input{obj: src, offsets: connectors.Offsets{}, wm: noWatermark}
	in.stats.offsets, in.stats.highs = connectors.Offsets{}, map[int32]int64{}
	in.stats.watermark.Store(noWatermark)
	if in.conn, err = factory(spec); err != nil {
		return nil, err
	}
	if src.Source.Watermark != nil {
		x, err := newBinderFor(e).BindScalar(src.Source.Watermark, src.Name, src.Schema)
		if err == nil {
			in.wmExpr, err = expr.Compile(x)
		}
		if err != nil {
			_ = in.conn.Close()
			return nil, err
		}
	}
	return in, nil
}

// newJob builds the job that maintains a view (not started).
func (e *Engine) newJob(obj *catalog.Object, pipe *physical.Pipeline, vo viewOptions) (*job, error) {
	src := pipe.Source
	j := &job{
		view: obj, source: src, pipe: pipe,
		store: view.NewViewStore(obj.Schema, pipe.Key, pipe.Keyed),
		idle:  e.opts.IdleTimeout, now: e.opts.Now, log: e.log,
		fctx:    &functions.Context{},
		rounds:  make(chan *round, 1),
		subReqs: make(chan subscribeReq),
	}
	j.stats.offsets, j.stats.highs = connectors.Offsets{}, map[int32]int64{}
	j.stats.watermark.Store(noWatermark)
	sources := pipe.Inputs
	if len(sources) == 0 && src.Kind == catalog.KindSource {
		sources = []*catalog.Object{src}
	}
	for _, s := range sources {
		in, err := e.newInput(s, obj.Name)
		if err != nil {
			j.closeInputs()
			return nil, err
		}
		j.inputs = append(j.inputs, in)
	}
	if src.Kind == catalog.KindMaterializedView {
		up, ok := e.jobs[src.ID]
		if !ok {
			return nil, sqlerr.New(sqlerr.ObjectNotInPrerequisiteState, "materialized view %s is not running", src.Name)
		}
		j.upstream, j.inbox = up, newSubscription(obj.ID)
	} else if len(j.inputs) == 0 {
		return nil, sqlerr.New(sqlerr.FeatureNotSupported, "a materialized view over %s %s is not supported", src.Kind, src.Name)
	}
	if vo.retention > 0 && pipe.Time >= 0 {
		r := view.Retention{Keep: vo.retention.Microseconds(), Plus: pipe.Plus}
		if len(pipe.Key) > 0 {
			r.KeyCol = 0
		} else {
			r.Col = pipe.Time
		}
		j.store.SetRetention(r)
	}
	if vo.keepLate {
		if len(j.inputs) != 1 {
			j.closeInputs()
			return nil, sqlerr.New(sqlerr.FeatureNotSupported, "late_rows = 'keep' is supported on views that read one source")
		}
		j.late = newLateRows(src.Schema, func() int64 { return j.stats.watermark.Load() })
		for _, wa := range pipe.Windows {
			wa.LateSink = j.late.sink
		}
	}
	j.instrument()
	return j, nil
}

func (s *Session) drop(st *ast.Drop, w ResultWriter) error {
	s.e.mu.Lock()
	defer s.e.mu.Unlock()
	want := map[ast.ObjectKind]catalog.Kind{
		ast.ObjSource: catalog.KindSource, ast.ObjTable: catalog.KindTable,
		ast.ObjMaterializedView: catalog.KindMaterializedView, ast.ObjSink: catalog.KindSink,
	}[st.Kind]
	if want == 0 {
		return sqlerr.At(sqlerr.FeatureNotSupported, st.Off, "DROP %s is not supported", strings.ToUpper(st.Kind.String()))
	}
	// Resolve every name first, so a failure drops nothing.
	var targets []*catalog.Object
	for _, name := range st.Names {
		o, ok := s.e.cat.Lookup(name.Name())
		if !ok {
			if st.IfExists {
				if err := w.Notice("NOTICE", fmt.Sprintf("%s %q does not exist, skipping", st.Kind, name.Name())); err != nil {
					return err
				}
				continue
			}
			return sqlerr.At(sqlerr.UndefinedTable, name.Off, "%s %q does not exist", st.Kind, name.Name())
		}
		if o.Kind != want {
			return sqlerr.At(sqlerr.WrongObjectType, name.Off, "%q is not a %s", o.Name, st.Kind).
				WithHint("Use DROP %s to remove a %s.", strings.ToUpper(o.Kind.String()), o.Kind)
		}
		targets = append(targets, o)
	}
	var all []*catalog.Object
	for _, o := range targets {
		deps := s.e.cat.Dependents(o.ID)
		if len(deps) > 0 && !st.Cascade {
			names := make([]string, len(deps))
			for i, d := range deps {
				names[i] = fmt.Sprintf("%s %s depends on %s %s", d.Kind, d.Name, o.Kind, o.Name)
			}
			return sqlerr.New(sqlerr.DependentObjectsStillExist, "cannot drop %s %s because other objects depend on it", o.Kind, o.Name).
				WithDetail("%s", strings.Join(names, "\n")).
				WithHint("Use DROP ... CASCADE to drop the dependent objects too.")
		}
		for _, d := range deps {
			if err := w.Notice("NOTICE", fmt.Sprintf("drop cascades to %s %s", d.Kind, d.Name)); err != nil {
				return err
			}
		}
		all = append(all, deps...)
		all = append(all, o)
	}
	for _, o := range all {
		if err := s.e.dropLocked(o); err != nil {
			return err
		}
	}
	return nil
}

// dropLocked stops an object's job and removes it, with what it owns,
// durably. e.mu is held.
func (e *Engine) dropLocked(o *catalog.Object) error {
	if _, ok := e.cat.ByID(o.ID); !ok {
		return nil // dropped already (through two targets)
	}
	if j, ok := e.jobs[o.ID]; ok {
		j.stop()
		delete(e.jobs, o.ID)
		if j.sink != nil {
			e.alerting.firing.DeleteSink(o.Name)
		}
	}
	// A checkpoint in flight may hold the job's changes: let it commit
	// before the state goes (see Engine.ckptMu).
	e.ckptMu.Lock()
	err := e.db.DropObject(o.ID)
	e.ckptMu.Unlock()
	if err != nil {
		return sqlerr.Wrap(err, sqlerr.IOError, "drop %s", o.Name)
	}
	e.views.Delete(o.ID)
	delete(e.tables, o.ID)
	for _, owned := range e.cat.Owned(o.ID) {
		e.cat.Remove(owned.ID)
	}
	e.cat.Remove(o.ID)
	return nil
}

// viewDeps lists what a view reads: its source or upstream view, and the
// tables it joins.
func viewDeps(pipe *physical.Pipeline) []uint32 {
	deps := []uint32{pipe.Source.ID}
	for _, in := range pipe.Inputs {
		if in.ID != pipe.Source.ID {
			deps = append(deps, in.ID)
		}
	}
	for _, t := range pipe.Tables {
		deps = append(deps, t.ID)
	}
	return deps
}

// TableSnapshot implements physical.Env.
func (e *Engine) TableSnapshot(obj *catalog.Object) (func() *view.Snapshot, error) {
	t, ok := e.tables[obj.ID]
	if !ok {
		return nil, sqlerr.New(sqlerr.UndefinedTable, "table %q does not exist", obj.Name)
	}
	return t.store.Read, nil
}

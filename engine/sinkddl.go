package engine

import (
	"fmt"
	"io"
	"sort"
	"strings"
	"text/template"
	"time"

	"github.com/tocsin-db/tocsin/connectors"
	"github.com/tocsin-db/tocsin/engine/alert"
	"github.com/tocsin-db/tocsin/engine/physical"
	"github.com/tocsin-db/tocsin/sql/ast"
	"github.com/tocsin-db/tocsin/sql/catalog"
	"github.com/tocsin-db/tocsin/sql/parser"
	"github.com/tocsin-db/tocsin/sql/sqlerr"
	"github.com/tocsin-db/tocsin/sql/types"
)

// matchColumn is the column a FROM-form sink adds to its view's rows:
// whether the row satisfies the sink's WHERE.
const matchColumn = "_tocsin_match"

// sinkMode says what a sink sends.
type sinkMode uint8

const (
	// modeAlerts turns rows into alerts with a lifecycle.
	modeAlerts sinkMode = iota + 1
	// modeRows sends every change row as a record.
	modeRows
)

// sinkOptions are a sink's own options (not the lifecycle's, not a
// channel's).
var sinkOptionKeys = map[string]bool{
	"connector": true, "labels": true, "severity": true, "summary": true, "description": true,
	"mode": true, "delivery_deadline": true, "retry_initial": true, "retry_max": true,
}

// sinkDef is a bound CREATE SINK.
type sinkDef struct {
	mode     sinkMode
	labels   []int // label columns
	annots   []int // annotation columns
	match    int   // the match column, -1 if every row matches
	sevCol   int   // severity column, -1 for a constant
	sevConst alert.Severity
	// templates render annotations (summary, description) per row.
	templates []namedTemplate
	cfg       *alert.Config
	channels  map[string]connectors.ChannelSpec
	deadline  time.Duration
	retryMin  time.Duration
	retryMax  time.Duration
}

type namedTemplate struct {
	name string
	t    *template.Template
}

// sinkQuery is the query a sink's job runs: the AS query, or for the
// FROM form every column of the relation and whether the row satisfies
// WHERE.
//
// A rows-mode sink filters instead: over a changelog, WHERE turns an
// update that stops matching into the deletion of the row that matched.
func sinkQuery(st *ast.CreateSink, mode sinkMode) (ast.Query, error) {
	if st.From == nil {
		return st.Query, nil
	}
	cond := "true"
	if st.Where != nil {
		cond = ast.Format(st.Where)
	}
	text := fmt.Sprintf("SELECT *, coalesce((%s), false) AS %s FROM %s", cond, matchColumn, ast.Format(st.From))
	if mode == modeRows {
		text = fmt.Sprintf("SELECT * FROM %s WHERE %s", ast.Format(st.From), cond)
	}
	stmt, err := parser.ParseOne(text)
	if err != nil {
		return nil, err
	}
	sel, ok := stmt.(*ast.SelectStmt)
	if !ok {
		return nil, fmt.Errorf("BUG: sink query %q parsed as %T", text, stmt)
	}
	return sel.Query, nil
}

// defineSink binds CREATE SINK, lowers its query and validates its
// options and channels.
func (e *Engine) defineSink(st *ast.CreateSink, id uint32) (*catalog.Object, *physical.Pipeline, *sinkDef, error) {
	if st.Name.Schema() != "" && st.Name.Schema() != "public" {
		return nil, nil, nil, sqlerr.At(sqlerr.FeatureNotSupported, st.Name.Off, "schemas other than public are not supported")
	}
	mode, err := sinkModeOf(st)
	if err != nil {
		return nil, nil, nil, err
	}
	q, err := sinkQuery(st, mode)
	if err != nil {
		return nil, nil, nil, err
	}
	b := newBinderFor(e)
	b.KeepGroupKeys = true
	p, err := b.BindQuery(q)
	if err != nil {
		return nil, nil, nil, err
	}
	pipe, err := physical.BuildStream(p, ast.EmitOnUpdate, e)
	if err != nil {
		return nil, nil, nil, sqlerr.Wrap(err, sqlerr.CodeOf(err), "")
	}
	obj := &catalog.Object{ID: id, Kind: catalog.KindSink, Name: st.Name.Name(), Schema: append(types.Schema{}, pipe.Out...),
		SQL: st.Text, Deps: viewDeps(pipe)}
	if c := obj.Schema.Index(matchColumn); c >= 0 && st.From != nil {
		obj.Schema[c].Hidden = true
	}
	def, err := e.sinkDef(st, obj, pipe, mode)
	if err != nil {
		return nil, nil, nil, err
	}
	return obj, pipe, def, nil
}

// sinkModeOf reads a sink's mode: the mode option, else rows for a
// kafka connector and alerts for the rest.
func sinkModeOf(st *ast.CreateSink) (sinkMode, error) {
	opts := options(st.With)
	connector := opts["connector"]
	if connector == "" {
		return 0, sqlerr.At(sqlerr.InvalidParameterValue, st.Off, "sink %q needs a connector: WITH (connector = '...')", st.Name.Name())
	}
	switch m := strings.ToLower(opts["mode"]); m {
	case "":
		if connector == "kafka" {
			return modeRows, nil
		}
		return modeAlerts, nil
	case "alerts":
		return modeAlerts, nil
	case "rows":
		return modeRows, nil
	default:
		return 0, sqlerr.At(sqlerr.InvalidParameterValue, st.Off, "mode must be 'alerts' or 'rows', not %q", m)
	}
}

func (e *Engine) sinkDef(st *ast.CreateSink, obj *catalog.Object, pipe *physical.Pipeline, mode sinkMode) (*sinkDef, error) {
	opts := options(st.With)
	schema := obj.Schema
	def := &sinkDef{mode: mode, match: schema.Index(matchColumn), sevCol: -1, deadline: time.Hour, retryMin: 500 * time.Millisecond, retryMax: time.Minute}
	if st.From == nil || mode == modeRows {
		def.match = -1
	}
	for key, dst := range map[string]*time.Duration{"delivery_deadline": &def.deadline, "retry_initial": &def.retryMin, "retry_max": &def.retryMax} {
		if v, ok := opts[key]; ok {
			d, err := parseDuration(v)
			if err != nil || d <= 0 {
				return nil, sqlerr.At(sqlerr.InvalidParameterValue, st.Off, "%s must be a positive interval such as '30 seconds', not %q", key, v)
			}
			*dst = d
		}
	}
	if err := def.bindColumns(opts, schema, pipe, st); err != nil {
		return nil, err
	}
	cfg, used, err := alert.ParseConfig(obj.Name, opts)
	if err != nil {
		return nil, err
	}
	cfg.IDBase = int64(obj.ID) << 32
	for _, g := range cfg.GroupBy {
		if !def.hasLabel(schema, g) {
			return nil, sqlerr.At(sqlerr.InvalidParameterValue, st.Off, "group_by: %q is not a label of sink %q (labels: %s)", g, obj.Name, def.labelNames(schema))
		}
	}
	if cfg.ResolveTimeout == 0 && !pipe.Keyed {
		if _, set := opts["resolve_timeout"]; !set {
			cfg.ResolveTimeout = 5 * time.Minute
		}
	}
	def.cfg = cfg
	consumed := map[string]bool{}
	for _, k := range used {
		consumed[k] = true
	}
	// Channels: the top-level connector is "default"; channel.<name>.*
	// options define named channels.
	def.channels = map[string]connectors.ChannelSpec{}
	defOpts := map[string]string{}
	for k, v := range opts {
		switch {
		case strings.HasPrefix(k, "channel."):
			rest := strings.TrimPrefix(k, "channel.")
			name, key, ok := strings.Cut(rest, ".")
			if !ok || name == "" || key == "" {
				return nil, sqlerr.At(sqlerr.InvalidParameterValue, st.Off, "option %q: channel options are channel.<name>.<option>", k)
			}
			spec, ok := def.channels[name]
			if !ok {
				spec = connectors.ChannelSpec{Sink: obj.Name, Name: name, Options: map[string]string{}}
			}
			spec.Options[key] = v
			def.channels[name] = spec
		case k == "connector" || !sinkOptionKeys[k] && !consumed[k]:
			defOpts[k] = v
		}
	}
	def.channels["default"] = connectors.ChannelSpec{Sink: obj.Name, Name: "default", Options: defOpts}
	for name, spec := range def.channels {
		conn := spec.Options["connector"]
		if conn == "" {
			return nil, sqlerr.At(sqlerr.InvalidParameterValue, st.Off, "channel %q of sink %q needs channel.%s.connector", name, obj.Name, name)
		}
		if _, ok := e.opts.Channels.Channel(conn); !ok {
			return nil, sqlerr.At(sqlerr.InvalidParameterValue, st.Off, "unknown sink connector %q (available: %s)", conn, strings.Join(e.opts.Channels.Names(), ", "))
		}
	}
	for sev, route := range cfg.Routes {
		for _, ch := range route {
			if _, ok := def.channels[ch]; !ok {
				return nil, sqlerr.At(sqlerr.InvalidParameterValue, st.Off, "route.%s names channel %q, which sink %q does not define (channel.%s.connector = ...)", strings.ToLower(sev.String()), ch, obj.Name, ch)
			}
		}
	}
	for _, ch := range cfg.DefaultRoute {
		if _, ok := def.channels[ch]; !ok {
			return nil, sqlerr.At(sqlerr.InvalidParameterValue, st.Off, "route.default names channel %q, which sink %q does not define", ch, obj.Name)
		}
	}
	return def, nil
}

// bindColumns resolves labels, annotations, severity and the annotation
// templates against the sink's columns.
func (def *sinkDef) bindColumns(opts map[string]string, schema types.Schema, pipe *physical.Pipeline, st *ast.CreateSink) error {
	visible := map[int]bool{}
	for _, c := range schema.Visible() {
		if c != def.match {
			visible[c] = true
		}
	}
	isLabel := map[int]bool{}
	if v := opts["labels"]; v != "" {
		for _, name := range strings.Split(v, ",") {
			name = strings.TrimSpace(strings.ToLower(name))
			c := schema.Index(name)
			if c < 0 || !visible[c] {
				return sqlerr.At(sqlerr.UndefinedColumn, st.Off, "labels: column %q does not exist in the sink's rows", name)
			}
			def.labels = append(def.labels, c)
			isLabel[c] = true
		}
	} else {
		// The view's key without its window bounds; else its text columns.
		for _, c := range pipe.Key {
			if n := schema[c].Name; visible[c] && n != "window_start" && n != "window_end" {
				def.labels = append(def.labels, c)
				isLabel[c] = true
			}
		}
		if len(def.labels) == 0 {
			for _, c := range schema.Visible() {
				if visible[c] && schema[c].Type.IsString() {
					def.labels = append(def.labels, c)
					isLabel[c] = true
				}
			}
		}
	}
	if sev := opts["severity"]; sev != "" {
		if c := schema.Index(strings.ToLower(sev)); c >= 0 && visible[c] {
			def.sevCol = c
		} else {
			s, err := alert.ParseSeverity(sev)
			if err != nil {
				return sqlerr.At(sqlerr.InvalidParameterValue, st.Off, "severity must be P0, P1, P2, P3 or a column of the sink's rows, not %q", sev)
			}
			def.sevConst = s
		}
	}
	for _, c := range schema.Visible() {
		if visible[c] && !isLabel[c] && c != def.sevCol {
			def.annots = append(def.annots, c)
		}
	}
	for _, name := range []string{"summary", "description"} {
		text, ok := opts[name]
		if !ok {
			continue
		}
		t, err := template.New(name).Option("missingkey=error").Parse(text)
		if err == nil {
			// Render once over empty values: a column the rows lack fails
			// now, not on every row.
			probe := map[string]string{}
			for _, c := range schema {
				probe[c.Name] = ""
			}
			err = t.Execute(io.Discard, probe)
		}
		if err != nil {
			return sqlerr.At(sqlerr.InvalidParameterValue, st.Off, "%s template: %v", name, err)
		}
		def.templates = append(def.templates, namedTemplate{name: name, t: t})
	}
	sort.SliceStable(def.templates, func(a, b int) bool { return def.templates[a].name > def.templates[b].name })
	return nil
}

// createSink runs CREATE SINK: the sink's job reads its view (or source)
// and feeds the alert lifecycle or the row channel.
func (s *Session) createSink(st *ast.CreateSink, w ResultWriter) error {
	s.e.mu.Lock()
	defer s.e.mu.Unlock()
	if o, ok := s.e.cat.Lookup(st.Name.Name()); ok {
		if st.IfNotExists {
			return w.Notice("NOTICE", fmt.Sprintf("%s %q already exists, skipping", o.Kind, o.Name))
		}
		return sqlerr.At(sqlerr.DuplicateObject, st.Name.Off, "%s %q already exists", o.Kind, st.Name.Name())
	}
	obj, pipe, def, err := s.e.defineSink(st, s.e.cat.NextID())
	if err != nil {
		return err
	}
	j, err := s.e.newSinkJob(obj, pipe, def)
	if err != nil {
		return err
	}
	if err := s.e.persist(obj); err != nil {
		j.closeInputs()
		j.sink.close()
		return err
	}
	if err := s.e.cat.Add(obj); err != nil {
		j.closeInputs()
		j.sink.close()
		return err
	}
	s.e.jobs[obj.ID] = j
	return s.e.startView(j, false)
}

// newSinkJob builds a sink's job: a view job whose output feeds the
// sink's runtime instead of a queryable store.
func (e *Engine) newSinkJob(obj *catalog.Object, pipe *physical.Pipeline, def *sinkDef) (*job, error) {
	j, err := e.newJob(obj, pipe, viewOptions{retention: e.opts.DefaultRetention})
	if err != nil {
		return nil, err
	}
	rt, err := e.newSinkRuntime(obj, def)
	if err != nil {
		j.closeInputs()
		return nil, err
	}
	j.sink = rt
	return j, nil
}

// parseDuration reads Go duration syntax ('30s', '1h30m') or SQL
// interval text ('5 minutes').
func parseDuration(v string) (time.Duration, error) {
	if d, err := time.ParseDuration(strings.TrimSpace(v)); err == nil {
		return d, nil
	}
	iv, err := types.ParseInterval(v, "")
	if err != nil {
		return 0, err
	}
	us, fixed := iv.Fixed()
	if !fixed {
		return 0, fmt.Errorf("interval %q has months", v)
	}
	return time.Duration(us) * time.Microsecond, nil
}

// hasLabel reports whether name is one of the sink's labels (alertname
// and severity are labels of every alert).
func (def *sinkDef) hasLabel(schema types.Schema, name string) bool {
	if name == "alertname" || name == "severity" {
		return true
	}
	for _, c := range def.labels {
		if schema[c].Name == name {
			return true
		}
	}
	return false
}

func (def *sinkDef) labelNames(schema types.Schema) string {
	names := make([]string, len(def.labels))
	for i, c := range def.labels {
		names[i] = schema[c].Name
	}
	return strings.Join(names, ", ")
}

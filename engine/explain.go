package engine

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/tocsin-db/tocsin/engine/ops"
	"github.com/tocsin-db/tocsin/engine/physical"
	"github.com/tocsin-db/tocsin/engine/query"
	"github.com/tocsin-db/tocsin/functions"
	"github.com/tocsin-db/tocsin/sql/ast"
	"github.com/tocsin-db/tocsin/sql/catalog"
	"github.com/tocsin-db/tocsin/sql/plan"
	"github.com/tocsin-db/tocsin/sql/sqlerr"
	"github.com/tocsin-db/tocsin/sql/types"
)

// EXPLAIN prints plans as rows of one text column, "QUERY PLAN", one
// node per row, indented two spaces per level (as Postgres and
// plan.Explain do):
//
//   - EXPLAIN SELECT ... (and EXPLAIN TABLE v) prints the ad hoc query's
//     logical plan, then the streaming dataflow of every materialized
//     view it scans: the view's store at the top, its operators, and the
//     source (or upstream view) at the bottom. Operators are the
//     physical ones (engine/physical's pipeline), each with the details
//     of the logical plan node it was lowered from.
//   - EXPLAIN CREATE MATERIALIZED VIEW / CREATE SINK prints the
//     dataflow the statement would run, without creating anything.
//   - EXPLAIN ANALYZE adds, per operator of a running view, the rows in
//     and out, the batches and the time spent in the operator itself
//     since the view started (live counters, read without stopping the
//     view); for a SELECT it also runs the query and reports its rows and
//     time. tocsin_operators has the same counters as a table.

// explain runs EXPLAIN.
func (s *Session) explain(ctx context.Context, st *ast.Explain, w ResultWriter) error {
	var lines []string
	var err error
	switch in := st.Stmt.(type) {
	case nil:
		o, ok := s.e.cat.Lookup(st.View.Name())
		if !ok || o.Kind != catalog.KindMaterializedView {
			return sqlerr.At(sqlerr.UndefinedTable, st.View.Off, "materialized view %q does not exist", st.View.Name())
		}
		lines = s.e.explainView(o, st.Analyze)
	case *ast.SelectStmt:
		lines, err = s.explainSelect(ctx, in.Query, st.Analyze)
	case *ast.CreateView, *ast.CreateSink:
		if st.Analyze {
			return sqlerr.At(sqlerr.FeatureNotSupported, st.Off, "EXPLAIN ANALYZE cannot run a CREATE statement").
				WithHint("Create the view, then run EXPLAIN ANALYZE TABLE view_name (or query tocsin_operators).")
		}
		lines, err = s.e.explainCreate(in)
	default:
		return sqlerr.At(sqlerr.FeatureNotSupported, st.Off, "EXPLAIN supports SELECT, TABLE, CREATE MATERIALIZED VIEW and CREATE SINK")
	}
	if err != nil {
		return err
	}
	t := newTable(col("QUERY PLAN", types.TextType))
	for _, l := range lines {
		t.add(text(l))
	}
	return t.write(w, "EXPLAIN")
}

// explainSelect explains an ad hoc query and the views it reads.
func (s *Session) explainSelect(ctx context.Context, q ast.Query, analyze bool) ([]string, error) {
	p, err := s.newBinder().BindQuery(q)
	if err != nil {
		return nil, err
	}
	lines := strings.Split(strings.TrimSuffix(plan.Explain(p), "\n"), "\n")
	if analyze {
		start := time.Now()
		r := &query.Runner{Snap: s.e, Ctx: &functions.Context{Now: s.e.opts.Now().UnixMicro()}}
		recs, err := r.Run(p)
		if err != nil {
			return nil, err
		}
		var n int64
		for _, rec := range visibleRecords(p, recs) {
			n += rec.NumRows()
		}
		if ctx.Err() != nil {
			return nil, errCanceled()
		}
		lines = append(lines, fmt.Sprintf("Execution: rows=%d time=%s", n, formatMillis(time.Since(start))))
	}
	for _, v := range scannedViews(p) {
		lines = append(lines, s.e.explainView(v, analyze)...)
	}
	return lines, nil
}

// scannedViews lists the materialized views a plan scans, in plan order.
func scannedViews(p plan.Node) []*catalog.Object {
	var out []*catalog.Object
	seen := map[uint32]bool{}
	var walk func(n plan.Node)
	walk = func(n plan.Node) {
		if sc, ok := n.(*plan.Scan); ok && sc.Rel.Kind == catalog.KindMaterializedView && !seen[sc.Rel.ID] {
			seen[sc.Rel.ID] = true
			out = append(out, sc.Rel)
		}
		for _, c := range n.Children() {
			walk(c)
		}
	}
	walk(p)
	return out
}

// explainView prints a running view's dataflow.
func (e *Engine) explainView(v *catalog.Object, analyze bool) []string {
	e.mu.Lock()
	j := e.jobs[v.ID]
	e.mu.Unlock()
	if j == nil {
		return []string{fmt.Sprintf("Dataflow of materialized view %s: not running", v.Name)}
	}
	b := newBinderFor(e)
	b.KeepGroupKeys = true
	p, err := b.BindQuery(v.View.Query)
	if err != nil {
		p = nil // the details are best effort
	}
	status, _ := j.Status()
	df := dataflow{obj: v, pipe: j.pipe, plan: p, emit: v.View.Emit, job: j, analyze: analyze}
	return df.lines(fmt.Sprintf("Dataflow of materialized view %s (%s; %s)", v.Name, emitName(v.View.Emit), status))
}

// explainCreate prints the dataflow a CREATE MATERIALIZED VIEW or CREATE
// SINK would run.
func (e *Engine) explainCreate(st ast.Statement) ([]string, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	b := newBinderFor(e)
	b.KeepGroupKeys = true
	switch st := st.(type) {
	case *ast.CreateView:
		if !st.Materialized {
			return nil, sqlerr.At(sqlerr.FeatureNotSupported, st.Off, "CREATE VIEW is not supported; use CREATE MATERIALIZED VIEW")
		}
		obj, pipe, _, err := e.defineView(st, 0)
		if err != nil {
			return nil, err
		}
		p, _ := b.BindQuery(st.Query)
		df := dataflow{obj: obj, pipe: pipe, plan: p, emit: st.Emit}
		return df.lines(fmt.Sprintf("Dataflow of materialized view %s (%s)", obj.Name, emitName(st.Emit))), nil
	case *ast.CreateSink:
		obj, pipe, def, err := e.defineSink(st, 0)
		if err != nil {
			return nil, err
		}
		var p plan.Node
		if q, err := sinkQuery(st, def.mode); err == nil {
			p, _ = b.BindQuery(q)
		}
		df := dataflow{obj: obj, pipe: pipe, plan: p, emit: ast.EmitOnUpdate}
		return df.lines(fmt.Sprintf("Dataflow of sink %s (%s)", obj.Name, def.channels["default"].Options["connector"])), nil
	}
	return nil, fmt.Errorf("BUG: explainCreate of %T", st)
}

func emitName(m ast.EmitMode) string {
	if m == ast.EmitOnWindowClose {
		return "emit on window close"
	}
	return "emit on update"
}

// dataflow is what EXPLAIN prints for a view or sink: its pipeline, the
// logical plan it was lowered from (nil if unavailable) and, for a
// running view, its job.
type dataflow struct {
	obj     *catalog.Object
	pipe    *physical.Pipeline
	plan    plan.Node
	emit    ast.EmitMode
	job     *job
	analyze bool
}

// node is one line of a dataflow tree.
type node struct {
	text     string
	children []*node
}

func (d *dataflow) lines(title string) []string {
	list := d.operators()
	details := planDetails(d.plan, list)
	lineOf := func(i int) *node {
		jo := list[i]
		t := fmt.Sprintf("%s #%d", operatorKind(jo.op), i+1)
		if details[i] != "" {
			t += " " + details[i]
		}
		if d.analyze && jo.m != nil {
			t += fmt.Sprintf("  (rows in=%d out=%d batches=%d time=%s)", jo.m.rowsIn.Load(), jo.m.rowsOut.Load(),
				jo.m.batches.Load(), formatMillis(time.Duration(jo.m.nanos.Load())))
		}
		return &node{text: t}
	}
	// chain stacks operators [from, to) on top of bottom, returning the
	// top.
	chain := func(bottom *node, from, to int, side int) *node {
		for i := from; i < to; i++ {
			if list[i].side != side {
				continue
			}
			n := lineOf(i)
			n.children = []*node{bottom}
			bottom = n
		}
		return bottom
	}
	var top *node
	if d.pipe.Join != nil {
		join := -1
		for i, jo := range list {
			if _, ok := jo.op.(*ops.IntervalJoin); ok {
				join = i
			}
		}
		jn := lineOf(join)
		for s, in := range d.pipe.Inputs {
			jn.children = append(jn.children, chain(d.sourceNode(in, s), 0, join, s))
		}
		top = chain(jn, join+1, len(list), -1)
	} else {
		top = chain(d.sourceNode(d.pipe.Source, 0), 0, len(list), -1)
	}
	root := &node{text: d.rootText(), children: []*node{top}}
	out := []string{title}
	var walk func(n *node, depth int)
	walk = func(n *node, depth int) {
		out = append(out, strings.Repeat("  ", depth)+n.text)
		for _, c := range n.children {
			walk(c, depth+1)
		}
	}
	walk(root, 1)
	return out
}

// operators lists the dataflow's operators in the job's order.
func (d *dataflow) operators() []jobOperator {
	if d.job != nil {
		return d.job.operators()
	}
	j := &job{pipe: d.pipe}
	return j.operators()
}

// rootText describes the view's store or the sink.
func (d *dataflow) rootText() string {
	t := "Materialize " + d.obj.Name
	if d.obj.Kind == catalog.KindSink {
		t = "Sink " + d.obj.Name
	}
	if len(d.pipe.Key) > 0 {
		names := make([]string, len(d.pipe.Key))
		for i, k := range d.pipe.Key {
			names[i] = d.pipe.Out[k].Name
		}
		t += " key=[" + strings.Join(names, ", ") + "]"
	} else if d.pipe.Keyed {
		t += " key=[]"
	}
	if d.pipe.AppendOnly {
		t += " append-only"
	}
	if d.analyze && d.job != nil {
		rowsOut := int64(0)
		if d.job.meters != nil {
			rowsOut = d.job.meters.rowsOut.Load()
		}
		t += fmt.Sprintf("  (rows=%d changes=%d)", d.job.store.Read().Len(), rowsOut)
	}
	return t
}

// sourceNode describes input i of the dataflow.
func (d *dataflow) sourceNode(src *catalog.Object, i int) *node {
	if src.Kind == catalog.KindMaterializedView {
		return &node{text: "Upstream materialized view " + src.Name}
	}
	t := fmt.Sprintf("Source %s (%s", src.Name, src.Source.Connector)
	if topic := src.Source.Options["topic"]; topic != "" {
		t += ", topic " + topic
	}
	t += ")"
	if d.analyze && d.job != nil && i < len(d.job.inputs) {
		in := d.job.inputs[i]
		t += fmt.Sprintf("  (records=%d rows=%d batches=%d)", in.stats.records.Load(), in.stats.rows.Load(), in.stats.batches.Load())
	}
	return &node{text: t}
}

// planDetails finds, for each operator, the logical plan node it was
// lowered from and returns that node's description: the plan's nodes
// in post-order (the order lowering appends operators) are matched
// greedily by kind. Operators without a match get "".
func planDetails(p plan.Node, list []jobOperator) []string {
	out := make([]string, len(list))
	if p == nil {
		return out
	}
	var post []plan.Node
	var walk func(n plan.Node)
	walk = func(n plan.Node) {
		for _, c := range n.Children() {
			walk(c)
		}
		post = append(post, n)
	}
	walk(p)
	next := 0
	for i, jo := range list {
		for k := next; k < len(post); k++ {
			if lowersTo(post[k], jo.op) {
				first, _, _ := strings.Cut(plan.Explain(post[k]), "\n")
				_, rest, _ := strings.Cut(first, " ")
				out[i], next = rest, k+1
				break
			}
		}
	}
	return out
}

// lowersTo reports whether plan node n lowers to operator op.
func lowersTo(n plan.Node, op any) bool {
	switch op.(type) {
	case *ops.Filter:
		_, ok := n.(*plan.Filter)
		return ok
	case *ops.Project:
		_, ok := n.(*plan.Project)
		return ok
	case *ops.WindowAssign:
		_, ok := n.(*plan.WindowTVF)
		return ok
	case *ops.HashAgg, *ops.SessionAgg:
		_, ok := n.(*plan.Aggregate)
		return ok
	case *ops.Over:
		_, ok := n.(*plan.Window)
		return ok
	case *ops.LookupJoin, *ops.IntervalJoin:
		_, ok := n.(*plan.Join)
		return ok
	}
	return false
}

// formatMillis renders a duration in milliseconds with three decimals.
func formatMillis(d time.Duration) string {
	return fmt.Sprintf("%.3f ms", float64(d.Nanoseconds())/1e6)
}

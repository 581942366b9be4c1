package physical

import (
	"github.com/tocsin-db/tocsin/engine/expr"
	"github.com/tocsin-db/tocsin/engine/ops"
	"github.com/tocsin-db/tocsin/engine/view"
	"github.com/tocsin-db/tocsin/functions"
	"github.com/tocsin-db/tocsin/sql/ast"
	"github.com/tocsin-db/tocsin/sql/catalog"
	"github.com/tocsin-db/tocsin/sql/plan"
	"github.com/tocsin-db/tocsin/sql/sqlerr"
	"github.com/tocsin-db/tocsin/sql/types"
)

// Pipeline is a materialized view's streaming dataflow.
type Pipeline struct {
	// Source is the relation the pipeline reads.
	Source *catalog.Object
	// Ops are the operators, in order from the source.
	Ops []ops.Operator
	// Out is the output schema (the view's schema).
	Out types.Schema
	// Key lists the output columns that identify a row of a keyed view.
	Key []int
	// Keyed is true when rows are identified by Key: an aggregate's or an
	// updating view's rows are (a global aggregate's empty key names its
	// one row); other views append rows.
	Keyed bool
	// AppendOnly is true when the view never updates a row it emitted.
	AppendOnly bool
	// Aggs are the pipeline's aggregates (for late-row counts).
	Aggs []*ops.HashAgg
	// Windowed is true when the pipeline closes windows on watermarks.
	Windowed bool
	// Time locates the output column that carries event time, for
	// retention: for a keyed view it is Key[0] (BuildStream puts a window
	// bound first in the key), and Plus turns its value into the time a
	// row is final (the window size for window_start). Time is -1 when
	// the view has no event-time column.
	Time int
	Plus int64
	// Overs are the pipeline's streaming OVER windows (for late counts).
	Overs []*ops.Over
	// Windows are the pipeline's window assigners (for late counts and
	// the late-row side output).
	Windows []*ops.WindowAssign
	// Updating is true when the pipeline reads an updating view (its
	// input carries retractions).
	Updating bool
	// Tables are the tables the pipeline looks up (it depends on them).
	Tables []*catalog.Object
	// Two-input pipelines (an interval join of two sources) have
	// Inputs[i] feeding the operators Sides[i], which end in Join; Ops
	// then follow the join. Single-input pipelines leave these empty.
	Inputs []*catalog.Object
	Sides  [][]ops.Operator
	Join   *ops.IntervalJoin
}

// Env gives the lowering access to the engine's tables.
type Env interface {
	// TableSnapshot returns a function reading a table's current rows.
	TableSnapshot(obj *catalog.Object) (func() *view.Snapshot, error)
}

// colInfo is what lineage knows about one column.
type colInfo struct {
	// bound is set for window_start / window_end columns.
	bound *windowBound
	// eventTime is set for the source's watermarked column.
	eventTime bool
	// upKey is the column's position in the key of the updating view the
	// pipeline reads, or -1.
	upKey int
}

type windowBound struct {
	isEnd bool
	size  int64
	// session marks the bounds of a SESSION window: they become final
	// only in the session aggregate.
	session bool
}

// built is a lowered subtree.
type built struct {
	p    *Pipeline
	cols []colInfo
	// aggKeys are the output positions of the aggregate's keys, when the
	// subtree's top is (or projects) an aggregate.
	aggKeys []int
	agg     bool
	// updating: the rows at this point carry retractions.
	updating bool
	// proj and projIn are the last Project lowered and its input's
	// lineage; out is the output schema when keepUpstreamKey extends it.
	proj   *plan.Project
	projIn []colInfo
	out    types.Schema
}

// BuildStream lowers a view's plan. emit is the view's EMIT mode.
func BuildStream(n plan.Node, emit ast.EmitMode, env Env) (*Pipeline, error) {
	b, err := lower(n, emit, env)
	if err != nil {
		return nil, err
	}
	p := b.p
	p.Out = n.Schema()
	p.Time = -1
	if !b.agg && b.updating {
		// Rows of an updating input are identified by the upstream key,
		// which the view keeps (hidden if the select list drops it).
		if err := keepUpstreamKey(n, b); err != nil {
			return nil, err
		}
		p.Out = b.out
		p.Key = b.aggKeys
		p.Keyed = true
	}
	switch {
	case b.agg:
		p.Key, p.Keyed = b.aggKeys, true
		p.AppendOnly = emit == ast.EmitOnWindowClose
		// A window bound goes first in the key, so the rows of old
		// windows form a prefix of the view's ordered store.
		for i, k := range p.Key {
			if bd := b.cols[k].bound; bd != nil {
				p.Key[0], p.Key[i] = p.Key[i], p.Key[0]
				p.Time, p.Plus = k, bd.size
				if bd.isEnd {
					p.Plus = 0
				}
				break
			}
		}
	case b.updating:
		p.AppendOnly = false
		if len(p.Key) > 0 && b.cols[p.Key[0]].bound != nil {
			bd := b.cols[p.Key[0]].bound
			p.Time, p.Plus = p.Key[0], bd.size
			if bd.isEnd {
				p.Plus = 0
			}
		}
	default:
		p.AppendOnly = true
		for i, c := range b.cols {
			if c.eventTime || c.bound != nil {
				p.Time = i
				if c.bound != nil && !c.bound.isEnd {
					p.Plus = c.bound.size
				}
				break
			}
		}
	}
	if emit == ast.EmitOnWindowClose && !p.Windowed {
		return nil, sqlerr.New(sqlerr.FeatureNotSupported, "EMIT ON WINDOW CLOSE requires a windowed aggregation (GROUP BY window_start or window_end of a TUMBLE or HOP)")
	}
	return p, nil
}

func lower(n plan.Node, emit ast.EmitMode, env Env) (*built, error) {
	for _, e := range plan.NodeExprs(n) {
		if plan.ContainsSubquery(e) {
			return nil, sqlerr.New(sqlerr.FeatureNotSupported, "subqueries are not supported in a materialized view; join a table or build a view over a view instead")
		}
	}
	switch n := n.(type) {
	case *plan.Scan:
		cols := make([]colInfo, len(n.Rel.Schema))
		for i := range cols {
			cols[i].upKey = -1
		}
		switch n.Rel.Kind {
		case catalog.KindSource:
			if src := n.Rel.Source; src.EventTime >= 0 {
				cols[src.EventTime].eventTime = true
			}
			return &built{p: &Pipeline{Source: n.Rel}, cols: cols}, nil
		case catalog.KindMaterializedView:
			v := n.Rel.View
			if v.Time >= 0 {
				cols[v.Time].bound = &windowBound{size: v.Plus, isEnd: v.Plus == 0}
			}
			b := &built{p: &Pipeline{Source: n.Rel, Updating: !v.AppendOnly}, cols: cols, updating: !v.AppendOnly}
			if b.updating {
				for k, c := range v.Key {
					cols[c].upKey = k
				}
			}
			return b, nil
		}
		return nil, sqlerr.New(sqlerr.FeatureNotSupported, "a materialized view over %s %q is not supported yet", n.Rel.Kind, n.Rel.Name)
	case *plan.WindowTVF:
		in, err := lower(n.Input, emit, env)
		if err != nil {
			return nil, err
		}
		var wa *ops.WindowAssign
		if n.Kind == plan.Session {
			if in.updating {
				return nil, sqlerr.New(sqlerr.FeatureNotSupported, "SESSION windows over an updating view are not supported")
			}
			wa = ops.NewSessionAssign(n.TimeCol, n.Size, n.Schema())
		} else {
			wa = ops.NewWindowAssign(n.TimeCol, n.Size, n.Slide, n.Offset, n.Schema())
		}
		in.p.Ops = append(in.p.Ops, wa)
		in.p.Windows = append(in.p.Windows, wa)
		session := n.Kind == plan.Session
		in.cols = append(in.cols,
			colInfo{bound: &windowBound{size: n.Size, session: session}, upKey: -1},
			colInfo{bound: &windowBound{isEnd: true, size: n.Size, session: session}, upKey: -1})
		in.agg, in.aggKeys = false, nil
		return in, nil
	case *plan.Filter:
		in, err := lower(n.Input, emit, env)
		if err != nil {
			return nil, err
		}
		ev, err := expr.Compile(n.Pred)
		if err != nil {
			return nil, err
		}
		in.p.Ops = append(in.p.Ops, ops.NewFilter(ev, ops.CallStates(n.Pred)...))
		return in, nil
	case *plan.Project:
		in, err := lower(n.Input, emit, env)
		if err != nil {
			return nil, err
		}
		evs, err := expr.CompileAll(n.Exprs)
		if err != nil {
			return nil, err
		}
		in.p.Ops = append(in.p.Ops, ops.NewProject(evs, n.Schema(), ops.CallStates(n.Exprs...)...))
		cols := make([]colInfo, len(n.Exprs))
		for i := range cols {
			cols[i].upKey = -1
		}
		in.proj, in.projIn = n, in.cols
		var keys []int
		for _, k := range in.aggKeys {
			found := -1
			for i, e := range n.Exprs {
				if c, ok := e.(*plan.ColRef); ok && c.Idx == k {
					found = i
					break
				}
			}
			if found < 0 {
				// A key that is not projected would leave rows
				// unidentifiable; the binder keeps keys as hidden columns.
				return nil, sqlerr.New(sqlerr.FeatureNotSupported, "a materialized view must keep its GROUP BY keys")
			}
			keys = append(keys, found)
		}
		for i, e := range n.Exprs {
			if c, ok := e.(*plan.ColRef); ok {
				cols[i] = in.cols[c.Idx]
			}
		}
		in.cols, in.aggKeys = cols, keys
		return in, nil
	case *plan.Aggregate:
		return lowerAggregate(n, emit, env)
	case *plan.Join:
		return lowerJoin(n, emit, env)
	case *plan.Sort, *plan.Limit:
		return nil, sqlerr.New(sqlerr.FeatureNotSupported, "ORDER BY and LIMIT are not supported in a materialized view; apply them when querying it")
	case *plan.Values:
		return nil, sqlerr.New(sqlerr.FeatureNotSupported, "a materialized view must read a source")
	case *plan.SetOp:
		return nil, sqlerr.New(sqlerr.FeatureNotSupported, "%s in a materialized view is not supported yet; create one view per branch", setOpName(n))
	case *plan.With:
		return nil, sqlerr.New(sqlerr.FeatureNotSupported, "WITH (common table expressions) in a materialized view is not supported yet; build views over views instead")
	case *plan.Window:
		return lowerOver(n, emit, env)
	}
	return nil, sqlerr.New(sqlerr.FeatureNotSupported, "this query cannot be maintained as a materialized view yet")
}

func lowerAggregate(n *plan.Aggregate, emit ast.EmitMode, env Env) (*built, error) {
	in, err := lower(n.Input, emit, env)
	if err != nil {
		return nil, err
	}
	if in.agg {
		return nil, sqlerr.New(sqlerr.FeatureNotSupported, "an aggregate over an aggregate in one materialized view is not supported yet; build a view over the view instead")
	}
	if in.updating && emit == ast.EmitOnWindowClose {
		for _, c := range in.cols {
			if c.bound != nil {
				goto ok
			}
		}
		return nil, sqlerr.New(sqlerr.FeatureNotSupported, "EMIT ON WINDOW CLOSE over an updating view needs a window bound of that view in GROUP BY")
	}
ok:
	inSchema := n.Input.Schema()
	for _, col := range n.Keys {
		if b := in.cols[col].bound; b != nil && b.session {
			return lowerSession(n, in, emit)
		}
	}
	cfg := ops.HashAggConfig{Input: inSchema, Keys: n.Keys, Out: n.Schema(), EmitOnClose: emit == ast.EmitOnWindowClose}
	retract := in.updating
	for k, col := range n.Keys {
		if b := in.cols[col].bound; b != nil && cfg.Window == nil {
			plus := b.size
			if b.isEnd {
				plus = 0
			}
			cfg.Window = &ops.WindowClose{KeyCol: k, Plus: plus}
		}
	}
	if cfg.EmitOnClose && cfg.Window == nil {
		return nil, sqlerr.New(sqlerr.FeatureNotSupported, "EMIT ON WINDOW CLOSE requires GROUP BY window_start or window_end of a TUMBLE or HOP window")
	}
	for _, a := range n.Aggs {
		spec, err := AggSpec(a, retract)
		if err != nil {
			return nil, err
		}
		cfg.Aggs = append(cfg.Aggs, spec)
	}
	h := ops.NewHashAgg(cfg)
	in.p.Ops = append(in.p.Ops, h)
	in.p.Aggs = append(in.p.Aggs, h)
	in.p.Windowed = in.p.Windowed || cfg.Window != nil
	out := make([]colInfo, len(n.Keys)+len(n.Aggs))
	for i := range out {
		out[i].upKey = -1
	}
	keys := make([]int, len(n.Keys))
	for k, col := range n.Keys {
		out[k] = in.cols[col]
		out[k].upKey = -1
		keys[k] = k
	}
	in.cols, in.aggKeys, in.agg = out, keys, true
	in.updating = emit != ast.EmitOnWindowClose
	return in, nil
}

// AggSpec builds an aggregate's state and its constructor; retract asks
// for states that accept retractions (an updating input).
func AggSpec(a plan.AggCall, retract bool) (ops.AggSpec, error) {
	mk := func() (functions.GroupState, error) { return a.Fn.New(a.ArgTypes, a.Options(retract)) }
	st, err := mk()
	if err != nil {
		return ops.AggSpec{}, err
	}
	return ops.AggSpec{State: st, New: mk, Args: a.Args, Filter: a.Filter}, nil
}

// keepUpstreamKey makes a view over an updating view carry that view's
// key: it finds each key column in the output, or appends it to the
// final projection as a hidden column, and sets the built key.
func keepUpstreamKey(n plan.Node, b *built) error {
	proj, ok := n.(*plan.Project)
	if !ok || proj != b.proj {
		return sqlerr.New(sqlerr.FeatureNotSupported, "this view over an updating view cannot be maintained yet")
	}
	out := proj.Schema()
	exprs := append([]plan.Expr{}, proj.Exprs...)
	keyCount := 0
	for _, c := range b.projIn {
		if c.upKey >= 0 {
			keyCount++
		}
	}
	keys := make([]int, keyCount)
	for k := 0; k < keyCount; k++ {
		found := -1
		for i, c := range b.cols {
			if c.upKey == k {
				found = i
				break
			}
		}
		if found < 0 {
			for j, c := range b.projIn {
				if c.upKey != k {
					continue
				}
				in := proj.Input.Schema()
				exprs = append(exprs, &plan.ColRef{Idx: j, Typ: in[j].Type, Name: in[j].Name})
				out = append(out, types.Column{Name: "_key_" + in[j].Name, Type: in[j].Type, Nullable: true, Hidden: true})
				found = len(exprs) - 1
				b.cols = append(b.cols, c)
				break
			}
		}
		if found < 0 {
			return sqlerr.New(sqlerr.FeatureNotSupported, "a view over an updating view must keep that view's key")
		}
		keys[k] = found
	}
	if len(exprs) != len(proj.Exprs) {
		evs, err := expr.CompileAll(exprs)
		if err != nil {
			return err
		}
		b.p.Ops[len(b.p.Ops)-1] = ops.NewProject(evs, out, ops.CallStates(exprs...)...)
	}
	b.out, b.aggKeys = out, keys
	return nil
}

// lowerSession lowers an aggregate grouped by the bounds of a SESSION
// window into a SessionAgg.
func lowerSession(n *plan.Aggregate, in *built, emit ast.EmitMode) (*built, error) {
	cfg := ops.SessionAggConfig{Input: n.Input.Schema(), Keys: n.Keys, Out: n.Schema(), StartKey: -1, EndKey: -1,
		EmitOnClose: emit == ast.EmitOnWindowClose}
	for k, col := range n.Keys {
		if b := in.cols[col].bound; b != nil && b.session {
			cfg.Gap = b.size
			if b.isEnd {
				cfg.EndKey = k
			} else {
				cfg.StartKey = k
			}
		}
	}
	for _, a := range n.Aggs {
		spec, err := AggSpec(a, false)
		if err != nil {
			return nil, err
		}
		cfg.Aggs = append(cfg.Aggs, spec)
	}
	in.p.Ops = append(in.p.Ops, ops.NewSessionAgg(cfg))
	in.p.Windowed = true
	out := make([]colInfo, len(n.Keys)+len(n.Aggs))
	keys := make([]int, len(n.Keys))
	for i := range out {
		out[i].upKey = -1
	}
	for k, col := range n.Keys {
		out[k] = in.cols[col]
		out[k].upKey = -1
		if b := out[k].bound; b != nil && b.session {
			// Outside the aggregate the session bounds are final values
			// whose row closes when the watermark passes window_end.
			out[k].bound = &windowBound{isEnd: b.isEnd, size: 0}
		}
		keys[k] = k
	}
	in.cols, in.aggKeys, in.agg = out, keys, true
	in.updating = emit != ast.EmitOnWindowClose
	return in, nil
}

func setOpName(n *plan.SetOp) string {
	name := n.Kind.String()
	if n.All {
		name += " ALL"
	}
	return name
}

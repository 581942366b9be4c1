package physical

import (
	"math"

	"github.com/tocsin-db/tocsin/engine/expr"
	"github.com/tocsin-db/tocsin/engine/ops"
	"github.com/tocsin-db/tocsin/sql/ast"
	"github.com/tocsin-db/tocsin/sql/catalog"
	"github.com/tocsin-db/tocsin/sql/plan"
	"github.com/tocsin-db/tocsin/sql/sqlerr"
	"github.com/tocsin-db/tocsin/sql/types"
)

// lowerIntervalJoin lowers an inner join of two sources whose event
// times are bounded against each other, e.g.
// a.k = b.k AND b.ts BETWEEN a.ts AND a.ts + INTERVAL '5' MINUTE.
func lowerIntervalJoin(n *plan.Join, emit ast.EmitMode, env Env) (*built, error) {
	if n.Kind != plan.JoinInner {
		return nil, sqlerr.New(sqlerr.FeatureNotSupported, "%s JOIN of two streams is not supported in a materialized view (an interval join is an inner join)", n.Kind)
	}
	if len(n.EquiKeys) == 0 {
		return nil, sqlerr.New(sqlerr.FeatureNotSupported, "a join of two streams needs equality conditions between them")
	}
	left, err := lower(n.Left, emit, env)
	if err != nil {
		return nil, err
	}
	right, err := lower(n.Right, emit, env)
	if err != nil {
		return nil, err
	}
	for _, b := range []*built{left, right} {
		switch {
		case b.agg || b.updating:
			return nil, sqlerr.New(sqlerr.FeatureNotSupported, "interval joins read append-only streams, not aggregates or updating views")
		case b.p.Source.Kind != catalog.KindSource || len(b.p.Inputs) > 0:
			return nil, sqlerr.New(sqlerr.FeatureNotSupported, "interval joins read two sources directly")
		}
	}
	lt, rt := eventTimeCol(left), eventTimeCol(right)
	if lt < 0 || rt < 0 {
		return nil, sqlerr.New(sqlerr.FeatureNotSupported, "both sides of a join of two streams need an event-time column (WATERMARK FOR) in the select list of each side")
	}
	nl := len(n.Left.Schema())
	lower, upper, ok := timeBounds(n.Residual, lt, nl+rt)
	if !ok {
		return nil, sqlerr.New(sqlerr.FeatureNotSupported, "a join of two streams must bound their event times on both sides, e.g. b.ts BETWEEN a.ts AND a.ts + INTERVAL '5' MINUTE")
	}
	cfg := ops.IntervalJoinConfig{Left: n.Left.Schema(), Right: n.Right.Schema(), LeftTime: lt, RightTime: rt,
		Lower: lower, Upper: upper, Out: n.Schema()}
	for _, k := range n.EquiKeys {
		cfg.LeftKeys, cfg.RightKeys = append(cfg.LeftKeys, k.Left), append(cfg.RightKeys, k.Right)
	}
	if n.Residual != nil {
		if cfg.Residual, err = expr.Compile(n.Residual); err != nil {
			return nil, err
		}
	}
	ij := ops.NewIntervalJoin(cfg)
	p := &Pipeline{
		Source:  left.p.Source,
		Inputs:  []*catalog.Object{left.p.Source, right.p.Source},
		Sides:   [][]ops.Operator{left.p.Ops, right.p.Ops},
		Join:    ij,
		Windows: append(append([]*ops.WindowAssign{}, left.p.Windows...), right.p.Windows...),
		Tables:  append(append([]*catalog.Object{}, left.p.Tables...), right.p.Tables...),
	}
	cols := append(append([]colInfo{}, left.cols...), right.cols...)
	return &built{p: p, cols: cols}, nil
}

func eventTimeCol(b *built) int {
	for i, c := range b.cols {
		if c.eventTime {
			return i
		}
	}
	return -1
}

// timeBounds reads the residual's conjuncts comparing the right time
// column R and the left time column L (with constant intervals added or
// subtracted) and returns the bounds on R - L, in microseconds.
func timeBounds(residual plan.Expr, l, r int) (int64, int64, bool) {
	lower, upper := int64(math.MinInt64), int64(math.MaxInt64)
	if residual == nil {
		return 0, 0, false
	}
	for _, c := range plan.Conjuncts(residual) {
		call, ok := c.(*plan.Call)
		if !ok || len(call.Args) != 2 {
			continue
		}
		op := call.Fn.Name
		if op != ">=" && op != ">" && op != "<=" && op != "<" {
			continue
		}
		xc, xo, ok1 := timeTerm(call.Args[0])
		yc, yo, ok2 := timeTerm(call.Args[1])
		if !ok1 || !ok2 {
			continue
		}
		// x + xo op y + yo  <=>  x - y op yo - xo
		var bound int64
		switch {
		case xc == r && yc == l:
			bound = yo - xo
		case xc == l && yc == r:
			// -(r - l) op yo - xo  <=>  r - l flip(op) xo - yo
			bound = xo - yo
			op = map[string]string{">=": "<=", ">": "<", "<=": ">=", "<": ">"}[op]
		default:
			continue
		}
		switch op {
		case ">=":
			lower = max(lower, bound)
		case ">":
			lower = max(lower, bound+1)
		case "<=":
			upper = min(upper, bound)
		case "<":
			upper = min(upper, bound-1)
		}
	}
	if lower == math.MinInt64 || upper == math.MaxInt64 || lower > upper {
		return 0, 0, false
	}
	return lower, upper, true
}

// timeTerm recognises col, col + interval, col - interval and
// interval + col, returning the column and the offset in microseconds.
func timeTerm(e plan.Expr) (int, int64, bool) {
	switch x := e.(type) {
	case *plan.ColRef:
		return x.Idx, 0, x.Typ.IsTimestamp()
	case *plan.Call:
		if len(x.Args) != 2 || (x.Fn.Name != "+" && x.Fn.Name != "-") {
			return 0, 0, false
		}
		col, iv := x.Args[0], x.Args[1]
		if x.Fn.Name == "+" {
			if _, isCol := iv.(*plan.ColRef); isCol {
				col, iv = iv, col
			}
		}
		c, ok := col.(*plan.ColRef)
		k, ok2 := iv.(*plan.Const)
		if !ok || !ok2 || k.Val.Null || k.Val.Type.Kind != types.Interval {
			return 0, 0, false
		}
		us, fixed := k.Val.Iv.Fixed()
		if !fixed {
			return 0, 0, false
		}
		if x.Fn.Name == "-" {
			us = -us
		}
		return c.Idx, us, true
	}
	return 0, 0, false
}

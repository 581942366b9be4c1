package binder

import (
	"github.com/tocsin-db/tocsin/functions"
	"github.com/tocsin-db/tocsin/sql/ast"
	"github.com/tocsin-db/tocsin/sql/plan"
	"github.com/tocsin-db/tocsin/sql/sqlerr"
	"github.com/tocsin-db/tocsin/sql/types"
	"slices"
)

// This file binds window function calls (f(...) OVER (...)) and the
// WINDOW clause, and builds the plan.Window nodes of a SELECT. Window
// functions are computed after grouping and HAVING and before DISTINCT,
// ORDER BY and LIMIT, as in Postgres.

// winCtx collects the window function calls of one SELECT block.
type winCtx struct {
	named map[string]*ast.WindowSpec
	calls []pendingWin
	// nested is set while a call's arguments, partition and order are
	// bound, where another window function is an error.
	nested bool
}

// pendingWin is a bound window call before its expressions are
// projected into input columns.
type pendingWin struct {
	call      plan.WindowCall
	args      []plan.Expr
	filter    plan.Expr
	partition []plan.Expr
	order     []winOrder
}

type winOrder struct {
	expr             plan.Expr
	desc, nullsFirst bool
}

// newWinCtx resolves a SELECT's WINDOW clause; a definition may build on
// an earlier one.
func newWinCtx(defs []ast.NamedWindow) (*winCtx, error) {
	w := &winCtx{named: map[string]*ast.WindowSpec{}}
	for _, d := range defs {
		if _, dup := w.named[d.Name]; dup {
			return nil, sqlerr.At(sqlerr.WindowingError, d.Off, "window %q is already defined", d.Name)
		}
		spec, err := w.resolveSpec(d.Spec)
		if err != nil {
			return nil, err
		}
		w.named[d.Name] = spec
	}
	return w, nil
}

// resolveSpec merges a window specification with the named window it
// refers to, under Postgres's copy rules.
func (w *winCtx) resolveSpec(s *ast.WindowSpec) (*ast.WindowSpec, error) {
	if s.Ref == "" {
		return s, nil
	}
	base, ok := w.named[s.Ref]
	if !ok {
		return nil, sqlerr.At(sqlerr.UndefinedObject, s.Off, "window %q does not exist", s.Ref)
	}
	if len(s.PartitionBy) == 0 && len(s.OrderBy) == 0 && s.Frame == nil {
		return base, nil
	}
	switch {
	case len(s.PartitionBy) > 0:
		return nil, sqlerr.At(sqlerr.WindowingError, s.Off, "cannot override PARTITION BY clause of window %q", s.Ref)
	case len(s.OrderBy) > 0 && len(base.OrderBy) > 0:
		return nil, sqlerr.At(sqlerr.WindowingError, s.Off, "cannot override ORDER BY clause of window %q", s.Ref)
	case base.Frame != nil:
		return nil, sqlerr.At(sqlerr.WindowingError, s.Off, "cannot copy window %q because it has a frame clause", s.Ref)
	}
	out := &ast.WindowSpec{Pos: s.Pos, PartitionBy: base.PartitionBy, OrderBy: base.OrderBy, Frame: s.Frame}
	if len(s.OrderBy) > 0 {
		out.OrderBy = s.OrderBy
	}
	return out, nil
}

// windowNotAllowed is the error for a window call where none may be.
func (b *Binder) windowNotAllowed(f *ast.FuncCall) error {
	switch b.noWindow {
	case "":
		return sqlerr.At(sqlerr.WindowingError, f.Off, "window functions are not allowed here")
	case "aggregate":
		return sqlerr.At(sqlerr.GroupingError, f.Off, "aggregate function calls cannot contain window function calls")
	}
	return sqlerr.At(sqlerr.WindowingError, f.Off, "window functions are not allowed in %s", b.noWindow)
}

// bindWindowCall binds f(...) OVER (...) in a select list or ORDER BY
// and returns a WindowRef to its result.
func (b *Binder) bindWindowCall(f *ast.FuncCall, sc *scope, agg *aggCtx) (plan.Expr, error) {
	if agg == nil || agg.win == nil {
		return nil, b.windowNotAllowed(f)
	}
	w := agg.win
	if w.nested {
		return nil, sqlerr.At(sqlerr.WindowingError, f.Off, "window function calls cannot be nested")
	}
	spec, err := w.resolveSpec(f.Over)
	if err != nil {
		return nil, err
	}
	w.nested = true
	defer func() { w.nested = false }()

	p := pendingWin{call: plan.WindowCall{Name: f.Name, Filter: -1}}
	args := make([]plan.Expr, 0, len(f.Args))
	for _, a := range f.Args {
		x, err := b.bindExpr(a, sc, agg)
		if err != nil {
			return nil, err
		}
		args = append(args, x)
	}
	if d, ok := b.reg.Detector(f.Name); ok {
		if args, err = b.bindDetector(f, d, args, &p.call); err != nil {
			return nil, err
		}
	} else if d, ok := lookupWindowFunc(f); ok {
		switch {
		case f.Distinct:
			return nil, sqlerr.At(sqlerr.WrongObjectType, f.Off, "DISTINCT specified, but %s is not an aggregate function", f.Name)
		case len(f.OrderBy) > 0 || len(f.WithinGroup) > 0:
			return nil, sqlerr.At(sqlerr.WrongObjectType, f.Off, "ORDER BY specified, but %s is not an aggregate function", f.Name)
		case f.Filter != nil:
			return nil, sqlerr.At(sqlerr.FeatureNotSupported, f.Off, "FILTER is not implemented for non-aggregate window functions")
		case f.Star:
			return nil, sqlerr.At(sqlerr.UndefinedFunction, f.Off, "function %s(*) does not exist", f.Name)
		}
		if args, p.call.Typ, err = b.typeWindowArgs(f, d, args); err != nil {
			return nil, err
		}
		p.call.Kind = d.kind
	} else if err := b.bindWindowAggregate(f, sc, agg, &p, args); err != nil {
		return nil, err
	}
	if p.args == nil {
		p.args = args
	}
	for _, a := range p.args {
		p.call.ArgTypes = append(p.call.ArgTypes, a.Type())
	}
	for _, e := range spec.PartitionBy {
		x, err := b.bindExpr(e, sc, agg)
		if err != nil {
			return nil, err
		}
		p.partition = append(p.partition, x)
	}
	for _, o := range spec.OrderBy {
		x, err := b.bindExpr(o.Expr, sc, agg)
		if err != nil {
			return nil, err
		}
		wo := winOrder{expr: x, desc: o.Desc, nullsFirst: o.Desc}
		switch o.Nulls {
		case ast.NullsFirst:
			wo.nullsFirst = true
		case ast.NullsLast:
			wo.nullsFirst = false
		}
		p.order = append(p.order, wo)
	}
	if p.call.Frame, err = b.bindFrame(spec, p.order); err != nil {
		return nil, err
	}
	for i, q := range w.calls {
		if samePendingWin(q, p) {
			return &plan.WindowRef{Idx: i, Typ: q.call.Typ}, nil
		}
	}
	w.calls = append(w.calls, p)
	return &plan.WindowRef{Idx: len(w.calls) - 1, Typ: p.call.Typ}, nil
}

// bindDetector binds DETECTOR(x [, params...]): x is cast to double
// precision, and each parameter must be a numeric constant that passes
// the detector's check.
func (b *Binder) bindDetector(f *ast.FuncCall, d *functions.Detector, args []plan.Expr, call *plan.WindowCall) ([]plan.Expr, error) {
	switch {
	case f.Distinct || f.Star || len(f.OrderBy) > 0 || len(f.WithinGroup) > 0 || f.Filter != nil:
		return nil, sqlerr.At(sqlerr.WrongObjectType, f.Off, "%s is a detector: DISTINCT, *, ORDER BY, WITHIN GROUP and FILTER do not apply", f.Name)
	case len(args) < 1 || len(args) > 1+len(d.Params):
		return nil, sqlerr.At(sqlerr.UndefinedFunction, f.Off, "function %s takes 1 to %d arguments, not %d", f.Name, 1+len(d.Params), len(args))
	}
	x, err := b.coerce(args[0], types.Float64Type, f.Args[0].Position())
	if err != nil {
		return nil, err
	}
	params := make([]float64, len(d.Params))
	for i, p := range d.Params {
		params[i] = p.Default
		if i+1 >= len(args) {
			continue
		}
		c, ok := args[i+1].(*plan.Const)
		if !ok || !(c.Val.Type.IsNumeric() || c.Val.Type.Kind == types.Unknown) {
			return nil, sqlerr.At(sqlerr.FeatureNotSupported, f.Args[i+1].Position(), "argument %s of %s must be a numeric constant", p.Name, f.Name)
		}
		v, err := b.coerce(c, types.Float64Type, f.Args[i+1].Position())
		if err != nil {
			return nil, err
		}
		vc, _ := v.(*plan.Const)
		if vc == nil || vc.Val.Null {
			return nil, sqlerr.At(sqlerr.InvalidParameterValue, f.Args[i+1].Position(), "argument %s of %s must not be NULL", p.Name, f.Name)
		}
		params[i] = vc.Val.F
		if p.Check != nil {
			if err := p.Check(params[i]); err != nil {
				return nil, sqlerr.At(sqlerr.InvalidParameterValue, f.Args[i+1].Position(), "argument %s of %s %v", p.Name, f.Name, err)
			}
		}
	}
	call.Kind, call.Detector, call.Params, call.Typ = plan.WinDetector, d, params, d.Ret
	return []plan.Expr{x}, nil
}

// bindWindowAggregate binds an aggregate of the registry used as a
// window function over the frame.
func (b *Binder) bindWindowAggregate(f *ast.FuncCall, sc *scope, agg *aggCtx, p *pendingWin, args []plan.Expr) error {
	if !b.reg.IsAggregate(f.Name) {
		if b.reg.HasScalar(f.Name) {
			return sqlerr.At(sqlerr.WrongObjectType, f.Off, "OVER specified, but %s is not a window function nor an aggregate function", f.Name)
		}
		names := make([]types.Type, len(args))
		for i, a := range args {
			names[i] = a.Type()
		}
		_, _, err := b.reg.ResolveScalar(f.Name, names, f.Off)
		return err
	}
	switch {
	case f.Distinct:
		return sqlerr.At(sqlerr.FeatureNotSupported, f.Off, "DISTINCT is not implemented for window functions")
	case len(f.WithinGroup) > 0:
		return sqlerr.At(sqlerr.WrongObjectType, f.Off, "OVER is not supported for ordered-set aggregate %s", f.Name)
	case len(f.OrderBy) > 0:
		return sqlerr.At(sqlerr.FeatureNotSupported, f.Off, "aggregate ORDER BY is not implemented for window functions")
	}
	if f.Star {
		args = nil
	}
	ts := make([]types.Type, len(args))
	for i, a := range args {
		ts[i] = a.Type()
	}
	fn, params, err := b.reg.ResolveAggregate(f.Name, ts, f.Off)
	if err != nil {
		return err
	}
	switch {
	case f.Star != fn.Star:
		return sqlerr.At(sqlerr.UndefinedFunction, f.Off, "function %s(*) does not exist", f.Name)
	case fn.Ordered:
		return sqlerr.At(sqlerr.WrongObjectType, f.Off, "OVER is not supported for ordered-set aggregate %s", f.Name)
	}
	for i := range args {
		if args[i], err = b.coerce(args[i], params[i], f.Args[i].Position()); err != nil {
			return err
		}
	}
	if f.Filter != nil {
		saved := b.noWindow
		b.noWindow = "FILTER"
		x, err := b.bindExpr(f.Filter, sc, agg)
		b.noWindow = saved
		if err != nil {
			return err
		}
		if p.filter, err = b.coerceBool(x, f.Filter.Position(), "FILTER"); err != nil {
			return err
		}
	}
	p.args = args
	if args == nil {
		p.args = []plan.Expr{}
	}
	p.call.Kind, p.call.Agg, p.call.Typ = plan.WinAggregate, fn, fn.ReturnType(params)
	return nil
}

// bindFrame binds a window's frame clause (the default frame if none).
func (b *Binder) bindFrame(spec *ast.WindowSpec, order []winOrder) (plan.Frame, error) {
	f := spec.Frame
	if f == nil {
		return plan.DefaultFrame(), nil
	}
	out := plan.Frame{}
	switch f.Unit {
	case ast.FrameRows:
		out.Unit = plan.FrameRows
	case ast.FrameRange:
		out.Unit = plan.FrameRange
	case ast.FrameGroups:
		out.Unit = plan.FrameGroups
		if len(order) == 0 {
			return out, sqlerr.At(sqlerr.WindowingError, spec.Off, "GROUPS mode requires an ORDER BY clause")
		}
	default:
		return out, sqlerr.At(sqlerr.FeatureNotSupported, spec.Off, "unsupported window frame unit")
	}
	s, e := f.Start.Kind, f.End.Kind
	switch {
	case s == ast.BoundUnboundedFollowing:
		return out, sqlerr.At(sqlerr.WindowingError, spec.Off, "frame start cannot be UNBOUNDED FOLLOWING")
	case e == ast.BoundUnboundedPreceding:
		return out, sqlerr.At(sqlerr.WindowingError, spec.Off, "frame end cannot be UNBOUNDED PRECEDING")
	case s == ast.BoundCurrentRow && e == ast.BoundPreceding:
		return out, sqlerr.At(sqlerr.WindowingError, spec.Off, "frame starting from current row cannot have preceding rows")
	case s == ast.BoundFollowing && (e == ast.BoundPreceding || e == ast.BoundCurrentRow):
		return out, sqlerr.At(sqlerr.WindowingError, spec.Off, "frame starting from following row cannot have preceding rows")
	}
	var err error
	if out.Start, err = b.bindBound(f.Start, out.Unit, order, spec, "starting"); err != nil {
		return out, err
	}
	out.End, err = b.bindBound(f.End, out.Unit, order, spec, "ending")
	return out, err
}

var boundKinds = map[ast.BoundKind]plan.BoundKind{
	ast.BoundUnboundedPreceding: plan.UnboundedPreceding, ast.BoundPreceding: plan.OffsetPreceding,
	ast.BoundCurrentRow: plan.CurrentRow, ast.BoundFollowing: plan.OffsetFollowing,
	ast.BoundUnboundedFollowing: plan.UnboundedFollowing,
}

// bindBound binds one frame bound; an offset must be a constant.
func (b *Binder) bindBound(fb ast.FrameBound, unit plan.FrameUnit, order []winOrder, spec *ast.WindowSpec, which string) (plan.FrameBound, error) {
	out := plan.FrameBound{Kind: boundKinds[fb.Kind]}
	if fb.Kind != ast.BoundPreceding && fb.Kind != ast.BoundFollowing {
		return out, nil
	}
	saved := b.noWindow
	b.noWindow = "window definitions"
	x, err := b.bindExpr(fb.Offset, &scope{eventTime: -1}, nil)
	b.noWindow = saved
	if err != nil {
		return out, err
	}
	pos := fb.Offset.Position()
	want := types.Int64Type
	if unit == plan.FrameRange {
		if len(order) != 1 {
			return out, sqlerr.At(sqlerr.WindowingError, spec.Off, "RANGE with offset PRECEDING/FOLLOWING requires exactly one ORDER BY column")
		}
		ot := order[0].expr.Type()
		switch {
		case ot.IsInteger():
			want = types.Int64Type
		case ot.IsFloat():
			want = types.Float64Type
		case ot.IsTimestamp() || ot.Kind == types.Date:
			want = types.IntervalType
		default:
			return out, sqlerr.At(sqlerr.FeatureNotSupported, pos, "RANGE with offset PRECEDING/FOLLOWING is not supported for column type %s", ot)
		}
	}
	if x, err = b.coerce(x, want, pos); err != nil {
		return out, err
	}
	c, ok := x.(*plan.Const)
	if !ok {
		return out, sqlerr.At(sqlerr.FeatureNotSupported, pos, "frame offsets must be constants")
	}
	d := c.Val
	switch {
	case d.Null:
		return out, sqlerr.At(sqlerr.NullValueNotAllowed, pos, "frame %s offset must not be null", which)
	case want == types.IntervalType:
		if d.Iv.Months != 0 {
			return out, sqlerr.At(sqlerr.FeatureNotSupported, pos, "RANGE offsets with months or years are not supported (a month has no fixed length)")
		}
		if us, _ := d.Iv.Fixed(); us < 0 {
			return out, sqlerr.At(sqlerr.InvalidPreceding, pos, "invalid preceding or following size in window function")
		}
	case want == types.Float64Type:
		if d.F < 0 || d.F != d.F {
			return out, sqlerr.At(sqlerr.InvalidPreceding, pos, "invalid preceding or following size in window function")
		}
	case d.I < 0:
		if unit == plan.FrameRange {
			return out, sqlerr.At(sqlerr.InvalidPreceding, pos, "invalid preceding or following size in window function")
		}
		return out, sqlerr.At(sqlerr.InvalidPreceding, pos, "frame %s offset must not be negative", which)
	}
	out.Offset = d
	return out, nil
}

func samePendingWin(a, b pendingWin) bool {
	if a.call.Kind != b.call.Kind || a.call.Agg != b.call.Agg || a.call.Frame != b.call.Frame ||
		a.call.Detector != b.call.Detector || !slices.Equal(a.call.Params, b.call.Params) ||
		len(a.args) != len(b.args) || len(a.partition) != len(b.partition) || len(a.order) != len(b.order) ||
		(a.filter == nil) != (b.filter == nil) || (a.filter != nil && !plan.Equal(a.filter, b.filter)) {
		return false
	}
	if !sameExprs(a.args, b.args) || !sameExprs(a.partition, b.partition) {
		return false
	}
	for i := range a.order {
		if a.order[i].desc != b.order[i].desc || a.order[i].nullsFirst != b.order[i].nullsFirst || !plan.Equal(a.order[i].expr, b.order[i].expr) {
			return false
		}
	}
	return true
}

// buildWindows adds the Window nodes for w's calls over input. post maps
// expressions bound over the FROM scope to the grouped input (identity
// when the SELECT does not group). It returns the new input and the
// rewrite that replaces WindowRefs by the Window nodes' output columns.
func (b *Binder) buildWindows(input plan.Node, w *winCtx, post func(plan.Expr, int) (plan.Expr, error)) (plan.Node, func(plan.Expr) plan.Expr, error) {
	if w == nil || len(w.calls) == 0 {
		return input, func(e plan.Expr) plan.Expr { return e }, nil
	}
	in := input.Schema()
	pre := &plan.Project{Input: input}
	for i, c := range in {
		pre.Exprs = append(pre.Exprs, &plan.ColRef{Idx: i, Typ: c.Type, Name: c.Name})
		pre.Names = append(pre.Names, c.Name)
		pre.Hidden = append(pre.Hidden, c.Hidden)
	}
	var err error
	col := func(e plan.Expr) (int, error) {
		if e, err = post(e, -1); err != nil {
			return 0, err
		}
		if c, ok := e.(*plan.ColRef); ok {
			return c.Idx, nil
		}
		for i := len(in); i < len(pre.Exprs); i++ {
			if plan.Equal(pre.Exprs[i], e) {
				return i, nil
			}
		}
		pre.Exprs = append(pre.Exprs, e)
		pre.Names = append(pre.Names, "_win_arg")
		pre.Hidden = append(pre.Hidden, true)
		return len(pre.Exprs) - 1, nil
	}
	type spec struct {
		partition []int
		order     []plan.SortKey
		funcs     []int // indexes into w.calls
	}
	var specs []*spec
	calls := make([]plan.WindowCall, len(w.calls))
	for k, p := range w.calls {
		c := p.call
		for _, a := range p.args {
			i, err := col(a)
			if err != nil {
				return nil, nil, err
			}
			c.Args = append(c.Args, i)
		}
		if p.filter != nil {
			if c.Filter, err = col(p.filter); err != nil {
				return nil, nil, err
			}
		}
		s := &spec{}
		for _, e := range p.partition {
			i, err := col(e)
			if err != nil {
				return nil, nil, err
			}
			s.partition = append(s.partition, i)
		}
		for _, o := range p.order {
			i, err := col(o.expr)
			if err != nil {
				return nil, nil, err
			}
			s.order = append(s.order, plan.SortKey{Col: i, Desc: o.desc, NullsFirst: o.nullsFirst})
		}
		calls[k] = c
		found := false
		for _, t := range specs {
			if sameInts(t.partition, s.partition) && sameSortKeys(t.order, s.order) {
				t.funcs, found = append(t.funcs, k), true
				break
			}
		}
		if !found {
			s.funcs = []int{k}
			specs = append(specs, s)
		}
	}
	var node plan.Node = pre
	if len(pre.Exprs) == len(in) {
		node = input
	}
	width := len(pre.Exprs)
	outCol := make([]int, len(calls))
	for _, s := range specs {
		wn := &plan.Window{Input: node, PartitionBy: s.partition, OrderBy: s.order}
		for _, k := range s.funcs {
			wn.Funcs = append(wn.Funcs, calls[k])
			outCol[k] = width
			width++
		}
		node = wn
	}
	rewrite := func(e plan.Expr) plan.Expr {
		return plan.Rewrite(e, func(x plan.Expr) plan.Expr {
			if r, ok := x.(*plan.WindowRef); ok {
				return &plan.ColRef{Idx: outCol[r.Idx], Typ: r.Typ, Name: calls[r.Idx].Name}
			}
			return x
		})
	}
	return node, rewrite, nil
}

func sameInts(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func sameSortKeys(a, b []plan.SortKey) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

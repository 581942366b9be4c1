package expr

import (
	"fmt"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"

	"github.com/tocsin-db/tocsin/functions"
	"github.com/tocsin-db/tocsin/functions/vec"
	"github.com/tocsin-db/tocsin/sql/plan"
	"github.com/tocsin-db/tocsin/sql/types"
)

// Evaluator computes one expression over record batches.
type Evaluator struct {
	root node
	typ  types.Type
}

type node interface {
	eval(ctx *functions.Context, rec arrow.RecordBatch) (functions.Value, error)
}

// Compile prepares e for evaluation.
func Compile(e plan.Expr) (*Evaluator, error) {
	n, err := compile(e)
	if err != nil {
		return nil, err
	}
	return &Evaluator{root: n, typ: e.Type()}, nil
}

// CompileAll compiles a list of expressions.
func CompileAll(es []plan.Expr) ([]*Evaluator, error) {
	out := make([]*Evaluator, len(es))
	for i, e := range es {
		ev, err := Compile(e)
		if err != nil {
			return nil, err
		}
		out[i] = ev
	}
	return out, nil
}

// Type returns the result type.
func (ev *Evaluator) Type() types.Type { return ev.typ }

// Eval evaluates over rec; the result may be a scalar.
func (ev *Evaluator) Eval(ctx *functions.Context, rec arrow.RecordBatch) (functions.Value, error) {
	return ev.root.eval(ctx, rec)
}

// EvalArray evaluates over rec and materialises a scalar result as an
// array of rec's length.
func (ev *Evaluator) EvalArray(ctx *functions.Context, rec arrow.RecordBatch) (arrow.Array, error) {
	v, err := ev.root.eval(ctx, rec)
	if err != nil {
		return nil, err
	}
	if v.IsScalar() {
		return functions.Broadcast(v, ev.typ, int(rec.NumRows())), nil
	}
	return v.Array, nil
}

func compile(e plan.Expr) (node, error) {
	switch e := e.(type) {
	case *plan.ColRef:
		return colNode(e.Idx), nil
	case *plan.Const:
		return constNode{v: e.Val}, nil
	case *plan.Call:
		args, err := compileList(e.Args)
		if err != nil {
			return nil, err
		}
		return &callNode{kernel: e.Kernel, args: args, vals: make([]functions.Value, len(args)), typ: e.Typ}, nil
	case *plan.Cast:
		x, err := compile(e.X)
		if err != nil {
			return nil, err
		}
		return &castNode{x: x, from: e.X.Type(), to: e.To, kernel: e.Kernel}, nil
	case *plan.BoolOp:
		args, err := compileList(e.Args)
		if err != nil {
			return nil, err
		}
		return &boolNode{and: e.And, args: args}, nil
	case *plan.Not:
		x, err := compile(e.X)
		if err != nil {
			return nil, err
		}
		return notNode{x: x}, nil
	case *plan.IsNull:
		x, err := compile(e.X)
		if err != nil {
			return nil, err
		}
		return isNullNode{x: x, not: e.Not}, nil
	case *plan.Case:
		c := &caseNode{typ: e.Typ}
		for _, w := range e.Whens {
			cond, err := compile(w.Cond)
			if err != nil {
				return nil, err
			}
			res, err := compile(w.Result)
			if err != nil {
				return nil, err
			}
			c.conds = append(c.conds, cond)
			c.results = append(c.results, res)
		}
		els, err := compile(e.Else)
		if err != nil {
			return nil, err
		}
		c.results = append(c.results, els)
		return c, nil
	case *plan.Coalesce:
		args, err := compileList(e.Args)
		if err != nil {
			return nil, err
		}
		return &coalesceNode{args: args, typ: e.Typ}, nil
	}
	return nil, fmt.Errorf("BUG: cannot evaluate %T", e)
}

func compileList(es []plan.Expr) ([]node, error) {
	out := make([]node, len(es))
	for i, e := range es {
		n, err := compile(e)
		if err != nil {
			return nil, err
		}
		out[i] = n
	}
	return out, nil
}

type colNode int

func (c colNode) eval(_ *functions.Context, rec arrow.RecordBatch) (functions.Value, error) {
	return functions.ArrayValue(rec.Column(int(c))), nil
}

type constNode struct{ v types.Datum }

func (c constNode) eval(*functions.Context, arrow.RecordBatch) (functions.Value, error) {
	return functions.ScalarValue(c.v), nil
}

type callNode struct {
	kernel functions.Kernel
	args   []node
	vals   []functions.Value
	typ    types.Type
}

func (c *callNode) eval(ctx *functions.Context, rec arrow.RecordBatch) (functions.Value, error) {
	for i, a := range c.args {
		v, err := a.eval(ctx, rec)
		if err != nil {
			return functions.Value{}, err
		}
		c.vals[i] = v
	}
	return c.kernel(ctx, c.vals, int(rec.NumRows()))
}

type castNode struct {
	x        node
	from, to types.Type
	kernel   functions.CastKernel
}

func (c *castNode) eval(ctx *functions.Context, rec arrow.RecordBatch) (functions.Value, error) {
	v, err := c.x.eval(ctx, rec)
	if err != nil {
		return functions.Value{}, err
	}
	return c.kernel(ctx, v, c.from, c.to, int(rec.NumRows()))
}

// bits returns a boolean value's value and validity bitmaps for n rows
// (offset 0; nil validity = all valid), converting scalars.
func bits(v functions.Value, n int) (val, valid []byte) {
	if v.IsScalar() {
		if v.Scalar.Null {
			return vec.Bitmap(n), vec.Bitmap(n)
		}
		if v.Scalar.I != 0 {
			return vec.AllValid(n), nil
		}
		return vec.Bitmap(n), nil
	}
	b := v.Array.(*array.Boolean)
	off := b.Data().Offset()
	vb := b.Data().Buffers()[1].Bytes()
	if off == 0 {
		val = vb
	} else {
		val = vec.Bitmap(n)
		for i := 0; i < n; i++ {
			if b.Value(i) {
				val[i>>3] |= 1 << (i & 7)
			}
		}
	}
	if b.NullN() > 0 {
		valid = vec.AndValidity(n, b)
	}
	return val, valid
}

type boolNode struct {
	and  bool
	args []node
}

// eval implements Kleene logic bytewise: for AND a row is false if any
// operand is false, NULL if none is false and one is NULL, else true;
// OR is the dual.
func (b *boolNode) eval(ctx *functions.Context, rec arrow.RecordBatch) (functions.Value, error) {
	n := int(rec.NumRows())
	nb := (n + 7) / 8
	decided := make([]byte, nb) // AND: some operand false; OR: some true
	unknown := make([]byte, nb) // some operand NULL
	for _, a := range b.args {
		v, err := a.eval(ctx, rec)
		if err != nil {
			return functions.Value{}, err
		}
		val, valid := bits(v, n)
		for i := 0; i < nb; i++ {
			vv := byte(0xff)
			if valid != nil {
				vv = valid[i]
			}
			if b.and {
				decided[i] |= vv &^ val[i]
			} else {
				decided[i] |= vv & val[i]
			}
			unknown[i] |= ^vv
		}
	}
	value := make([]byte, nb)
	validity := make([]byte, nb)
	for i := 0; i < nb; i++ {
		validity[i] = decided[i] | ^unknown[i]
		if b.and {
			value[i] = ^decided[i] & ^unknown[i]
		} else {
			value[i] = decided[i]
		}
	}
	return functions.ArrayValue(vec.NewBool(n, value, validity, -1)), nil
}

type notNode struct{ x node }

func (nn notNode) eval(ctx *functions.Context, rec arrow.RecordBatch) (functions.Value, error) {
	v, err := nn.x.eval(ctx, rec)
	if err != nil {
		return functions.Value{}, err
	}
	if v.IsScalar() {
		if !v.Scalar.Null {
			v.Scalar.I ^= 1
		}
		return v, nil
	}
	n := int(rec.NumRows())
	val, valid := bits(v, n)
	out := make([]byte, len(val))
	for i := range val {
		out[i] = ^val[i]
	}
	return functions.ArrayValue(vec.NewBool(n, out, valid, -1)), nil
}

type isNullNode struct {
	x   node
	not bool
}

func (in isNullNode) eval(ctx *functions.Context, rec arrow.RecordBatch) (functions.Value, error) {
	v, err := in.x.eval(ctx, rec)
	if err != nil {
		return functions.Value{}, err
	}
	if v.IsScalar() {
		return functions.ScalarValue(types.BoolDatum(v.Scalar.Null != in.not)), nil
	}
	n := int(rec.NumRows())
	out := vec.Bitmap(n)
	for i := 0; i < n; i++ {
		if v.Array.IsNull(i) != in.not {
			out[i>>3] |= 1 << (i & 7)
		}
	}
	return functions.ArrayValue(vec.NewBool(n, out, nil, 0)), nil
}

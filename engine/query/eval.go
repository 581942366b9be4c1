package query

import (
	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"

	"github.com/tocsin-db/tocsin/engine/expr"
	"github.com/tocsin-db/tocsin/functions"
	"github.com/tocsin-db/tocsin/sql/plan"
	"github.com/tocsin-db/tocsin/sql/types"
)

// evaluator evaluates a bound expression over the batches of an input
// with width columns. engine/expr knows nothing of subqueries: each
// subquery expression is replaced by a reference to an extra column
// (width, width+1, ...), which eval computes per batch (innermost first)
// and appends before running the compiled expression.
type evaluator struct {
	r     *Runner
	ev    *expr.Evaluator
	subs  []*subEval
	width int
}

// compile prepares e for evaluation over an input of width columns.
func (r *Runner) compile(e plan.Expr, width int) (*evaluator, error) {
	out := &evaluator{r: r, width: width}
	var err error
	// Rewrite is bottom-up, so a subquery nested in another's arguments
	// gets the lower extra column and is computed first.
	rewritten := plan.Rewrite(e, func(x plan.Expr) plan.Expr {
		sq, ok := x.(*plan.Subquery)
		if !ok || err != nil {
			return x
		}
		var s *subEval
		if s, err = r.newSubEval(sq); err != nil {
			return x
		}
		out.subs = append(out.subs, s)
		return &plan.ColRef{Idx: width + len(out.subs) - 1, Typ: sq.Typ}
	})
	if err != nil {
		return nil, err
	}
	if out.ev, err = expr.Compile(rewritten); err != nil {
		return nil, err
	}
	return out, nil
}

// plain reports whether the expression has no subquery, so the compiled
// evaluator can be used directly.
func (ev *evaluator) plain() bool { return len(ev.subs) == 0 }

// eval evaluates the expression over rec.
func (ev *evaluator) eval(rec arrow.RecordBatch) (functions.Value, error) {
	ext, err := ev.extend(rec)
	if err != nil {
		return functions.Value{}, err
	}
	return ev.ev.Eval(ev.r.Ctx, ext)
}

// extend appends the subquery columns to rec.
func (ev *evaluator) extend(rec arrow.RecordBatch) (arrow.RecordBatch, error) {
	if len(ev.subs) == 0 {
		return rec, nil
	}
	if int(rec.NumCols()) > ev.width {
		// Only the input's own columns are visible to the expression.
		rec = array.NewRecordBatch(arrow.NewSchema(rec.Schema().Fields()[:ev.width], nil), rec.Columns()[:ev.width], rec.NumRows())
	}
	cur := rec
	for _, s := range ev.subs {
		col, err := s.column(cur)
		if err != nil {
			return nil, err
		}
		cur = appendColumn(cur, col, s.sq.Typ)
	}
	return cur, nil
}

// appendColumn returns rec with one more column.
func appendColumn(rec arrow.RecordBatch, col arrow.Array, t types.Type) arrow.RecordBatch {
	fields := append(append([]arrow.Field{}, rec.Schema().Fields()...), arrow.Field{Name: "_subquery", Type: t.Arrow(), Nullable: true})
	cols := append(append([]arrow.Array{}, rec.Columns()...), col)
	return array.NewRecordBatch(arrow.NewSchema(fields, nil), cols, rec.NumRows())
}

package query

import (
	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"

	"github.com/tocsin-db/tocsin/sql/plan"
)

// cteState is a WITH query of a running With node: its plan and, once
// a CTEScan has read it, its rows.
type cteState struct {
	def  *plan.CTEDef
	done bool
	rows []arrow.RecordBatch
}

// with runs a With node's input with its CTEs defined. Each CTE is
// computed the first time it is scanned and at most once per execution
// of the With.
func (r *Runner) with(n *plan.With) ([]arrow.RecordBatch, error) {
	if r.ctes == nil {
		r.ctes = map[int]*cteState{}
	}
	saved := make(map[int]*cteState, len(n.CTEs))
	for _, d := range n.CTEs {
		saved[d.ID] = r.ctes[d.ID]
		r.ctes[d.ID] = &cteState{def: d}
	}
	defer func() {
		for id, st := range saved {
			if st == nil {
				delete(r.ctes, id)
			} else {
				r.ctes[id] = st
			}
		}
	}()
	return r.Run(n.Input)
}

// cteScan returns the rows of a CTE, relabelled with the scan's column
// names.
func (r *Runner) cteScan(n *plan.CTEScan) ([]arrow.RecordBatch, error) {
	st, ok := r.ctes[n.ID]
	if !ok {
		return nil, errBug("CTE %s (cte#%d) is not defined by an enclosing WITH", n.Name, n.ID)
	}
	if !st.done {
		rows, err := r.Run(st.def.Plan)
		if err != nil {
			return nil, err
		}
		st.rows, st.done = rows, true
	}
	schema := n.Cols.Arrow()
	out := make([]arrow.RecordBatch, len(st.rows))
	for i, rec := range st.rows {
		out[i] = array.NewRecordBatch(schema, rec.Columns(), rec.NumRows())
	}
	return out, nil
}

package plan

import (
	"fmt"

	"github.com/tocsin-db/tocsin/sql/types"
)

// SetFunc is a set-returning function in FROM (generate_series, unnest,
// pg_options_to_table). Its arguments are expressions without input
// columns: constants, or outer references of a correlated subquery that
// SubstituteOuter turns into constants before the node runs.
type SetFunc struct {
	Name string
	Args []Expr
	Cols types.Schema
	// Gen returns the function's rows, one Datum slice per column, for
	// one evaluation of Args. It is not called when an argument is NULL
	// (the function then returns no rows, as a strict SRF does).
	Gen func(args []types.Datum) ([][]types.Datum, error)
}

// Schema implements Node.
func (s *SetFunc) Schema() types.Schema { return s.Cols }

// Children implements Node.
func (s *SetFunc) Children() []Node { return nil }

func (s *SetFunc) explain() string {
	return fmt.Sprintf("SetFunc %s(%s)", s.Name, exprList(s.Args))
}

func exprList(es []Expr) string {
	out := ""
	for i, e := range es {
		if i > 0 {
			out += ", "
		}
		out += e.String()
	}
	return out
}

var _ Node = (*SetFunc)(nil)

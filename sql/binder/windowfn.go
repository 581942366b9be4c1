package binder

import (
	"strings"

	"github.com/tocsin-db/tocsin/sql/ast"
	"github.com/tocsin-db/tocsin/sql/plan"
	"github.com/tocsin-db/tocsin/sql/sqlerr"
	"github.com/tocsin-db/tocsin/sql/types"
)

// windowDef describes a built-in window function that is not an
// aggregate: how many arguments it takes and how they are typed.
// Aggregates of the registry are window functions too (see
// bindWindowCall); a new stateful window function (an anomaly detector,
// say) is added by registering it as an aggregate, without touching this
// table.
type windowDef struct {
	kind             plan.WindowFuncKind
	minArgs, maxArgs int
}

// windowFuncs are the built-in window functions, as in Postgres.
var windowFuncs = map[string]windowDef{
	"row_number":   {plan.WinRowNumber, 0, 0},
	"rank":         {plan.WinRank, 0, 0},
	"dense_rank":   {plan.WinDenseRank, 0, 0},
	"percent_rank": {plan.WinPercentRank, 0, 0},
	"cume_dist":    {plan.WinCumeDist, 0, 0},
	"ntile":        {plan.WinNtile, 1, 1},
	"lag":          {plan.WinLag, 1, 3},
	"lead":         {plan.WinLead, 1, 3},
	"first_value":  {plan.WinFirstValue, 1, 1},
	"last_value":   {plan.WinLastValue, 1, 1},
	"nth_value":    {plan.WinNthValue, 2, 2},
}

// lookupWindowFunc returns the built-in window function a call names.
func lookupWindowFunc(f *ast.FuncCall) (windowDef, bool) {
	if f.Schema != "" && f.Schema != "pg_catalog" {
		return windowDef{}, false
	}
	d, ok := windowFuncs[f.Name]
	return d, ok
}

// typeWindowArgs checks and coerces the arguments of a built-in window
// function and returns its result type.
func (b *Binder) typeWindowArgs(f *ast.FuncCall, d windowDef, args []plan.Expr) ([]plan.Expr, types.Type, error) {
	if len(args) < d.minArgs || len(args) > d.maxArgs {
		names := make([]string, len(args))
		for i, a := range args {
			names[i] = a.Type().String()
		}
		return nil, types.Type{}, sqlerr.At(sqlerr.UndefinedFunction, f.Off, "function %s(%s) does not exist", f.Name, strings.Join(names, ", ")).
			WithHint("No function matches the given name and argument types. You might need to add explicit type casts.")
	}
	toInt := func(i int) error {
		t := args[i].Type()
		if t != types.Int32Type && !types.ImplicitCast(t, types.Int32Type) {
			return sqlerr.At(sqlerr.UndefinedFunction, f.Args[i].Position(), "function %s with argument of type %s does not exist", f.Name, t).
				WithHint("No function matches the given name and argument types. You might need to add explicit type casts.")
		}
		x, err := b.coerce(args[i], types.Int32Type, f.Args[i].Position())
		args[i] = x
		return err
	}
	switch d.kind {
	case plan.WinRowNumber, plan.WinRank, plan.WinDenseRank:
		return args, types.Int64Type, nil
	case plan.WinPercentRank, plan.WinCumeDist:
		return args, types.Float64Type, nil
	case plan.WinNtile:
		return args, types.Int32Type, toInt(0)
	case plan.WinNthValue:
		if err := toInt(1); err != nil {
			return nil, types.Type{}, err
		}
	case plan.WinLag, plan.WinLead:
		if len(args) > 1 {
			if err := toInt(1); err != nil {
				return nil, types.Type{}, err
			}
		}
		if len(args) > 2 {
			// The value and the default unify as anycompatible.
			t, err := b.commonType([]plan.Expr{args[0], args[2]}, f.Off, f.Name)
			if err != nil {
				return nil, types.Type{}, err
			}
			for _, i := range []int{0, 2} {
				if args[i], err = b.coerce(args[i], t, f.Args[i].Position()); err != nil {
					return nil, types.Type{}, err
				}
			}
		}
	}
	if args[0].Type().Kind == types.Unknown {
		x, err := b.coerce(args[0], types.TextType, f.Args[0].Position())
		if err != nil {
			return nil, types.Type{}, err
		}
		args[0] = x
	}
	return args, args[0].Type(), nil
}

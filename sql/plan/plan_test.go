package plan_test

import (
	"strings"
	"testing"

	"github.com/tocsin-db/tocsin/sql/plan"
	"github.com/tocsin-db/tocsin/sql/types"
)

func leaf(names ...string) *plan.Values {
	v := &plan.Values{Rows: [][]plan.Expr{{}}}
	for _, n := range names {
		v.Cols = append(v.Cols, types.Column{Name: n, Type: types.Int64Type})
		v.Rows[0] = append(v.Rows[0], &plan.Const{Val: types.IntDatum(types.Int64Type, 1)})
	}
	return v
}

func col(i int) *plan.ColRef { return &plan.ColRef{Idx: i, Typ: types.Int64Type} }

func TestNewJoinSplitsCondition(t *testing.T) {
	eq := &plan.Not{X: col(0)} // stands for a keyable conjunct
	other := &plan.IsNull{X: col(3)}
	on := &plan.BoolOp{And: true, Args: []plan.Expr{eq, &plan.Const{Val: types.BoolDatum(true)}, other}}
	keyable := func(e plan.Expr) (int, int, bool) {
		if e == plan.Expr(eq) {
			return 0, 1, true
		}
		return 0, 0, false
	}
	j := plan.NewJoin(plan.JoinLeft, leaf("a", "b"), leaf("c", "d"), on, keyable)
	if len(j.EquiKeys) != 1 || j.EquiKeys[0] != (plan.EquiKey{Left: 0, Right: 1}) {
		t.Fatalf("equi-keys %v", j.EquiKeys)
	}
	if j.Residual != plan.Expr(other) {
		t.Fatalf("residual %v", j.Residual)
	}
	s := j.Schema()
	if len(s) != 4 || s[0].Nullable || !s[2].Nullable {
		t.Fatalf("schema %+v", s)
	}
	if j := plan.NewJoin(plan.JoinInner, leaf("a"), leaf("b"), &plan.Const{Val: types.BoolDatum(true)}, nil); j.Residual != nil {
		t.Fatalf("ON true kept a residual %v", j.Residual)
	}
}

func TestSubstituteOuter(t *testing.T) {
	// The nested subquery's plan reads its own slot 0; its argument is
	// this scope's slot 1.
	innerPlan := &plan.Filter{Input: leaf("x"), Pred: &plan.IsNull{X: &plan.OuterRef{Slot: 0, Typ: types.Int64Type}}}
	nested := &plan.Subquery{ID: 2, Kind: plan.SubExists, Plan: innerPlan, Typ: types.BoolType,
		Args: []plan.Expr{&plan.OuterRef{Slot: 1, Typ: types.Int64Type}}}
	p := &plan.Filter{Input: leaf("y"), Pred: &plan.BoolOp{And: true, Args: []plan.Expr{
		&plan.IsNull{X: &plan.OuterRef{Slot: 0, Typ: types.Int64Type}}, nested,
	}}}
	got := plan.SubstituteOuter(p, []types.Datum{types.IntDatum(types.Int64Type, 7), types.NullDatum(types.Int64Type)}).(*plan.Filter)
	args := got.Pred.(*plan.BoolOp).Args
	if c, ok := args[0].(*plan.IsNull).X.(*plan.Const); !ok || c.Val.I != 7 {
		t.Fatalf("outer ref not substituted: %s", args[0])
	}
	sq := args[1].(*plan.Subquery)
	if c, ok := sq.Args[0].(*plan.Const); !ok || !c.Val.Null {
		t.Fatalf("nested argument not substituted: %s", sq.Args[0])
	}
	if sq.Plan != plan.Node(innerPlan) {
		t.Fatal("the nested subquery's own plan was rewritten")
	}
	if p.Pred.(*plan.BoolOp).Args[1] != plan.Expr(nested) {
		t.Fatal("the original plan was modified")
	}
	if !strings.Contains(plan.Explain(p), "SubPlan 2") {
		t.Fatalf("explain misses the subplan:\n%s", plan.Explain(p))
	}
}

func TestFreeCTEs(t *testing.T) {
	scan := func(id int) *plan.CTEScan { return &plan.CTEScan{ID: id, Name: "c", Cols: leaf("a").Cols} }
	w := &plan.With{CTEs: []*plan.CTEDef{{ID: 1, Name: "c", Plan: scan(2)}}, Input: &plan.Join{Kind: plan.JoinCross, Left: scan(1), Right: scan(3)}}
	got := plan.FreeCTEs(w)
	if len(got) != 2 || got[0] != 2 || got[1] != 3 {
		t.Fatalf("free CTEs %v, want [2 3]", got)
	}
}

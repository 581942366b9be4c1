package physical

import (
	"slices"

	"github.com/tocsin-db/tocsin/engine/expr"
	"github.com/tocsin-db/tocsin/engine/ops"
	"github.com/tocsin-db/tocsin/sql/ast"
	"github.com/tocsin-db/tocsin/sql/catalog"
	"github.com/tocsin-db/tocsin/sql/plan"
	"github.com/tocsin-db/tocsin/sql/sqlerr"
)

// tableScan returns the table a join side reads directly, if it is one.
func tableScan(n plan.Node) (*catalog.Object, bool) {
	s, ok := n.(*plan.Scan)
	if !ok || s.Rel.Kind != catalog.KindTable {
		return nil, false
	}
	return s.Rel, true
}

// lowerJoin lowers a join in a view: a stream joined with a table
// becomes a lookup join (the table as it is when each row is processed);
// two streams must be an interval join.
func lowerJoin(n *plan.Join, emit ast.EmitMode, env Env) (*built, error) {
	lt, leftIsTable := tableScan(n.Left)
	rt, rightIsTable := tableScan(n.Right)
	switch {
	case leftIsTable && rightIsTable:
		return nil, sqlerr.New(sqlerr.FeatureNotSupported, "a materialized view must read a source or a view; this one joins two tables")
	case leftIsTable || rightIsTable:
		table, streamNode, streamLeft := rt, n.Left, true
		if leftIsTable {
			table, streamNode, streamLeft = lt, n.Right, false
		}
		return lowerLookupJoin(n, table, streamNode, streamLeft, emit, env)
	}
	return lowerIntervalJoin(n, emit, env)
}

func lowerLookupJoin(n *plan.Join, table *catalog.Object, streamNode plan.Node, streamLeft bool, emit ast.EmitMode, env Env) (*built, error) {
	switch {
	case n.Kind == plan.JoinFull, n.Kind == plan.JoinCross:
		return nil, sqlerr.New(sqlerr.FeatureNotSupported, "%s JOIN of a stream with a table is not supported in a materialized view (use INNER or LEFT JOIN)", n.Kind)
	case n.Kind == plan.JoinLeft && !streamLeft, n.Kind == plan.JoinRight && streamLeft:
		return nil, sqlerr.New(sqlerr.FeatureNotSupported, "an outer join that keeps the table's unmatched rows cannot be maintained over a stream; keep the stream's side instead")
	case len(n.EquiKeys) == 0:
		return nil, sqlerr.New(sqlerr.FeatureNotSupported, "a join of a stream with table %s needs equality conditions between their columns", table.Name)
	}
	in, err := lower(streamNode, emit, env)
	if err != nil {
		return nil, err
	}
	snap, err := env.TableSnapshot(table)
	if err != nil {
		return nil, err
	}
	cfg := ops.LookupJoinConfig{
		Stream: streamNode.Schema(), Table: table.Schema, Left: n.Kind != plan.JoinInner,
		StreamFirst: streamLeft, Snapshot: snap, Out: n.Schema(),
	}
	for _, k := range n.EquiKeys {
		if streamLeft {
			cfg.StreamKeys, cfg.TableKeys = append(cfg.StreamKeys, k.Left), append(cfg.TableKeys, k.Right)
		} else {
			cfg.StreamKeys, cfg.TableKeys = append(cfg.StreamKeys, k.Right), append(cfg.TableKeys, k.Left)
		}
	}
	// A join on the whole primary key is a point lookup; order the keys
	// as the table's key is encoded.
	if pk := table.Table.Key; len(pk) == len(cfg.TableKeys) && len(pk) > 0 {
		order := make([]int, 0, len(pk))
		for _, c := range pk {
			i := slices.Index(cfg.TableKeys, c)
			if i < 0 {
				break
			}
			order = append(order, i)
		}
		if len(order) == len(pk) {
			sk, tk := make([]int, len(pk)), make([]int, len(pk))
			for j, i := range order {
				sk[j], tk[j] = cfg.StreamKeys[i], cfg.TableKeys[i]
			}
			cfg.StreamKeys, cfg.TableKeys, cfg.TableKeyIsPK = sk, tk, true
		}
	}
	if n.Residual != nil {
		if cfg.Residual, err = expr.Compile(n.Residual); err != nil {
			return nil, err
		}
	}
	in.p.Ops = append(in.p.Ops, ops.NewLookupJoin(cfg))
	in.p.Tables = append(in.p.Tables, table)
	// Lineage: the stream's columns move to their place in the output;
	// the table's carry nothing.
	streamCols := in.cols
	tableCols := make([]colInfo, len(table.Schema))
	for i := range tableCols {
		tableCols[i].upKey = -1
	}
	shift := 0
	if streamLeft {
		in.cols = append(append([]colInfo{}, streamCols...), tableCols...)
	} else {
		in.cols = append(append([]colInfo{}, tableCols...), streamCols...)
		shift = len(tableCols)
	}
	for i := range in.aggKeys {
		in.aggKeys[i] += shift
	}
	in.proj = nil
	return in, nil
}

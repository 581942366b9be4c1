package physical

import (
	"github.com/tocsin-db/tocsin/engine/ops"
	"github.com/tocsin-db/tocsin/functions"
	"github.com/tocsin-db/tocsin/sql/ast"
	"github.com/tocsin-db/tocsin/sql/plan"
	"github.com/tocsin-db/tocsin/sql/sqlerr"
	"github.com/tocsin-db/tocsin/sql/types"
)

// overAggs maps the aggregates a streaming OVER window computes.
var overAggs = map[string]ops.OverKind{
	"count": ops.OverCount, "sum": ops.OverSum, "avg": ops.OverAvg, "min": ops.OverMin, "max": ops.OverMax,
	"var_samp": ops.OverVarSamp, "variance": ops.OverVarSamp, "var_pop": ops.OverVarPop,
	"stddev_samp": ops.OverStddevSamp, "stddev": ops.OverStddevSamp, "stddev_pop": ops.OverStddevPop,
}

// lowerOver lowers window functions in a view: a streaming OVER window
// over an append-only input ordered by its event time.
func lowerOver(n *plan.Window, emit ast.EmitMode, env Env) (*built, error) {
	in, err := lower(n.Input, emit, env)
	if err != nil {
		return nil, err
	}
	if in.agg || in.updating {
		return nil, sqlerr.New(sqlerr.FeatureNotSupported, "window functions (OVER) in a materialized view need an append-only input: a source or an EMIT ON WINDOW CLOSE view")
	}
	if len(n.OrderBy) != 1 || n.OrderBy[0].Desc {
		return nil, sqlerr.New(sqlerr.FeatureNotSupported, "window functions (OVER) in a materialized view must be ordered by the input's event time, ascending (ORDER BY ts)")
	}
	tcol := n.OrderBy[0].Col
	ci := in.cols[tcol]
	cfg := ops.OverConfig{Input: n.Input.Schema(), PartitionBy: n.PartitionBy, Time: tcol, Out: n.Schema()}
	switch {
	case ci.eventTime:
		cfg.Plus = 1
	case ci.bound != nil && !ci.bound.session:
		// window_start is final once its window ends. An upstream view's
		// window_end, or its event-time column, is final like an event
		// time (strictly before the watermark): the upstream emits a row
		// at the same watermark that makes it final there.
		cfg.Plus = 1
		if !ci.bound.isEnd {
			cfg.Plus = ci.bound.size
		}
	default:
		return nil, sqlerr.New(sqlerr.FeatureNotSupported, "window functions (OVER) in a materialized view must be ordered by event time (the WATERMARK FOR column, or window_start/window_end of an EMIT ON WINDOW CLOSE view), not by %s", cfg.Input[tcol].Name)
	}
	for _, c := range n.Funcs {
		f, err := overFunc(c, n.Input)
		if err != nil {
			return nil, err
		}
		cfg.Funcs = append(cfg.Funcs, f)
	}
	op := ops.NewOver(cfg)
	in.p.Ops = append(in.p.Ops, op)
	in.p.Overs = append(in.p.Overs, op)
	for range n.Funcs {
		in.cols = append(in.cols, colInfo{upKey: -1})
	}
	return in, nil
}

func overFunc(c plan.WindowCall, input plan.Node) (ops.OverFunc, error) {
	f := ops.OverFunc{Arg: -1, Out: c.Typ, Rows: -1, Range: -1}
	if len(c.Args) > 0 {
		f.Arg, f.ArgType = c.Args[0], c.ArgTypes[0]
	}
	if c.Filter >= 0 {
		return f, sqlerr.New(sqlerr.FeatureNotSupported, "FILTER on a window function in a materialized view is not supported yet")
	}
	switch c.Kind {
	case plan.WinDetector:
		d, params := c.Detector, c.Params
		f.Kind = ops.OverDetector
		f.Model = func() functions.SeriesModel { return d.New(params) }
		return f, nil
	case plan.WinLag:
		f.Kind, f.Offset, f.Default = ops.OverLag, 1, types.NullDatum(c.Typ)
		if len(c.Args) > 1 {
			off, ok := constArg(input, c.Args[1])
			if !ok || off.Null || off.I < 0 {
				return f, sqlerr.New(sqlerr.FeatureNotSupported, "lag's offset in a materialized view must be a non-negative constant")
			}
			f.Offset = int(off.I)
		}
		if len(c.Args) > 2 {
			def, ok := constArg(input, c.Args[2])
			if !ok {
				return f, sqlerr.New(sqlerr.FeatureNotSupported, "lag's default in a materialized view must be a constant")
			}
			f.Default = def
		}
		return f, nil
	case plan.WinAggregate:
		kind, ok := overAggs[c.Agg.Name]
		if !ok {
			return f, sqlerr.New(sqlerr.FeatureNotSupported, "%s OVER (...) in a materialized view is not supported (supported: count, sum, avg, min, max, stddev, variance, lag, and the detectors)", c.Agg.Name)
		}
		f.Kind = kind
		if c.Agg.Star {
			f.Kind = ops.OverCountStar
		}
		if (kind == ops.OverSum || kind == ops.OverAvg) && !(f.ArgType.IsInteger() || f.ArgType.Kind == types.Float64 || f.ArgType.Kind == types.Float32) {
			return f, sqlerr.New(sqlerr.FeatureNotSupported, "%s(%s) OVER (...) in a materialized view is not supported", c.Agg.Name, f.ArgType)
		}
		if (kind == ops.OverSum || kind == ops.OverAvg) && c.Typ.Kind != types.Int64 && c.Typ.Kind != types.Float64 {
			return f, sqlerr.New(sqlerr.FeatureNotSupported, "%s(%s) OVER (...) in a materialized view is not supported", c.Agg.Name, f.ArgType)
		}
		if err := overFrame(c.Frame, &f); err != nil {
			return f, err
		}
		return f, nil
	case plan.WinLead:
		return f, sqlerr.New(sqlerr.FeatureNotSupported, "lead() in a materialized view is not supported: it would hold every row back until later rows arrive; use lag() over the later row instead")
	}
	return f, sqlerr.New(sqlerr.FeatureNotSupported, "%s() in a materialized view is not supported yet (supported: aggregates over frames, lag, and the detectors)", c.Kind)
}

// overFrame accepts frames that end at the current row and start
// UNBOUNDED PRECEDING, n PRECEDING (ROWS) or an interval PRECEDING
// (RANGE).
func overFrame(fr plan.Frame, f *ops.OverFunc) error {
	unsupported := sqlerr.New(sqlerr.FeatureNotSupported, "window frame %s in a materialized view is not supported: frames end at CURRENT ROW (or 1 PRECEDING, for ROWS) and start UNBOUNDED PRECEDING, n PRECEDING (ROWS) or INTERVAL PRECEDING (RANGE)", fr)
	if fr.Unit == plan.FrameRows && fr.End.Kind == plan.OffsetPreceding && fr.End.Offset.I == 1 &&
		fr.Start.Kind == plan.OffsetPreceding && fr.Start.Offset.I >= 1 {
		// ROWS BETWEEN n PRECEDING AND 1 PRECEDING: the n rows before.
		f.Rows, f.ExcludeCurrent = fr.Start.Offset.I, true
		return nil
	}
	if fr.End.Kind != plan.CurrentRow || fr.Unit == plan.FrameGroups {
		return unsupported
	}
	f.Peers = fr.Unit == plan.FrameRange
	switch fr.Start.Kind {
	case plan.UnboundedPreceding:
		return nil
	case plan.CurrentRow:
		if fr.Unit == plan.FrameRows {
			f.Rows = 0
		} else {
			f.Range = 0
		}
		return nil
	case plan.OffsetPreceding:
		o := fr.Start.Offset
		if fr.Unit == plan.FrameRows {
			f.Rows = o.I
			return nil
		}
		if o.Type.Kind != types.Interval || o.Iv.Months != 0 {
			return unsupported
		}
		f.Range = o.Iv.Micros + int64(o.Iv.Days)*types.MicrosPerDay
		return nil
	}
	return unsupported
}

// constArg returns the constant behind an input column, when the input
// projects one.
func constArg(input plan.Node, col int) (types.Datum, bool) {
	p, ok := input.(*plan.Project)
	if !ok {
		return types.Datum{}, false
	}
	c, ok := p.Exprs[col].(*plan.Const)
	if !ok {
		return types.Datum{}, false
	}
	return c.Val, true
}

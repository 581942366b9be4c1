package anomaly

import (
	"math"

	"github.com/tocsin-db/tocsin/functions"
	"github.com/tocsin-db/tocsin/functions/vec"
	"github.com/tocsin-db/tocsin/sql/sqlerr"
	"github.com/tocsin-db/tocsin/sql/types"
)

// registerDrain adds DRAIN_TEMPLATE(msg [, sim_threshold [, depth [,
// masking [, log_format]]]]) (text) and DRAIN_TEMPLATE_ID(...) (bigint):
// stateful functions, one Drain model per call site. The model sees the
// rows in the order the view reads them (per Kafka partition, offset
// order) and is checkpointed with the view.
func registerDrain(r *functions.Registry) {
	text, f8, i4 := types.TextType, types.Float64Type, types.Int32Type
	sigs := [][]types.Type{{text}, {text, f8}, {text, f8, i4}, {text, f8, i4, text}, {text, f8, i4, text, text}}
	for _, id := range []bool{false, true} {
		name, ret, doc := "drain_template", text, "online Drain log template of the message (the cluster's current template)"
		if id {
			name, ret, doc = "drain_template_id", types.Int64Type, "online Drain cluster id of the message (stable for the cluster's life)"
		}
		for _, sig := range sigs {
			r.AddScalar(&functions.Scalar{Name: name, Args: sig, Ret: ret, Vol: functions.Volatile, Doc: doc,
				Nulls: functions.NullCustom, NewState: drainState(id)})
		}
	}
}

// DrainConfigOf builds a Drain configuration from DRAIN_TEMPLATE's
// optional arguments: sim_threshold and depth (NaN / 0: the defaults),
// masking (a preset name such as 'hdfs', or patterns, see
// ParseDrainMasking) and log_format (a preset name, or a Loghub log
// format such as '<Date> <Time> <Level>: <Content>' whose Content field
// is mined).
func DrainConfigOf(st float64, depth int, masking, logFormat string) (DrainConfig, error) {
	cfg := DefaultDrainConfig()
	if !math.IsNaN(st) {
		cfg.SimThreshold = st
	}
	if depth != 0 {
		cfg.Depth = depth
	}
	var err error
	if cfg.Masking, err = ParseDrainMasking(masking); err != nil {
		return cfg, err
	}
	if logFormat != "" {
		if p, ok := LookupDrainPreset(logFormat); ok {
			logFormat = p.LogFormat
		}
		if cfg.LogFormat, err = ParseLogFormat(logFormat); err != nil {
			return cfg, err
		}
	}
	return cfg, cfg.Validate()
}

func drainState(id bool) func(consts []*types.Datum) (functions.Kernel, functions.KernelState, error) {
	return func(consts []*types.Datum) (functions.Kernel, functions.KernelState, error) {
		st, depth, masking, format := math.NaN(), 0, "", ""
		names := []string{"message", "sim_threshold", "depth", "masking", "log_format"}
		for i := 1; i < len(consts); i++ {
			c := consts[i]
			if c == nil {
				return nil, nil, sqlerr.New(sqlerr.FeatureNotSupported, "argument %s of DRAIN_TEMPLATE must be a constant", names[i])
			}
			if c.Null {
				return nil, nil, sqlerr.New(sqlerr.InvalidParameterValue, "argument %s of DRAIN_TEMPLATE must not be NULL", names[i])
			}
			switch i {
			case 1:
				st = c.F
			case 2:
				depth = int(c.I)
			case 3:
				masking = c.S
			case 4:
				format = c.S
			}
		}
		cfg, err := DrainConfigOf(st, depth, masking, format)
		if err != nil {
			return nil, nil, err
		}
		d := NewDrain(cfg)
		return drainKernel(d, id), d, nil
	}
}

// drainKernel feeds a batch of messages to d and returns the ids or the
// templates; a NULL message, or a line the log format does not match,
// gives NULL.
func drainKernel(d *Drain, id bool) functions.Kernel {
	return func(_ *functions.Context, args []functions.Value, n int) (functions.Value, error) {
		msgs := make([]string, n)
		valid := make([]bool, n)
		if a := args[0]; a.IsScalar() {
			for i := range msgs {
				msgs[i], valid[i] = a.Scalar.S, !a.Scalar.Null
			}
		} else {
			ss := vec.StringsOf(a.Array)
			for i := range msgs {
				if valid[i] = a.Array.IsValid(i); valid[i] {
					msgs[i] = ss.String(i)
				}
			}
		}
		ids, tpls, ok := make([]int64, n), make([]string, n), make([]bool, n)
		d.AddBatch(msgs, valid, ids, tpls, ok)
		if id {
			bm, nulls := vec.BitmapOf(ok)
			return functions.ArrayValue(vec.NewFixed(types.Int64Type.Arrow(), ids, bm, nulls)), nil
		}
		sb := vec.NewStringBuilder(n)
		for i, t := range tpls {
			if ok[i] {
				sb.AppendString(t)
			} else {
				sb.AppendNull()
			}
		}
		return functions.ArrayValue(sb.Finish(types.TextType.Arrow())), nil
	}
}

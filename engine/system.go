package engine

import (
	"fmt"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"

	"github.com/tocsin-db/tocsin/engine/durable"
	"github.com/tocsin-db/tocsin/engine/rowcodec"
	"github.com/tocsin-db/tocsin/engine/state"
	"github.com/tocsin-db/tocsin/functions"
	"github.com/tocsin-db/tocsin/sql/catalog"
	"github.com/tocsin-db/tocsin/sql/sqlerr"
	"github.com/tocsin-db/tocsin/sql/types"
)

// System relations are read-only tables the engine computes. Their IDs
// are derived from their owner's (never stored), so they are the same
// after a restart.
const (
	sysDeadLetters = "dead_letters"
	sysLateRows    = "late_rows"
	sysCheckpoints = "checkpoints"

	deadLetterIDBit = 1 << 31
	lateIDBit       = 1 << 30
	checkpointsID   = 1<<30 - 1
)

var deadLetterSchema = types.Schema{
	{Name: "topic", Type: types.TextType},
	{Name: "kafka_partition", Type: types.Int32Type},
	{Name: "kafka_offset", Type: types.Int64Type},
	{Name: "error_class", Type: types.TextType},
	{Name: "error", Type: types.TextType},
	{Name: "raw", Type: types.ByteaType},
	{Name: "raw_truncated", Type: types.BoolType},
	{Name: "seen_at", Type: types.TimestampTZType},
}

// deadLetterRelation is source src's <name>_errors table.
func deadLetterRelation(src *catalog.Object) *catalog.Object {
	return &catalog.Object{ID: src.ID | deadLetterIDBit, Kind: catalog.KindSystem, Name: src.Name + "_errors",
		Schema: deadLetterSchema, Owner: src.ID, System: sysDeadLetters}
}

// lateRelation is view v's <name>_late table: the source's columns, the
// row's position, and the watermark that made it late.
func lateRelation(v, src *catalog.Object) *catalog.Object {
	schema := append(types.Schema{}, src.Schema...)
	for i := range schema {
		schema[i].Nullable = true
	}
	schema = append(schema,
		types.Column{Name: "kafka_partition", Type: types.Int32Type},
		types.Column{Name: "kafka_offset", Type: types.Int64Type},
		types.Column{Name: "watermark", Type: src.Schema[src.Source.EventTime].Type})
	return &catalog.Object{ID: v.ID | lateIDBit, Kind: catalog.KindSystem, Name: v.Name + "_late",
		Schema: schema, Owner: v.ID, Deps: []uint32{src.ID}, System: sysLateRows}
}

var checkpointSchema = types.Schema{
	{Name: "id", Type: types.Int64Type},
	{Name: "started_at", Type: types.TimestampTZType},
	{Name: "duration_ms", Type: types.Float64Type},
	{Name: "bytes", Type: types.Int64Type},
	{Name: "state_bytes", Type: types.Int64Type},
	{Name: "views", Type: types.Int32Type},
}

// addSystemRelations registers the engine-wide system relations.
func (e *Engine) addSystemRelations() {
	_ = e.cat.Add(&catalog.Object{ID: checkpointsID, Kind: catalog.KindSystem, Name: "tocsin_checkpoints",
		Schema: checkpointSchema, System: sysCheckpoints})
	e.addAlertRelations()
	e.addStatsRelations()
}

// SystemRows implements query.Snapshots: the rows of a system relation,
// as of the last checkpoint.
func (e *Engine) SystemRows(obj *catalog.Object) ([]arrow.RecordBatch, error) {
	if e.db == nil {
		return nil, sqlerr.New(sqlerr.ObjectNotInPrerequisiteState, "the engine is closed")
	}
	cols := make([][]types.Datum, len(obj.Schema))
	add := func(vals ...types.Datum) {
		for i, v := range vals {
			cols[i] = append(cols[i], v)
		}
	}
	var err error
	switch obj.System {
	case sysCheckpoints:
		var hist []durable.CheckpointInfo
		if hist, err = e.db.Checkpoints(); err == nil {
			for _, c := range hist {
				add(i64(int64(c.ID)), types.IntDatum(types.TimestampTZType, c.Started.UnixMicro()),
					types.FloatDatum(types.Float64Type, float64(c.Duration.Microseconds())/1000),
					i64(c.Bytes), i64(c.StateBytes), types.IntDatum(types.Int32Type, int64(c.Views)))
			}
		}
	case sysAlerts:
		e.alertRows(add)
	case sysSinkErrors:
		e.sinkErrorRows(add)
	case sysSinkChannels:
		e.sinkChannelRows(add)
	case sysDeadLetters:
		err = e.db.Entries(durable.DeadLetterPrefix(obj.Owner))(func(key, value []byte) error {
			p, off := durable.PositionOf(key)
			d, err := decodeDeadLetter(value)
			if err != nil {
				return err
			}
			add(text(d.topic), types.IntDatum(types.Int32Type, int64(p)), i64(off), text(d.class.String()), text(d.err),
				types.StringDatum(types.ByteaType, string(d.raw)), types.BoolDatum(d.truncated), types.IntDatum(types.TimestampTZType, d.seenAt))
			return nil
		})
	case sysLateRows:
		n := len(obj.Schema) - 3
		ts := make([]types.Type, n)
		for i := range ts {
			ts[i] = obj.Schema[i].Type
		}
		err = e.db.Entries(durable.LatePrefix(obj.Owner))(func(key, value []byte) error {
			p, off := durable.PositionOf(key)
			r := state.Reader{Buf: value}
			wm := r.Varint()
			if r.Err != nil {
				return r.Err
			}
			row, _, err := rowcodec.DecodeDatums(r.Buf, ts)
			if err != nil {
				return err
			}
			add(append(row, types.IntDatum(types.Int32Type, int64(p)), i64(off), types.IntDatum(obj.Schema[n+2].Type, wm))...)
			return nil
		})
	default:
		if !e.statsRows(obj, add) && !e.pgCatalogRows(obj, add) {
			return nil, fmt.Errorf("BUG: no provider for system relation %s", obj.Name)
		}
	}
	if err != nil {
		return nil, err
	}
	arrs := make([]arrow.Array, len(cols))
	for i, c := range obj.Schema {
		arrs[i] = functions.BuildArray(c.Type, cols[i])
	}
	rows := 0
	if len(cols) > 0 {
		rows = len(cols[0])
	}
	return []arrow.RecordBatch{array.NewRecordBatch(obj.Schema.Arrow(), arrs, int64(rows))}, nil
}

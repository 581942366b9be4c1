package engine

import (
	"time"

	"github.com/tocsin-db/tocsin/sql/catalog"
	"github.com/tocsin-db/tocsin/sql/types"
)

// The observability system views: live (not as of a checkpoint) rows
// computed from Stats on each read, so psql and BI tools see what the
// metrics endpoint exports.
const (
	sysJobs      = "jobs"
	sysSources   = "sources"
	sysSinks     = "sinks"
	sysOperators = "operators"

	jobsID      = checkpointsID - 10
	sourcesID   = checkpointsID - 11
	sinksID     = checkpointsID - 12
	operatorsID = checkpointsID - 13
)

var jobSchema = types.Schema{
	{Name: "name", Type: types.TextType},
	{Name: "kind", Type: types.TextType},
	{Name: "status", Type: types.TextType},
	{Name: "rows", Type: types.Int64Type},
	{Name: "records", Type: types.Int64Type},
	{Name: "rows_in", Type: types.Int64Type},
	{Name: "rows_out", Type: types.Int64Type},
	{Name: "batches", Type: types.Int64Type},
	{Name: "late", Type: types.Int64Type},
	{Name: "lag", Type: types.Int64Type},
	{Name: "watermark", Type: types.TimestampType},
	{Name: "state_bytes", Type: types.Int64Type},
	{Name: "last_error", Type: types.TextType},
}

var sourceSchema = types.Schema{
	{Name: "name", Type: types.TextType},
	{Name: "connector", Type: types.TextType},
	{Name: "topic", Type: types.TextType},
	{Name: "format", Type: types.TextType},
	{Name: "records", Type: types.Int64Type},
	{Name: "bytes", Type: types.Int64Type},
	{Name: "rows", Type: types.Int64Type},
	{Name: "dead_letters", Type: types.Int64Type},
	{Name: "late", Type: types.Int64Type},
	{Name: "lag", Type: types.Int64Type},
	{Name: "watermark", Type: types.TimestampType},
	{Name: "watermark_delay", Type: types.IntervalType},
	{Name: "readers", Type: types.Int32Type},
	{Name: "backfilling", Type: types.BoolType},
	{Name: "backfill_percent", Type: types.Float64Type},
	{Name: "events_per_second", Type: types.Float64Type},
	{Name: "backfill_eta", Type: types.IntervalType},
}

var sinkSchema = types.Schema{
	{Name: "name", Type: types.TextType},
	{Name: "connector", Type: types.TextType},
	{Name: "mode", Type: types.TextType},
	{Name: "status", Type: types.TextType},
	{Name: "health", Type: types.TextType},
	{Name: "channels", Type: types.Int32Type},
	{Name: "outbox_depth", Type: types.Int32Type},
	{Name: "queue_depth", Type: types.Int32Type},
	{Name: "sent", Type: types.Int64Type},
	{Name: "failed", Type: types.Int64Type},
	{Name: "retried", Type: types.Int64Type},
	{Name: "pending_alerts", Type: types.Int64Type},
	{Name: "firing_alerts", Type: types.Int64Type},
	{Name: "last_error", Type: types.TextType},
}

var operatorSchema = types.Schema{
	{Name: "view", Type: types.TextType},
	{Name: "id", Type: types.Int32Type},
	{Name: "operator", Type: types.TextType},
	{Name: "batches", Type: types.Int64Type},
	{Name: "rows_in", Type: types.Int64Type},
	{Name: "rows_out", Type: types.Int64Type},
	{Name: "time_ms", Type: types.Float64Type},
}

// addStatsRelations registers tocsin_jobs, tocsin_sources, tocsin_sinks
// and tocsin_operators.
func (e *Engine) addStatsRelations() {
	for _, o := range []*catalog.Object{
		{ID: jobsID, Name: "tocsin_jobs", Schema: jobSchema, System: sysJobs},
		{ID: sourcesID, Name: "tocsin_sources", Schema: sourceSchema, System: sysSources},
		{ID: sinksID, Name: "tocsin_sinks", Schema: sinkSchema, System: sysSinks},
		{ID: operatorsID, Name: "tocsin_operators", Schema: operatorSchema, System: sysOperators},
	} {
		o.Kind = catalog.KindSystem
		_ = e.cat.Add(o)
	}
}

// statsRows adds the rows of an observability view; false if obj is not
// one.
func (e *Engine) statsRows(obj *catalog.Object, add func(...types.Datum)) bool {
	switch obj.System {
	case sysJobs:
		for _, j := range e.Stats().Jobs {
			add(text(j.Name), text(j.Kind.String()), text(j.Status), i64(j.Rows), i64(j.Records), i64(j.RowsIn),
				i64(j.RowsOut), i64(j.Batches), i64(j.Late), i64(j.Lag), timestamp(j.Watermark), i64(j.StateBytes), errDatum(j.Err))
		}
	case sysSources:
		for _, s := range e.Stats().Sources {
			b := s.Backfill
			add(text(s.Name), text(s.Connector), text(s.Topic), text(s.Format), i64(s.Records), i64(s.Bytes), i64(s.Rows),
				i64(s.DeadLetters), i64(s.Late), i64(s.Lag), timestamp(s.Watermark),
				nullable(interval(s.WatermarkDelay), !s.Watermark.IsZero()), types.IntDatum(types.Int32Type, int64(s.Readers)),
				types.BoolDatum(b.Active), nullable(float(b.Percent), b.Known), nullable(float(b.Rate), b.Known),
				nullable(interval(b.ETA), b.Known && b.ETA >= 0))
		}
	case sysSinks:
		for _, s := range e.Stats().Sinks {
			var sent, failed, retried int64
			queue := 0
			health := ""
			lastErr := ""
			for _, c := range s.Channels {
				sent, failed, retried, queue = sent+c.Sent, failed+c.Failed, retried+c.Retried, queue+c.QueueDepth
				health = worseHealth(health, c.Health)
				if c.LastError != "" {
					lastErr = c.LastError
				}
			}
			if s.Err != nil {
				lastErr = s.Err.Error()
			}
			add(text(s.Name), text(s.Connector), text(s.Mode), text(s.Status), nullable(text(health), health != ""),
				types.IntDatum(types.Int32Type, int64(len(s.Channels))), types.IntDatum(types.Int32Type, int64(s.Outbox)),
				types.IntDatum(types.Int32Type, int64(queue)), i64(sent), i64(failed), i64(retried), i64(s.Pending), i64(s.Firing),
				nullable(text(lastErr), lastErr != ""))
		}
	case sysOperators:
		for _, o := range e.Stats().Operators {
			add(text(o.View), types.IntDatum(types.Int32Type, int64(o.ID)), text(o.Operator), i64(o.Batches),
				i64(o.RowsIn), i64(o.RowsOut), float(float64(o.Time.Microseconds())/1000))
		}
	default:
		return false
	}
	return true
}

// worseHealth returns the worse of two channel health states.
func worseHealth(a, b string) string {
	rank := map[string]int{"": 0, "unknown": 1, "healthy": 2, "degraded": 3, "down": 4}
	if rank[b] > rank[a] {
		return b
	}
	return a
}

func float(v float64) types.Datum { return types.FloatDatum(types.Float64Type, v) }

func interval(d time.Duration) types.Datum {
	return types.Datum{Type: types.IntervalType, Iv: types.IntervalValue{Micros: d.Microseconds()}}
}

func timestamp(t time.Time) types.Datum {
	if t.IsZero() {
		return types.NullDatum(types.TimestampType)
	}
	return types.IntDatum(types.TimestampType, t.UnixMicro())
}

func errDatum(err error) types.Datum {
	if err == nil {
		return types.NullDatum(types.TextType)
	}
	return text(err.Error())
}

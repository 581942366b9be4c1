package engine

import (
	"sort"
	"strings"

	"github.com/tocsin-db/tocsin/connectors"
	"github.com/tocsin-db/tocsin/engine/alert"
	"github.com/tocsin-db/tocsin/sql/catalog"
	"github.com/tocsin-db/tocsin/sql/types"
)

// The alerting system relations: every alert of every sink (the on-call's
// case list and audit trail), failed deliveries, and channel health.
const (
	sysAlerts       = "alerts"
	sysSinkErrors   = "sink_errors"
	sysSinkChannels = "sink_channels"

	alertsID       = checkpointsID - 1
	sinkErrorsID   = checkpointsID - 2
	sinkChannelsID = checkpointsID - 3
)

var alertSchema = types.Schema{
	{Name: "id", Type: types.Int64Type},
	{Name: "sink", Type: types.TextType},
	{Name: "fingerprint", Type: types.TextType},
	{Name: "state", Type: types.TextType},
	{Name: "severity", Type: types.TextType},
	{Name: "labels", Type: types.JSONBType},
	{Name: "annotations", Type: types.JSONBType},
	{Name: "silenced", Type: types.BoolType},
	{Name: "inhibited", Type: types.BoolType},
	{Name: "flapping", Type: types.BoolType},
	{Name: "started_at", Type: types.TimestampTZType},
	{Name: "fired_at", Type: types.TimestampTZType},
	{Name: "resolved_at", Type: types.TimestampTZType},
	{Name: "acknowledged_at", Type: types.TimestampTZType},
	{Name: "acknowledged_by", Type: types.TextType},
	{Name: "notifications", Type: types.Int64Type},
	{Name: "escalation_level", Type: types.Int32Type},
	{Name: "last_error", Type: types.TextType},
}

var sinkErrorSchema = types.Schema{
	{Name: "sink", Type: types.TextType},
	{Name: "channel", Type: types.TextType},
	{Name: "idempotency_key", Type: types.TextType},
	{Name: "failed_at", Type: types.TimestampTZType},
	{Name: "status", Type: types.Int32Type},
	{Name: "response", Type: types.TextType},
	{Name: "error", Type: types.TextType},
	{Name: "attempts", Type: types.Int32Type},
}

var sinkChannelSchema = types.Schema{
	{Name: "sink", Type: types.TextType},
	{Name: "channel", Type: types.TextType},
	{Name: "connector", Type: types.TextType},
	{Name: "health", Type: types.TextType},
	{Name: "sent", Type: types.Int64Type},
	{Name: "failed", Type: types.Int64Type},
	{Name: "retried", Type: types.Int64Type},
	{Name: "queue_depth", Type: types.Int32Type},
	{Name: "last_error", Type: types.TextType},
	{Name: "last_success", Type: types.TimestampTZType},
	{Name: "last_failure", Type: types.TimestampTZType},
}

// addAlertRelations registers tocsin_alerts, tocsin_sink_errors and
// tocsin_sink_channels.
func (e *Engine) addAlertRelations() {
	_ = e.cat.Add(&catalog.Object{ID: alertsID, Kind: catalog.KindSystem, Name: "tocsin_alerts", Schema: alertSchema, System: sysAlerts})
	_ = e.cat.Add(&catalog.Object{ID: sinkErrorsID, Kind: catalog.KindSystem, Name: "tocsin_sink_errors", Schema: sinkErrorSchema, System: sysSinkErrors})
	_ = e.cat.Add(&catalog.Object{ID: sinkChannelsID, Kind: catalog.KindSystem, Name: "tocsin_sink_channels", Schema: sinkChannelSchema, System: sysSinkChannels})
}

// sortedSinks returns the running sinks' runtimes by name.
func (e *Engine) sortedSinks() []*sinkRuntime {
	e.mu.Lock()
	m := e.sinkRuntimes()
	e.mu.Unlock()
	out := make([]*sinkRuntime, 0, len(m))
	for _, rt := range m {
		out = append(out, rt)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].obj.Name < out[j].obj.Name })
	return out
}

// alertRows adds tocsin_alerts' rows.
func (e *Engine) alertRows(add func(...types.Datum)) {
	for _, rt := range e.sortedSinks() {
		if rt.mgr == nil {
			continue
		}
		for _, a := range rt.mgr.Alerts() {
			add(i64(a.ID), text(rt.obj.Name), text(a.Fingerprint), text(a.State), nullable(text(a.Severity.String()), a.Severity != alert.SeverityNone),
				types.StringDatum(types.JSONBType, string(labelsJSON(a.Labels))), types.StringDatum(types.JSONBType, string(labelsJSON(a.Annotations))),
				types.BoolDatum(a.Silenced), types.BoolDatum(a.Inhibited), types.BoolDatum(a.Flapping),
				ts(a.StartedAt), ts(a.FiredAt), ts(a.ResolvedAt), ts(a.AcknowledgedAt), nullable(text(a.AcknowledgedBy), a.AcknowledgedBy != ""),
				i64(int64(a.Notifications)), types.IntDatum(types.Int32Type, int64(a.EscalationLevel)), nullable(text(a.LastError), a.LastError != ""))
		}
	}
}

// sinkErrorRows adds tocsin_sink_errors' rows.
func (e *Engine) sinkErrorRows(add func(...types.Datum)) {
	for _, rt := range e.sortedSinks() {
		for _, se := range rt.disp.Errors() {
			add(text(se.Sink), text(se.Channel), text(se.Key), ts(se.At), types.IntDatum(types.Int32Type, int64(se.Status)),
				text(se.Response), text(se.Error), types.IntDatum(types.Int32Type, int64(se.Attempts)))
		}
	}
}

// sinkChannelRows adds tocsin_sink_channels' rows.
func (e *Engine) sinkChannelRows(add func(...types.Datum)) {
	for _, rt := range e.sortedSinks() {
		for _, h := range rt.disp.Health() {
			add(text(h.Sink), text(h.Channel), text(rt.def.channels[h.Channel].Options["connector"]), text(h.State),
				i64(h.Sent), i64(h.Failed), i64(h.Retried), types.IntDatum(types.Int32Type, int64(h.QueueDepth)),
				nullable(text(h.LastError), h.LastError != ""), ts(h.LastSuccess), ts(h.LastFailure))
		}
	}
}

// labelsJSON renders labels as a JSON object (keys in order).
func labelsJSON(ls []connectors.Label) []byte {
	b := []byte{'{'}
	for i, l := range ls {
		if i > 0 {
			b = append(b, ", "...)
		}
		b = types.AppendJSONString(b, []byte(l.Name))
		b = append(b, ": "...)
		b = types.AppendJSONString(b, []byte(l.Value))
	}
	return append(b, '}')
}

// showAlerts is SHOW ALERTS: the alerts that are pending or firing.
func (s *Session) showAlerts(w ResultWriter) error {
	t := newTable(col("id", types.Int64Type), col("sink", types.TextType), col("state", types.TextType),
		col("severity", types.TextType), col("labels", types.TextType), col("summary", types.TextType),
		col("fired_at", types.TimestampTZType), col("acknowledged", types.BoolType), col("muted", types.TextType))
	for _, rt := range s.e.sortedSinks() {
		if rt.mgr == nil {
			continue
		}
		for _, a := range rt.mgr.Alerts() {
			if a.State == "resolved" {
				continue
			}
			labels := make([]string, len(a.Labels))
			for i, l := range a.Labels {
				labels[i] = l.Name + "=" + l.Value
			}
			summary := ""
			for _, an := range a.Annotations {
				if an.Name == "summary" {
					summary = an.Value
				}
			}
			muted := ""
			switch {
			case a.Silenced:
				muted = "silenced"
			case a.Inhibited:
				muted = "inhibited"
			}
			t.add(i64(a.ID), text(rt.obj.Name), text(a.State), nullable(text(a.Severity.String()), a.Severity != alert.SeverityNone),
				text(strings.Join(labels, ", ")), nullable(text(summary), summary != ""), ts(a.FiredAt),
				types.BoolDatum(!a.AcknowledgedAt.IsZero()), nullable(text(muted), muted != ""))
		}
	}
	return t.write(w, "")
}

// showSinks is SHOW SINKS: each sink's connector, mode, job status, the
// notifications waiting in its outbox, and its alerts by state.
func (s *Session) showSinks(w ResultWriter) error {
	t := newTable(col("name", types.TextType), col("connector", types.TextType), col("mode", types.TextType),
		col("status", types.TextType), col("pending", types.Int64Type), col("firing", types.Int64Type),
		col("error", types.TextType), col("definition", types.TextType))
	e := s.e
	e.mu.Lock()
	type row struct {
		name string
		j    *job
	}
	var rows []row
	for _, o := range e.cat.List(catalog.KindSink) {
		rows = append(rows, row{o.Name, e.jobs[o.ID]})
	}
	e.mu.Unlock()
	for _, r := range rows {
		if r.j == nil || r.j.sink == nil {
			t.add(text(r.name), text(""), text(""), text("stopped"), i64(0), i64(0), types.NullDatum(types.TextType), text(""))
			continue
		}
		rt := r.j.sink
		st, err := r.j.Status()
		mode := "alerts"
		if rt.def.mode == modeRows {
			mode = "rows"
		}
		var firing int64
		if rt.mgr != nil {
			for _, a := range rt.mgr.Alerts() {
				if a.State == "firing" {
					firing++
				}
			}
		}
		errText := types.NullDatum(types.TextType)
		if err != nil {
			errText = text(err.Error())
		}
		t.add(text(r.name), text(rt.def.channels["default"].Options["connector"]), text(mode), text(st),
			i64(int64(rt.outbox.Len())), i64(firing), errText, text(r.j.view.SQL))
	}
	return t.write(w, "")
}

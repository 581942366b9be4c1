package dashboard

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tocsin-db/tocsin/sql/types"
)

const (
	worstView = `CREATE MATERIALIZED VIEW worst AS SELECT service, max(latency) AS worst FROM events GROUP BY service`
	perMinute = `CREATE MATERIALIZED VIEW per_min AS SELECT window_start, window_end, service, count(*) AS n,
		avg(latency) AS avg_ms FROM TUMBLE(events, ts, INTERVAL '1' MINUTE) GROUP BY window_start, window_end, service`
)

func TestViewsEndpoint(t *testing.T) {
	f := newFixture(t)
	f.exec(t, worstView)
	f.exec(t, perMinute)
	var got catalogPayload
	if code := f.get(t, "/api/views", &got); code != 200 {
		t.Fatalf("status %d", code)
	}
	if got.MaxRows != 500 || len(got.Views) != 2 {
		t.Fatalf("views %+v", got)
	}
	pm, w := got.Views[0], got.Views[1]
	if pm.Name != "per_min" || pm.Time != "window_start" || !slices.Equal(pm.Keys, []string{"service"}) ||
		!slices.Equal(pm.Values, []string{"n", "avg_ms"}) || pm.ID == 0 {
		t.Errorf("per_min %+v", pm)
	}
	var kinds []string
	for _, c := range pm.Columns {
		kinds = append(kinds, c.Name+":"+c.Kind)
	}
	if strings.Join(kinds, " ") != "window_start:time window_end:time service:text n:number avg_ms:number" {
		t.Errorf("per_min columns %s", kinds)
	}
	if w.Name != "worst" || w.Time != "" || !slices.Equal(w.Values, []string{"worst"}) || w.Columns[1].Type != "double precision" {
		t.Errorf("worst %+v", w)
	}
}

func TestRowsEndpoint(t *testing.T) {
	f := newFixture(t)
	f.exec(t, worstView)
	f.exec(t, perMinute)
	f.emit(base, "api", 120, "db", 30)
	f.emit(base.Add(time.Minute), "api", 80)
	type rowsBody struct {
		View View    `json:"view"`
		Rows [][]any `json:"rows"`
	}
	poll(t, 10*time.Second, "worst rows", func() string {
		var got rowsBody
		f.get(t, "/api/views/worst/rows", &got)
		if fmt.Sprint(got.Rows) != "[[api 120] [db 30]]" && fmt.Sprint(got.Rows) != "[[db 30] [api 120]]" {
			return fmt.Sprint(got.Rows)
		}
		return ""
	})
	// A windowed view's rows come latest window first; limit cuts them.
	poll(t, 10*time.Second, "per_min rows", func() string {
		var got rowsBody
		f.get(t, "/api/views/per_min/rows", &got)
		if len(got.Rows) != 3 {
			return fmt.Sprint(got.Rows)
		}
		if got.Rows[0][0] != "2026-11-21T10:01:00Z" || got.Rows[0][3] != 1.0 || got.Rows[0][4] != 80.0 {
			return fmt.Sprint(got.Rows)
		}
		return ""
	})
	var one rowsBody
	f.get(t, "/api/views/per_min/rows?limit=1", &one)
	if len(one.Rows) != 1 || one.Rows[0][0] != "2026-11-21T10:01:00Z" || one.View.Name != "per_min" {
		t.Errorf("limit=1: %+v", one)
	}
	var e map[string]string
	if code := f.get(t, "/api/views/nope/rows", &e); code != http.StatusNotFound || !strings.Contains(e["error"], `"nope" does not exist`) {
		t.Errorf("unknown view: %d %v", code, e)
	}
	if code := f.get(t, "/api/views/worst/rows?limit=x", &e); code != http.StatusBadRequest || !strings.Contains(e["error"], "limit") {
		t.Errorf("bad limit: %d %v", code, e)
	}
	// The source is not a view.
	if code := f.get(t, "/api/views/events/rows", &e); code != http.StatusNotFound {
		t.Errorf("a source: %d %v", code, e)
	}
}

// TestRowsQuotedName reads a view whose name needs quoting.
func TestRowsQuotedName(t *testing.T) {
	f := newFixture(t)
	f.exec(t, `CREATE MATERIALIZED VIEW "Worst ""Latency""" AS SELECT service, max(latency) AS worst FROM events GROUP BY service`)
	f.emit(base, "api", 7)
	poll(t, 10*time.Second, "rows", func() string {
		var got struct{ Rows [][]any }
		f.get(t, `/api/views/Worst%20%22Latency%22/rows`, &got)
		if fmt.Sprint(got.Rows) != "[[api 7]]" {
			return fmt.Sprint(got.Rows)
		}
		return ""
	})
}

// alertSink creates a webhook sink on worst that fires for latency over
// 100, delivering to a receiver that accepts everything.
func alertSink(t *testing.T, f *fixture) {
	t.Helper()
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
	}))
	t.Cleanup(hook.Close)
	f.exec(t, fmt.Sprintf(`CREATE SINK pager FROM worst WHERE worst > 100 WITH (connector = 'webhook',
		url = '%s', labels = 'service', severity = 'P1', group_wait = '0s')`, hook.URL))
}

func TestAlertsEndpoint(t *testing.T) {
	f := newFixture(t)
	f.exec(t, worstView)
	alertSink(t, f)
	f.emit(base, "api", 400, "db", 20)
	type body struct {
		Alerts []map[string]any `json:"alerts"`
		Events []AlertEvent     `json:"events"`
	}
	var got body
	poll(t, 10*time.Second, "a firing alert", func() string {
		got = body{}
		f.get(t, "/api/alerts", &got)
		if len(got.Alerts) != 1 || got.Alerts[0]["state"] != "firing" {
			return fmt.Sprint(got.Alerts)
		}
		return ""
	})
	a := got.Alerts[0]
	if a["sink"] != "pager" || a["severity"] != "P1" || fmt.Sprint(a["labels"]) != "map[service:api]" || a["fired_at"] == nil {
		t.Errorf("alert %v", a)
	}
	var states []string
	for _, e := range got.Events {
		states = append(states, e.State)
		if e.Sink != "pager" || e.Labels["service"] != "api" || e.At == "" {
			t.Errorf("event %+v", e)
		}
	}
	if !slices.Contains(states, "firing") {
		t.Errorf("events %v", states)
	}
}

func TestAlertHistory(t *testing.T) {
	alerts := []map[string]any{{
		"id": int64(1), "sink": "s", "severity": "P2", "fingerprint": "f1", "labels": json.RawMessage(`{"service":"api"}`),
		"started_at": "2026-11-21T10:00:00Z", "fired_at": "2026-11-21T10:01:00Z", "resolved_at": nil, "acknowledged_at": nil,
	}, {
		"id": int64(2), "sink": "s", "severity": "P2", "fingerprint": "f2", "labels": json.RawMessage(`{}`),
		"started_at": "2026-11-21T09:00:00Z", "fired_at": "2026-11-21T09:00:30Z", "resolved_at": "2026-11-21T09:30:00.5Z",
	}}
	// The firing of alert 1 was heard, a moment after its stored time.
	heard := []AlertEvent{{ID: 1, Sink: "s", State: "firing", At: "2026-11-21T10:01:00.000001Z", Labels: map[string]string{"service": "api"}}}
	var got []string
	for _, e := range alertHistory(alerts, heard) {
		got = append(got, fmt.Sprintf("%d %s %s %v", e.ID, e.State, e.At, e.Labels))
	}
	want := []string{
		"2 pending 2026-11-21T09:00:00Z map[]",
		"2 firing 2026-11-21T09:00:30Z map[]",
		"2 resolved 2026-11-21T09:30:00.5Z map[]",
		"1 pending 2026-11-21T10:00:00Z map[service:api]",
		"1 firing 2026-11-21T10:01:00.000001Z map[service:api]",
	}
	if !slices.Equal(got, want) {
		t.Errorf("history\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

func TestSourcesEndpoint(t *testing.T) {
	f := newFixture(t)
	f.exec(t, worstView)
	f.emit(base, "api", 1, "db", 2, "web", 3)
	type body struct {
		Sources []SourceStats            `json:"sources"`
		History map[string][]SourcePoint `json:"history"`
	}
	poll(t, 10*time.Second, "source sample", func() string {
		var got body
		f.get(t, "/api/sources", &got)
		if len(got.Sources) != 1 {
			return fmt.Sprint(got)
		}
		s := got.Sources[0]
		if s.Name != "events" || s.Connector != "memory" || s.Records != 3 || s.Accepted != 3 || s.Lag != 0 || s.At == 0 {
			return fmt.Sprintf("%+v", s)
		}
		if s.Watermark != "2026-11-21T10:00:00Z" {
			return fmt.Sprintf("watermark %v", s.Watermark)
		}
		if len(got.History["events"]) < 2 {
			return fmt.Sprint(got.History)
		}
		return ""
	})
}

func TestRateFromSamples(t *testing.T) {
	f := newFixture(t)
	f.exec(t, worstView)
	f.emit(base, "api", 1)
	// The test samples by hand, so the window of the rate is known; the
	// first sample of a source has no rate.
	prev := map[string]SourceStats{}
	poll(t, 10*time.Second, "records", func() string {
		clear(prev)
		if err := f.dash.sampleSources(t.Context(), f.sess, prev); err != nil {
			return err.Error()
		}
		if prev["events"].Records != 1 {
			return fmt.Sprint(prev)
		}
		return ""
	})
	if prev["events"].Rate != 0 {
		t.Errorf("first sample's rate %v", prev["events"].Rate)
	}
	p := prev["events"]
	p.At -= 2000
	p.Records -= 10
	prev["events"] = p
	if err := f.dash.sampleSources(t.Context(), f.sess, prev); err != nil {
		t.Fatal(err)
	}
	// 10 records in (a little more than) 2 seconds.
	if r := prev["events"].Rate; r > 5 || r < 4.9 {
		t.Errorf("rate %v, want about 5/s", r)
	}
}

func TestStaticAssets(t *testing.T) {
	f := newFixture(t)
	for _, c := range []struct{ path, ctype, contains string }{
		{"/", "text/html", `<script src="assets/app.js">`},
		{"/assets/app.js", "text/javascript", "new EventSource"},
		{"/assets/app.css", "text/css", "#timeline"},
		{"/assets/vendor/uPlot.iife.min.js", "text/javascript", "uPlot"},
		{"/assets/vendor/uPlot.min.css", "text/css", ".uplot"},
	} {
		res, err := http.Get(f.srv.URL + c.path)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if res.StatusCode != 200 || !strings.HasPrefix(res.Header.Get("Content-Type"), c.ctype) || !strings.Contains(string(b), c.contains) {
			t.Errorf("%s: %d %q, %d bytes", c.path, res.StatusCode, res.Header.Get("Content-Type"), len(b))
		}
		if csp := res.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'self'") {
			t.Errorf("%s: CSP %q", c.path, csp)
		}
	}
	res, err := http.Get(f.srv.URL + "/nope")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusNotFound {
		t.Errorf("/nope: %d", res.StatusCode)
	}
}

func TestJSONValue(t *testing.T) {
	for _, c := range []struct {
		d    types.Datum
		want string
	}{
		{types.NullDatum(types.Int64Type), `null`},
		{types.BoolDatum(true), `true`},
		{types.IntDatum(types.Int32Type, -7), `-7`},
		{types.FloatDatum(types.Float64Type, 1.5), `1.5`},
		{types.FloatDatum(types.Float64Type, math.NaN()), `"NaN"`},
		{types.FloatDatum(types.Float32Type, math.Inf(-1)), `"-Infinity"`},
		{types.IntDatum(types.TimestampType, base.UnixMicro()+1), `"2026-11-21T10:00:00.000001Z"`},
		{types.IntDatum(types.TimestampTZType, base.UnixMicro()), `"2026-11-21T10:00:00Z"`},
		{types.StringDatum(types.JSONBType, `{"a": [1, 2]}`), `{"a":[1,2]}`},
		{types.StringDatum(types.TextType, `say "hi"`), `"say \"hi\""`},
		{types.IntDatum(types.DateType, 1), `"1970-01-02"`},
	} {
		b, err := json.Marshal(jsonValue(c.d))
		if err != nil || string(b) != c.want {
			t.Errorf("%v: %s %v, want %s", c.d, b, err, c.want)
		}
	}
}

func TestNewViewChoosesTimeColumn(t *testing.T) {
	cols := types.Schema{
		{Name: "window_end", Type: types.TimestampType}, {Name: "ts", Type: types.TimestampType},
		{Name: "host", Type: types.VarcharType}, {Name: "up", Type: types.BoolType}, {Name: "load", Type: types.Float32Type},
	}
	v := newView(9, "v", cols)
	if v.Time != "ts" || !slices.Equal(v.Keys, []string{"host"}) || !slices.Equal(v.Values, []string{"load"}) {
		t.Errorf("%+v", v)
	}
	// Without a preferred name, the first time column.
	v = newView(9, "v", types.Schema{{Name: "n", Type: types.Int64Type}, {Name: "at", Type: types.TimestampTZType}, {Name: "day", Type: types.DateType}})
	if v.Time != "at" {
		t.Errorf("%+v", v)
	}
}

func TestBroadcasterDropsSlowClient(t *testing.T) {
	b := newBroadcaster()
	fast, first := b.join()
	if len(first) != 0 {
		t.Fatalf("first events %v before any sample", first)
	}
	slow, _ := b.join()
	for i := range clientBuffer + 1 {
		if err := b.addAlert(AlertEvent{ID: int64(i), State: "firing"}); err != nil {
			t.Fatal(err)
		}
		<-fast.ch
	}
	n := 0
	for range slow.ch { // closed after clientBuffer events
		n++
	}
	if n != clientBuffer {
		t.Errorf("slow client got %d events before it was dropped", n)
	}
	b.leave(slow) // already dropped: no double close
	b.leave(fast)
	if _, ok := <-fast.ch; ok {
		t.Error("left client's channel is open")
	}
	if got := len(b.alertEvents()); got != clientBuffer+1 {
		t.Errorf("kept %d alert events", got)
	}
}

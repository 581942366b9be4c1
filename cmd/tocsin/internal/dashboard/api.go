package dashboard

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"sort"
	"strconv"
	"time"

	"github.com/tocsin-db/tocsin/sql/catalog"
	"github.com/tocsin-db/tocsin/sql/sqlerr"
	"github.com/tocsin-db/tocsin/sql/types"
)

// The JSON endpoints. Every response is an object; an error is
// {"error": message, "code": SQLSTATE (when the engine gave one)}.
//
//	GET /api/views               {"views": [View], "maxRows": n}
//	GET /api/views/{name}/rows   {"view": View, "rows": [[value, ...]]}  (?limit=n, at most 10 000)
//	GET /api/alerts              {"alerts": [tocsin_alerts row], "events": [AlertEvent]}
//	GET /api/sources             {"sources": [SourceStats], "history": {name: [SourcePoint]}}

// maxRowsLimit bounds ?limit= of a rows request.
const maxRowsLimit = 10000

// views returns the materialized views, sorted by name.
func (s *Server) views() []View {
	objs := s.eng.Catalog().List(catalog.KindMaterializedView)
	views := make([]View, 0, len(objs))
	for _, o := range objs {
		vis := o.Schema.Visible()
		cols := make([]types.Column, len(vis))
		for i, c := range vis {
			cols[i] = o.Schema[c]
		}
		views = append(views, newView(o.ID, o.Name, cols))
	}
	return views
}

// query runs one statement in a session of its own.
func (s *Server) query(ctx context.Context, sql string) (*table, error) {
	sess := s.eng.NewSession(sessionParams)
	defer sess.Close()
	t := &table{}
	if err := sess.Query(ctx, sql, t); err != nil {
		return nil, err
	}
	return t, nil
}

// snapshotSQL is the query for the latest limit rows of v.
func snapshotSQL(v View, limit int) string {
	q := "SELECT * FROM " + quoteIdent(v.Name)
	if v.Time != "" {
		q += " ORDER BY " + quoteIdent(v.Time) + " DESC"
	}
	return q + " LIMIT " + strconv.Itoa(limit)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		status, b = http.StatusInternalServerError, fmt.Appendf(nil, `{"error":%q}`, err.Error())
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

// writeError reports err: an engine error with its SQLSTATE (503 when
// the object is not running, 500 otherwise), or status with message.
func writeError(w http.ResponseWriter, status int, err error) {
	body := map[string]string{"error": err.Error()}
	var se *sqlerr.Error
	if errors.As(err, &se) {
		body["code"] = se.Code.String()
		if se.Code == sqlerr.ObjectNotInPrerequisiteState {
			status = http.StatusServiceUnavailable
		}
	}
	writeJSON(w, status, body)
}

func (s *Server) handleViews(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, catalogPayload{Views: s.views(), MaxRows: s.opts.MaxRows})
}

// viewNamed returns the view called name.
func (s *Server) viewNamed(name string) (View, bool) {
	for _, v := range s.views() {
		if v.Name == name {
			return v, true
		}
	}
	return View{}, false
}

func (s *Server) handleRows(w http.ResponseWriter, r *http.Request) {
	v, ok := s.viewNamed(r.PathValue("name"))
	if !ok {
		writeError(w, http.StatusNotFound, fmt.Errorf("materialized view %q does not exist", r.PathValue("name")))
		return
	}
	limit := s.opts.MaxRows
	if l := r.URL.Query().Get("limit"); l != "" {
		n, err := strconv.Atoi(l)
		if err != nil || n < 0 || n > maxRowsLimit {
			writeError(w, http.StatusBadRequest, fmt.Errorf("limit must be an integer from 0 to %d, not %q", maxRowsLimit, l))
			return
		}
		limit = n
	}
	t, err := s.query(r.Context(), snapshotSQL(v, limit))
	if err != nil {
		writeError(w, http.StatusInternalServerError, err)
		return
	}
	rows := t.rows
	if rows == nil {
		rows = [][]any{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"view": v, "rows": rows})
}

// alertsSQL reads the alerts the timeline starts from.
const alertsSQL = `SELECT id, sink, fingerprint, state, severity, labels, silenced, inhibited,
	started_at, fired_at, resolved_at, acknowledged_at FROM tocsin_alerts ORDER BY id`

func (s *Server) handleAlerts(w http.ResponseWriter, r *http.Request) {
	t, err := s.query(r.Context(), alertsSQL)
	if err != nil {
		writeError(w, http.StatusInternalServerError, err)
		return
	}
	alerts := t.objects()
	writeJSON(w, http.StatusOK, map[string]any{"alerts": alerts, "events": alertHistory(alerts, s.hub.alertEvents())})
}

// alertHistory returns the alert changes the timeline starts from,
// oldest first: those heard on tocsin_alerts, plus, for each state of
// each current alert that none of them shows, a change made up from the
// alert's timestamps (started_at for pending, fired_at for firing,
// resolved_at for resolved, acknowledged_at for acknowledged): these
// alerts changed before the dashboard listened.
func alertHistory(alerts []map[string]any, heard []AlertEvent) []AlertEvent {
	type idState struct {
		id    int64
		state string
	}
	seen := make(map[idState]bool, len(heard))
	for _, e := range heard {
		seen[idState{e.ID, e.State}] = true
	}
	out := append([]AlertEvent(nil), heard...)
	stamps := []struct{ state, col string }{
		{"pending", "started_at"}, {"firing", "fired_at"}, {"resolved", "resolved_at"}, {"acknowledged", "acknowledged_at"},
	}
	for _, a := range alerts {
		id, _ := a["id"].(int64)
		base := AlertEvent{ID: id, Labels: map[string]string{}}
		base.Sink, _ = a["sink"].(string)
		base.Severity, _ = a["severity"].(string)
		base.Fingerprint, _ = a["fingerprint"].(string)
		if raw, ok := a["labels"].(json.RawMessage); ok {
			_ = json.Unmarshal(raw, &base.Labels) // labels are a JSON object of strings
		}
		for _, st := range stamps {
			at, ok := a[st.col].(string)
			if !ok || seen[idState{id, st.state}] {
				continue
			}
			e := base
			e.State, e.At = st.state, at
			out = append(out, e)
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return eventTime(out[i]).Before(eventTime(out[j])) })
	return out
}

// eventTime parses an alert change's time (the zero time if it does not
// parse, which sorts it first).
func eventTime(e AlertEvent) time.Time {
	t, _ := time.Parse(time.RFC3339Nano, e.At)
	return t
}

func (s *Server) handleSources(w http.ResponseWriter, _ *http.Request) {
	latest, hist := s.hub.sourceSnapshot()
	if latest == nil {
		latest = []SourceStats{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"sources": latest, "history": hist})
}

package loganomalies

import (
	"bytes"
	"encoding/json"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/tocsin-db/tocsin/examples"
)

var start = time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)

func lines(seed int64) [][]byte {
	g := NewGenerator(examples.Config{Seed: seed, Start: start})
	var out [][]byte
	for {
		st, ok := g.Next()
		if !ok {
			return out
		}
		for _, r := range st.Records {
			out = append(out, r.Value)
		}
	}
}

func TestDeterministic(t *testing.T) {
	a, b, c := lines(1), lines(1), lines(2)
	if !bytes.Equal(bytes.Join(a, []byte{'\n'}), bytes.Join(b, []byte{'\n'})) {
		t.Error("the same seed gave different lines")
	}
	if bytes.Equal(bytes.Join(a, []byte{'\n'}), bytes.Join(c, []byte{'\n'})) {
		t.Error("seeds 1 and 2 gave the same lines")
	}
}

// TestAnomalies checks the injected anomalies in the data: the new error
// appears only in its minutes, the payment timeouts spike only in
// theirs, and every other kind keeps its rate.
func TestAnomalies(t *testing.T) {
	per := map[string][]int{} // first word of the message → lines per minute
	var last int64
	for _, v := range lines(1) {
		var l struct {
			TS  int64  `json:"ts"`
			Msg string `json:"msg"`
		}
		if err := json.Unmarshal(v, &l); err != nil || l.TS < last {
			t.Fatalf("%s: %v (or out of order)", v, err)
		}
		last = l.TS
		m := int(time.UnixMilli(l.TS).Sub(start) / time.Minute)
		kind := strings.Fields(l.Msg)[0] // unique per kind
		if per[kind] == nil {
			per[kind] = make([]int, Minutes)
		}
		per[kind][m]++
	}
	if len(per) != len(kinds)+1 {
		t.Fatalf("%d kinds of line, want %d", len(per), len(kinds)+1)
	}
	r := rand.New(rand.NewPCG(0, 0))
	for m := range Minutes {
		if got, in := per["NullPointerException"][m], m >= NewFrom && m < NewTo; in != (got == NewPerMinute) || !in && got != 0 {
			t.Errorf("minute %d: %d new errors", m, got)
		}
		if got, in := per["payment"][m], m >= SpikeFrom && m < SpikeTo; in != (got == SpikePerMinute) || !in && got > 8 {
			t.Errorf("minute %d: %d payment timeouts", m, got)
		}
		for _, k := range kinds {
			got := per[strings.Fields(k.render(r))[0]][m]
			if k.service != "payments" && (got < k.perMinute-k.spread || got > k.perMinute+k.spread) {
				t.Errorf("minute %d: %d %s lines", m, got, k.service)
			}
		}
	}
}

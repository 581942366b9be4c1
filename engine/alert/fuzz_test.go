package alert

import (
	"testing"
	"time"
)

// FuzzRestore: arbitrary bytes never panic Restore, nor a following
// Advance, Alerts or Snapshot; accepted bytes round-trip.
func FuzzRestore(f *testing.F) {
	w := newWorld(f)
	for i, s := range script(4, time.Hour) {
		w.m.Advance(at(s.at))
		w.m.Observe(at(s.at), s.ev)
		if i%40 == 0 {
			snap, _ := w.m.Snapshot(nil)
			f.Add(snap)
		}
	}
	small := NewManager(richConfig(), nil, nil)
	small.Observe(at(0), on("a", P1))
	small.Observe(at(time.Minute), on("b", P3))
	small.Advance(at(2 * time.Minute))
	snap, _ := small.Snapshot(nil)
	f.Add(snap)
	f.Add([]byte{managerVersion})
	f.Add([]byte{managerVersion, 0, 0, 0, 0, 0, 0})
	f.Fuzz(func(t *testing.T, data []byte) {
		m := NewManager(richConfig(), nil, NewFiringIndex())
		if err := m.Restore(data); err != nil {
			return
		}
		again, err := m.Snapshot(nil)
		if err != nil {
			t.Fatal(err)
		}
		m2 := NewManager(richConfig(), nil, nil)
		if err := m2.Restore(again); err != nil {
			t.Fatalf("re-restore: %v", err)
		}
		m.Alerts()
		m.Advance(at(48 * time.Hour))
		m.Observe(at(48*time.Hour), on("a", P1))
		m.Advance(at(50 * time.Hour))
	})
}

// FuzzParseConfig: option values never panic the parser, and accepted
// configurations are usable by a manager.
func FuzzParseConfig(f *testing.F) {
	for _, seed := range [][2]string{
		{"for", "1 minute"}, {"group_by", "a, b"}, {"rate_limit", "10/1m"},
		{"flap_threshold", "4 in 10 minutes"}, {"route.p0", "x,y"}, {"escalate_after.p2", "1h30m"},
		{"dedup_distance", "64"}, {"group_interval", "1.5 hours"}, {"repeat_interval", "0"},
	} {
		f.Add(seed[0], seed[1])
	}
	f.Fuzz(func(t *testing.T, key, value string) {
		cfg, _, err := ParseConfig("s", map[string]string{key: value})
		if err != nil {
			if !isCode(err, "22023") {
				t.Fatalf("error without 22023: %v", err)
			}
			return
		}
		m := NewManager(cfg, nil, nil)
		m.Observe(at(0), on("a", P2))
		m.Advance(at(time.Hour))
	})
}

// FuzzParseDuration: no panic, and results are never negative.
func FuzzParseDuration(f *testing.F) {
	for _, s := range []string{"30s", "5 minutes", "1 hour 30 minutes", "1.5h", "0", "99999999999 days"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if d, err := ParseDuration(s); err == nil && d < 0 {
			t.Fatalf("ParseDuration(%q) = %v", s, d)
		}
	})
}

package anomaly

import (
	"bytes"
	"errors"
	"testing"
)

// TestDrainStateSplitRestore checks that stopping at any point, saving,
// and continuing in a fresh model gives the outputs and final state of
// the unsplit run, with eviction and masking active.
func TestDrainStateSplitRestore(t *testing.T) {
	msgs := drainStream(11, 1200)
	cfg, err := drainPresetConfig(t, "hdfs")
	if err != nil {
		t.Fatal(err)
	}
	cfg.LogFormat = nil
	cfg.MaxClusters = 25
	cfg.MaxChildren = 4
	whole := NewDrain(cfg)
	wantIDs, wantTpls := drainRun(whole, msgs...)
	wantState := whole.AppendState(nil)
	for _, split := range []int{0, 1, 17, 300, 599, 1199, 1200} {
		a := NewDrain(cfg)
		drainRun(a, msgs[:split]...)
		state := a.AppendState([]byte("prefix"))[len("prefix"):]
		b := NewDrain(cfg)
		drainRun(b, "junk that the restore must replace")
		if err := b.RestoreState(state); err != nil {
			t.Fatalf("split %d: %v", split, err)
		}
		if got := b.AppendState(nil); !bytes.Equal(got, state) {
			t.Fatalf("split %d: restored state re-encodes differently", split)
		}
		if a.SizeBytes() != b.SizeBytes() || a.Len() != b.Len() {
			t.Fatalf("split %d: size %d/%d, len %d/%d", split, a.SizeBytes(), b.SizeBytes(), a.Len(), b.Len())
		}
		ids, tpls := drainRun(b, msgs[split:]...)
		for i := range ids {
			if ids[i] != wantIDs[split+i] || tpls[i] != wantTpls[split+i] {
				t.Fatalf("split %d, row %d: got (%d, %q), want (%d, %q)", split, split+i, ids[i], tpls[i], wantIDs[split+i], wantTpls[split+i])
			}
		}
		if !bytes.Equal(b.AppendState(nil), wantState) {
			t.Fatalf("split %d: final state differs from the unsplit run", split)
		}
	}
}

// drainPresetConfig is a test shorthand for a preset's Config.
func drainPresetConfig(t *testing.T, name string) (DrainConfig, error) {
	t.Helper()
	p, ok := LookupDrainPreset(name)
	if !ok {
		t.Fatalf("no preset %q", name)
	}
	return p.Config()
}

func TestDrainRestoreRejects(t *testing.T) {
	d := NewDrain(DefaultDrainConfig())
	drainRun(d, drainStream(3, 200)...)
	good := d.AppendState(nil)
	before := d.AppendState(nil)

	other := DefaultDrainConfig()
	other.SimThreshold = 0.5
	if err := NewDrain(other).RestoreState(good); !errors.Is(err, errDrainState) {
		t.Fatalf("restore into other parameters: %v", err)
	}
	small := DefaultDrainConfig()
	small.MaxClusters = 2
	if err := NewDrain(small).RestoreState(good); err == nil {
		t.Fatal("restore into a smaller cluster cap succeeded")
	}
	for i := 0; i < len(good); i += 7 {
		corrupt := bytes.Clone(good)
		corrupt[i] ^= 0x5a
		_ = d.RestoreState(corrupt) // may succeed: a changed template byte is still a state
	}
	d2 := NewDrain(DefaultDrainConfig())
	d2.AppendState(nil)
	for _, bad := range [][]byte{nil, good[:5], good[:len(good)-1], append(bytes.Clone(good), 0), {9, 0, 0, 0, 0, 0, 0, 0, 0}} {
		if err := d2.RestoreState(bad); err == nil {
			t.Errorf("RestoreState(%d bytes) succeeded", len(bad))
		}
	}
	if err := d.RestoreState(good[:len(good)-1]); err == nil {
		t.Fatal("truncated state accepted")
	}
	if err := d.RestoreState(before); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(d.AppendState(nil), before) {
		t.Fatal("a failed restore changed the model")
	}
}

package scenario

import (
	"bytes"
	"context"
	"os"
	"strings"
	"testing"
	"time"
)

func TestPrepare(t *testing.T) {
	var out bytes.Buffer
	if sc, dir, err := Prepare(&out, "", false); sc != nil || dir != "" || err != nil || out.Len() != 0 {
		t.Fatalf("no scenario: %v %q %v", sc, dir, err)
	}
	if sc, _, err := Prepare(&out, "list", false); sc != nil || err != nil {
		t.Fatalf("list: %v %v", sc, err)
	}
	for _, s := range All() {
		if !strings.Contains(out.String(), "  "+s.Name+" ") {
			t.Errorf("the list lacks %s:\n%s", s.Name, out.String())
		}
	}
	if _, _, err := Prepare(&out, "nope", false); err == nil || !strings.Contains(err.Error(), "--scenario list") {
		t.Errorf("unknown scenario: %v", err)
	}
	sc, dir, err := Prepare(&out, "drift", false)
	if err != nil || sc == nil || sc.Name != "drift" || dir == "" {
		t.Fatalf("drift: %v %q %v", sc, dir, err)
	}
	defer os.RemoveAll(dir)
	if st, err := os.Stat(dir); err != nil || !st.IsDir() {
		t.Errorf("data directory %q: %v", dir, err)
	}
	if _, dir, _ := Prepare(&out, "drift", true); dir != "" {
		t.Errorf("with --data-dir, Prepare made %q", dir)
	}
}

func TestRealTimePacer(t *testing.T) {
	p := NewRealTime(0)
	if p.speed != DefaultSpeed {
		t.Fatalf("speed %v", p.speed)
	}
	ctx, cancel := context.WithCancel(context.Background())
	if err := p.Wait(ctx, 0); err != nil {
		t.Fatal(err)
	}
	begin := time.Now()
	if err := p.Wait(ctx, 3*time.Second); err != nil { // 50 ms at speed 60
		t.Fatal(err)
	}
	if d := time.Since(begin); d < 40*time.Millisecond {
		t.Errorf("waited %v for a step due 50 ms after the first", d)
	}
	cancel()
	if err := p.Wait(ctx, time.Hour); err == nil {
		t.Error("Wait ignored a cancelled context")
	}
	if _, err := parseOffsets("0:12,3:40"); err != nil {
		t.Error(err)
	}
	if _, err := parseOffsets("0:x"); err == nil {
		t.Error("bad offsets parsed")
	}
}

package format

import (
	"encoding/binary"
	"math/rand/v2"
	"testing"
)

// TestStrSpecial checks the eight-byte test against strSafe: every byte
// value at every position of otherwise safe words, and random words.
func TestStrSpecial(t *testing.T) {
	want := func(w uint64) bool {
		var b [8]byte
		binary.LittleEndian.PutUint64(b[:], w)
		for _, c := range b {
			if !strSafe[c] {
				return true
			}
		}
		return false
	}
	base := []byte("abcdefgh")
	for pos := range 8 {
		for c := range 256 {
			b := append([]byte(nil), base...)
			b[pos] = byte(c)
			w := binary.LittleEndian.Uint64(b)
			if got := strSpecial(w); got != want(w) {
				t.Fatalf("byte %#x at %d: strSpecial %v, want %v", c, pos, got, want(w))
			}
		}
	}
	rng := rand.New(rand.NewPCG(1, 2))
	for range 1_000_000 {
		w := rng.Uint64()
		if rng.IntN(2) == 0 {
			w &= 0x7f7f7f7f7f7f7f7f // mostly ASCII
		}
		if got := strSpecial(w); got != want(w) {
			t.Fatalf("%#016x: strSpecial %v, want %v", w, got, want(w))
		}
	}
}

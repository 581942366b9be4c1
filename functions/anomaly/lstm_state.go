package anomaly

import (
	"encoding/binary"
	"math"
	"slices"

	"github.com/tocsin-db/tocsin/sql/sqlerr"
)

// Checkpoint format of an lstmModel (little-endian):
//
//	header  version u8 (lstmStateVersion), kind u8 (lstmKindResidual or
//	        lstmKindScore), seq_len u16, hidden u16, window length u16,
//	        values seen u64, Adam steps u64, residuals seen u64: 32 bytes
//	floats  mean, variance, residual mean, residual variance, beta1^t,
//	        beta2^t, the window (oldest first), parameters, Adam first
//	        moments, Adam second moments
//
// Every float is the exact IEEE-754 bit pattern, so a restored model
// continues bit for bit. Scratch buffers are not saved: each training
// step overwrites them before reading them. LSTM_RESIDUAL keeps its
// residual count and moments at zero.
//
// The two leading bytes have the shape of the other numeric detectors'
// header (see numAppendHeader); the kinds are kept well away from their
// numKind values so that no detector's state restores into another.
const (
	// lstmMaxWeight bounds a restored weight: an Adam step moves a
	// weight by a few times the learning rate at most, so no training
	// run comes near it.
	lstmMaxWeight = 1e6
	// lstmMaxVar bounds a restored variance: inputs are within
	// ±numMaxAbs, so squared deviations stay below 4e300.
	lstmMaxVar = 1e301
	// lstmMaxCount bounds the restored count of values seen, so that it
	// is exact as a float64 and can never wrap (2^53 values take 285
	// years at a million a second).
	lstmMaxCount = 1 << 53

	lstmStateVersion = 1
	lstmKindResidual = 0xA0
	lstmKindScore    = 0xA1
	lstmHeaderLen    = 32
	lstmFixedFloats  = 6 // the floats before the window
)

// kind is the model's checkpoint kind byte.
func (m *lstmModel) kind() byte {
	if m.score {
		return lstmKindScore
	}
	return lstmKindResidual
}

// stateLen is the length of the model's serialised state.
func (m *lstmModel) stateLen() int {
	return lstmHeaderLen + 8*(lstmFixedFloats+len(m.hist)+3*len(m.net.p))
}

// AppendState implements Model. It does not allocate when dst has room.
func (m *lstmModel) AppendState(dst []byte) []byte {
	dst = slices.Grow(dst, m.stateLen())
	le := binary.LittleEndian
	dst = append(dst, lstmStateVersion, m.kind())
	dst = le.AppendUint16(dst, uint16(m.net.l))
	dst = le.AppendUint16(dst, uint16(m.net.h))
	dst = le.AppendUint16(dst, uint16(len(m.hist)))
	dst = le.AppendUint64(dst, m.n)
	dst = le.AppendUint64(dst, m.net.steps)
	dst = le.AppendUint64(dst, m.resN)
	fixed := [lstmFixedFloats]float64{m.mean, m.vr, m.resMean, m.resVr, m.net.b1t, m.net.b2t}
	for _, s := range [...][]float64{fixed[:], m.hist, m.net.p, m.net.m, m.net.v} {
		for _, f := range s {
			dst = le.AppendUint64(dst, math.Float64bits(f))
		}
	}
	return dst
}

// RestoreState implements Model. It checks the header against the
// model's parameters and every value's range before changing anything,
// so a rejected state leaves the model as it was.
func (m *lstmModel) RestoreState(src []byte) error {
	le := binary.LittleEndian
	if len(src) < lstmHeaderLen {
		return lstmCorrupt("%d bytes is shorter than the header", len(src))
	}
	if src[0] != lstmStateVersion {
		return lstmCorrupt("unknown version %d", src[0])
	}
	if src[1] != m.kind() {
		return lstmCorrupt("state of another detector (kind %d)", src[1])
	}
	l, h := int(le.Uint16(src[2:])), int(le.Uint16(src[4:]))
	if l != m.net.l || h != m.net.h {
		return lstmCorrupt("state for seq_len %d, hidden %d restored into seq_len %d, hidden %d", l, h, m.net.l, m.net.h)
	}
	histN := int(le.Uint16(src[6:]))
	n, steps, resN := le.Uint64(src[8:]), le.Uint64(src[16:]), le.Uint64(src[24:])
	if n > lstmMaxCount || steps > n || resN > steps || !m.score && resN != 0 {
		return lstmCorrupt("%d values seen, %d training steps, %d residuals", n, steps, resN)
	}
	if uint64(histN) != min(n, uint64(l)) {
		return lstmCorrupt("window of %d values after %d values", histN, n)
	}
	body := src[lstmHeaderLen:]
	np := len(m.net.p)
	if want := 8 * (lstmFixedFloats + histN + 3*np); len(body) != want {
		return lstmCorrupt("%d bytes of values, want %d", len(body), want)
	}
	f := func(i int) float64 { return math.Float64frombits(le.Uint64(body[8*i:])) }
	// Each run of floats must lie in a range every reachable state
	// respects (with slack for rounding): this rejects corruption and
	// guarantees the arithmetic ahead can produce no NaN.
	i := 0
	for _, run := range [...]struct {
		n      int
		lo, hi float64
		what   string
	}{
		{1, -2 * numMaxAbs, 2 * numMaxAbs, "mean"},
		{1, 0, lstmMaxVar, "variance"},
		{1, -math.MaxFloat64, math.MaxFloat64, "residual mean"},
		{1, 0, math.MaxFloat64, "residual variance"},
		{2, 0, 1, "Adam bias correction"},
		{histN, -numMaxAbs, numMaxAbs, "window value"},
		{np, -lstmMaxWeight, lstmMaxWeight, "weight"},
		{np, -2, 2, "Adam first moment"},
		{np, 0, 2, "Adam second moment"},
	} {
		for range run.n {
			if v := f(i); !(run.lo <= v && v <= run.hi) {
				return lstmCorrupt("%s %v out of range", run.what, v)
			}
			i++
		}
	}

	m.n, m.net.steps, m.resN = n, steps, resN
	m.mean, m.vr, m.resMean, m.resVr, m.net.b1t, m.net.b2t = f(0), f(1), f(2), f(3), f(4), f(5)
	i = lstmFixedFloats
	m.hist = m.hist[:histN]
	for _, s := range [...][]float64{m.hist, m.net.p, m.net.m, m.net.v} {
		for j := range s {
			s[j] = f(i)
			i++
		}
	}
	return nil
}

// lstmCorrupt reports a checkpoint that does not decode.
func lstmCorrupt(format string, args ...any) error {
	return sqlerr.New(sqlerr.Internal, "LSTM state: "+format, args...)
}

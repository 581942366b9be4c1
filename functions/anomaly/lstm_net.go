package anomaly

import "math"

// This file holds the numerics behind LSTM_RESIDUAL and LSTM_SCORE: a
// one-layer LSTM over a univariate window with a linear head, trained
// with truncated backpropagation through time and Adam.
//
// Bit-for-bit determinism. The Go spec lets a compiler fuse x*y + z into
// one FMA instruction (it does on arm64, ppc64le, s390x, riscv64 and on
// amd64 with GOAMD64=v3), which rounds once instead of twice; an explicit
// conversion float64(x*y) forbids the fusion. Every product that feeds a
// sum below is therefore written float64(a*b), so the results are the
// same on every platform. For the same reason the gates do not call
// math.Exp or math.Tanh (assembly versions exist on several platforms,
// and amd64's uses FMA when the CPU has it): lstmExps is a table-driven
// exponential written with explicit rounding. Division and math.Sqrt are
// correctly rounded by IEEE 754 everywhere.

// Layout of the flat parameter vector of an LSTM with hidden size H
// (P = 4H(H+2) + H + 2 values). Gate vectors have 4H entries: the input
// (i), forget (f), cell (g) and output (o) gates, H each, in that order.
//
//	w_x     4H   input weights
//	b       4H   gate biases
//	w_h     H×4H recurrent weights, row j from h[j] to every gate
//	head    w_y[0..H), b_y, w_skip
//
// Rows of w_h run over the gates so that both the forward product and
// the two backward products are contiguous loops of length 4H.
//
// The forecast in normalised units is w_y·h_L + b_y + w_skip·z_L, where
// h_L is the hidden state after the last window value z_L: the skip term
// lets the model learn persistence (the next value ≈ the last one)
// directly, which is the right prior for the random-walk-like series
// metrics often are.
const (
	lstmGates = 4
	// lstmActPerStep is the number of activations kept per time step,
	// in units of H: the four gates, c, tanh(c) and h.
	lstmActPerStep = 7
)

// Adam and training hyper-parameters. The learning rate after t steps
// is max(lstmLR/sqrt(1 + t/lstmLRDecay), lstmLRMin): fast learning at
// first, then (from step 7,200) a floor that keeps the model adapting.
// Adam's step does not shrink with the gradient, so a constant rate
// leaves a jitter floor on clean signals; the decay lowers it, and a slow
// second moment (beta2 0.9999) keeps small late gradients from being
// blown up into bursts. On a pure sine (amplitude 3, period 40) the mean
// |residual| per quarter of 4,000 values goes 0.10, 0.02, 0.04, 0.02
// (0.12, 0.09, 0.09, 0.07 with a constant rate and beta2 0.999). The
// Huber loss keeps anomalies from yanking the weights. The values were
// picked on synthetic series and on NAB's 58 series, where the mean
// |residual| is 0.85 of a persistence forecast's (geometric mean).
const (
	lstmLR       = 0.005 // initial learning rate
	lstmLRMin    = 0.001 // the learning rate never decays below this
	lstmLRDecay  = 300   // steps over which the rate falls by √2
	lstmBeta1    = 0.9
	lstmBeta2    = 0.9999
	lstmAdamEps  = 1e-8
	lstmGradClip = 1.0 // maximum global L2 norm of one step's gradient
	lstmHuber    = 0.5 // the loss is quadratic within ±lstmHuber, then linear
	lstmSeed     = 0x7f4a7c15_6a09e667
	lstmForgetB  = 1.0 // initial forget-gate bias: remember by default
	lstmSkipInit = 1.0 // initial skip weight: start from persistence
)

// lstmNet is the network, its Adam moments and the scratch space of one
// training step. All of its slices are windows into one allocation made
// by newLSTMNet; nothing is allocated afterwards.
type lstmNet struct {
	l, h int // window length and hidden size

	p []float64 // parameters (state)
	m []float64 // Adam first moments (state)
	v []float64 // Adam second moments (state)
	// b1t and b2t are beta1^t and beta2^t after t Adam steps (state);
	// they give Adam's bias correction without calling math.Pow.
	b1t, b2t float64
	steps    uint64 // Adam steps taken (state)

	g   []float64 // gradient of the last step (scratch)
	z   []float64 // normalised window, l values (scratch)
	act []float64 // activations, l blocks of 7h (scratch)
	dh  []float64 // dLoss/dh_t (scratch, h)
	dc  []float64 // dLoss/dc_t (scratch, h)
	dhp []float64 // dLoss/dh_{t-1} being accumulated (scratch, h)
	dz  []float64 // dLoss/d(gate pre-activations) (scratch, 4h)
}

// lstmParamCount is the length of the parameter vector for hidden size h.
func lstmParamCount(h int) int { return lstmGates*h*(h+2) + h + 2 }

// lstmScratchCount is the number of scratch float64s for window l and
// hidden size h.
func lstmScratchCount(l, h int) int {
	return lstmParamCount(h) + l + l*lstmActPerStep*h + 3*h + lstmGates*h
}

// parts splits a parameter-shaped vector (parameters or gradient) into
// w_x, b, w_h and the head.
func (n *lstmNet) parts(p []float64) (wx, b, wh, head []float64) {
	g := lstmGates * n.h
	return p[:g], p[g : 2*g], p[2*g : 2*g+g*n.h], p[2*g+g*n.h:]
}

// newLSTMNet returns a network with weights drawn from a fixed-seed
// splitmix64 stream, so every model with the same (l, h) starts from the
// same weights: uniform in ±1/sqrt(h) (the usual LSTM initialisation),
// forget biases lstmForgetB, the skip weight lstmSkipInit, other biases
// 0. (2*u - 1 is exact, so its possible fusion changes nothing.)
func newLSTMNet(l, h int) lstmNet {
	np := lstmParamCount(h)
	buf := make([]float64, 3*np+lstmScratchCount(l, h))
	n := lstmNet{l: l, h: h, b1t: 1, b2t: 1}
	take := func(c int) []float64 {
		s := buf[:c:c]
		buf = buf[c:]
		return s
	}
	n.p, n.m, n.v, n.g = take(np), take(np), take(np), take(np)
	n.z, n.act = take(l), take(l*lstmActPerStep*h)
	n.dh, n.dc, n.dhp, n.dz = take(h), take(h), take(h), take(lstmGates*h)

	rng := lstmRand{s: lstmSeed}
	scale := 1 / math.Sqrt(float64(h))
	wx, b, wh, head := n.parts(n.p)
	for _, s := range [...][]float64{wx, wh, head[:h]} {
		for i := range s {
			s[i] = float64(scale * (2*rng.float() - 1))
		}
	}
	for j := h; j < 2*h; j++ {
		b[j] = lstmForgetB
	}
	head[h+1] = lstmSkipInit
	return n
}

// forward runs the network over the window in n.z from a zero state,
// keeping every activation for backward, and returns the forecast of
// the next value in normalised units.
func (n *lstmNet) forward() float64 {
	h := n.h
	g4 := lstmGates * h
	blk := lstmActPerStep * h
	wx, b, wh, head := n.parts(n.p)
	wx, b = wx[:g4], b[:g4]
	for t := 0; t < n.l; t++ {
		x := n.z[t]
		a := n.act[t*blk : (t+1)*blk]
		pre, c, tc, hh := a[:g4:g4], a[g4:g4+h], a[g4+h:g4+2*h], a[g4+2*h:]
		for r := range pre {
			pre[r] = b[r] + float64(wx[r]*x)
		}
		if t > 0 {
			prev := n.act[(t-1)*blk : t*blk]
			hp := prev[g4+2*h : g4+3*h]
			j := 0
			for ; j+1 < len(hp); j += 2 { // two rows per pass: half the loads and stores of pre
				h0, h1 := hp[j], hp[j+1]
				w0, w1 := wh[j*g4:(j+1)*g4], wh[(j+1)*g4:(j+2)*g4]
				w0, w1 = w0[:len(pre)], w1[:len(pre)]
				for r := range pre {
					pre[r] = (pre[r] + float64(w0[r]*h0)) + float64(w1[r]*h1)
				}
			}
			if j < len(hp) {
				h0, w0 := hp[j], wh[j*g4:(j+1)*g4]
				w0 = w0[:len(pre)]
				for r := range pre {
					pre[r] += float64(w0[r] * h0)
				}
			}
		}
		gates := pre
		lstmSigmoids(gates[:2*h], 1)
		lstmSigmoids(gates[2*h:3*h], 2) // tanh, finished below
		lstmSigmoids(gates[3*h:], 1)
		for r, s := range gates[2*h : 3*h] {
			gates[2*h+r] = 2*s - 1
		}
		i, f, gg, o := gates[:h], gates[h:2*h], gates[2*h:3*h], gates[3*h:]
		c, tc, hh = c[:h], tc[:h], hh[:h]
		if t > 0 {
			cPrev := n.act[(t-1)*blk+g4 : (t-1)*blk+g4+h]
			cPrev = cPrev[:h]
			for j := range c {
				c[j] = float64(f[j]*cPrev[j]) + float64(i[j]*gg[j])
			}
		} else {
			for j := range c {
				c[j] = float64(i[j] * gg[j])
			}
		}
		copy(tc, c)
		lstmSigmoids(tc, 2)
		for j, s := range tc {
			th := 2*s - 1 // tanh(c)
			tc[j] = th
			hh[j] = float64(o[j] * th)
		}
	}
	last := n.act[(n.l-1)*blk+g4+2*h : n.l*blk]
	y := head[h] + float64(head[h+1]*n.z[n.l-1])
	for j, hv := range last {
		y += float64(head[j] * hv)
	}
	return y
}

// backward computes into n.g the gradient of the loss for the forecast
// forward returned, given dy = dLoss/dforecast. It needs the activations
// of the forward call just before it.
func (n *lstmNet) backward(dy float64) {
	h := n.h
	g4 := lstmGates * h
	blk := lstmActPerStep * h
	clear(n.g)
	_, _, wh, head := n.parts(n.p)
	gwx, gb, gwh, ghead := n.parts(n.g)
	gwx, gb = gwx[:g4], gb[:g4]
	last := n.act[(n.l-1)*blk+g4+2*h : n.l*blk]
	for j, hv := range last {
		ghead[j] = float64(dy * hv)
		n.dh[j] = float64(dy * head[j])
	}
	ghead[h] = dy
	ghead[h+1] = float64(dy * n.z[n.l-1])
	clear(n.dc)

	dz := n.dz[:g4]
	for t := n.l - 1; t >= 0; t-- {
		a := n.act[t*blk : (t+1)*blk]
		gates, tc := a[:g4], a[g4+h:g4+2*h]
		var prev []float64
		if t > 0 {
			prev = n.act[(t-1)*blk : t*blk]
		}
		dhs, dcs := n.dh[:h], n.dc[:h]
		for j := range dhs {
			i, f, g, o := gates[j], gates[h+j], gates[2*h+j], gates[3*h+j]
			dh, tcj := dhs[j], tc[j]
			do := float64(dh * tcj)
			dc := dcs[j] + float64(float64(dh*o)*(1-float64(tcj*tcj)))
			var df float64
			if prev != nil {
				df = float64(dc * prev[g4+j])
			}
			dz[j] = float64(float64(dc*g) * float64(i*(1-i)))
			dz[h+j] = float64(df * float64(f*(1-f)))
			dz[2*h+j] = float64(float64(dc*i) * (1 - float64(g*g)))
			dz[3*h+j] = float64(do * float64(o*(1-o)))
			dcs[j] = float64(dc * f) // dLoss/dc_{t-1}
		}
		x := n.z[t]
		for r, d := range dz {
			gwx[r] += float64(d * x)
			gb[r] += d
		}
		if prev == nil {
			break
		}
		dhp := n.dhp[:h]
		hp := prev[g4+2*h : g4+3*h]
		j := 0
		for ; j+1 < len(hp); j += 2 { // two rows per pass, as in forward
			h0, h1 := hp[j], hp[j+1]
			w0, w1 := wh[j*g4:(j+1)*g4], wh[(j+1)*g4:(j+2)*g4]
			g0, g1 := gwh[j*g4:(j+1)*g4], gwh[(j+1)*g4:(j+2)*g4]
			w0, w1, g0, g1 = w0[:len(dz)], w1[:len(dz)], g0[:len(dz)], g1[:len(dz)]
			var s0, s1 float64
			for r, d := range dz {
				g0[r] += float64(d * h0)
				g1[r] += float64(d * h1)
				s0 += float64(d * w0[r])
				s1 += float64(d * w1[r])
			}
			dhp[j], dhp[j+1] = s0, s1
		}
		if j < len(hp) {
			h0, w0, g0 := hp[j], wh[j*g4:(j+1)*g4], gwh[j*g4:(j+1)*g4]
			w0, g0 = w0[:len(dz)], g0[:len(dz)]
			var s0 float64
			for r, d := range dz {
				g0[r] += float64(d * h0)
				s0 += float64(d * w0[r])
			}
			dhp[j] = s0
		}
		n.dh, n.dhp = n.dhp, n.dh
	}
}

// adam applies one Adam step with the gradient in n.g, first scaling the
// gradient down to a global L2 norm of at most lstmGradClip.
func (n *lstmNet) adam() {
	var ss float64
	for _, g := range n.g {
		ss += float64(g * g)
	}
	scale := 1.0
	if norm := math.Sqrt(ss); norm > lstmGradClip {
		scale = lstmGradClip / norm
	}
	n.b1t = float64(n.b1t * lstmBeta1)
	n.b2t = float64(n.b2t * lstmBeta2)
	n.steps++
	lr := max(lstmLR/math.Sqrt(1+float64(n.steps)/lstmLRDecay), lstmLRMin)
	lr = float64(lr*math.Sqrt(1-n.b2t)) / (1 - n.b1t)
	for i, g := range n.g {
		g = float64(g * scale)
		m := float64(lstmBeta1*n.m[i]) + float64((1-lstmBeta1)*g)
		v := float64(lstmBeta2*n.v[i]) + float64((1-lstmBeta2)*float64(g*g))
		n.m[i], n.v[i] = m, v
		n.p[i] -= float64(lr*m) / (math.Sqrt(v) + lstmAdamEps)
	}
}

// lstmSigmoids sets xs[i] = σ(k·xs[i]) for k 1 or 2 (scaling by either
// is exact), where σ is the logistic function saturated beyond ±40 (it is
// then within 1e-17 of 0 or 1). tanh(x) is 2σ(2x) - 1, with an absolute
// error of about 1e-16, all a gate needs; 2σ is exact, so a fused
// 2σ - 1 rounds the same. Working on slices keeps the
// exponential (40 per time step at hidden size 8, the detector's
// hottest loop) free of call overhead.
func lstmSigmoids(xs []float64, k float64) {
	for i, x := range xs {
		x *= -k
		if x < -40 {
			x = -40
		} else if x > 40 {
			x = 40
		}
		xs[i] = x
	}
	lstmExps(xs)
	for i, e := range xs {
		xs[i] = 1 / (1 + e)
	}
}

// Constants of lstmExps: ln2/64 split into a head with 32 significant
// bits (so k·lstmLn2By64Hi is exact) and the tail.
const (
	lstmInvLn2By64 = 92.33248261689366      // 64/ln2
	lstmLn2By64Hi  = 0x1.62e42feep-7        // ln2/64, leading bits
	lstmLn2By64Lo  = 2.9815858269852933e-12 // ln2/64 - lstmLn2By64Hi
	lstmExpMaxArg  = 80                     // callers stay within ±80
	lstmRoundMagic = 0x1.8p52               // see lstmExps
)

// lstmExp2Frac holds the bits of 2^(j/64), j = 0..63, correctly rounded.
var lstmExp2Frac = [64]uint64{
	0x3ff0000000000000, 0x3ff02c9a3e778061, 0x3ff059b0d3158574, 0x3ff0874518759bc8,
	0x3ff0b5586cf9890f, 0x3ff0e3ec32d3d1a2, 0x3ff11301d0125b51, 0x3ff1429aaea92de0,
	0x3ff172b83c7d517b, 0x3ff1a35beb6fcb75, 0x3ff1d4873168b9aa, 0x3ff2063b88628cd6,
	0x3ff2387a6e756238, 0x3ff26b4565e27cdd, 0x3ff29e9df51fdee1, 0x3ff2d285a6e4030b,
	0x3ff306fe0a31b715, 0x3ff33c08b26416ff, 0x3ff371a7373aa9cb, 0x3ff3a7db34e59ff7,
	0x3ff3dea64c123422, 0x3ff4160a21f72e2a, 0x3ff44e086061892d, 0x3ff486a2b5c13cd0,
	0x3ff4bfdad5362a27, 0x3ff4f9b2769d2ca7, 0x3ff5342b569d4f82, 0x3ff56f4736b527da,
	0x3ff5ab07dd485429, 0x3ff5e76f15ad2148, 0x3ff6247eb03a5585, 0x3ff6623882552225,
	0x3ff6a09e667f3bcd, 0x3ff6dfb23c651a2f, 0x3ff71f75e8ec5f74, 0x3ff75feb564267c9,
	0x3ff7a11473eb0187, 0x3ff7e2f336cf4e62, 0x3ff82589994cce13, 0x3ff868d99b4492ed,
	0x3ff8ace5422aa0db, 0x3ff8f1ae99157736, 0x3ff93737b0cdc5e5, 0x3ff97d829fde4e50,
	0x3ff9c49182a3f090, 0x3ffa0c667b5de565, 0x3ffa5503b23e255d, 0x3ffa9e6b5579fdbf,
	0x3ffae89f995ad3ad, 0x3ffb33a2b84f15fb, 0x3ffb7f76f2fb5e47, 0x3ffbcc1e904bc1d2,
	0x3ffc199bdd85529c, 0x3ffc67f12e57d14b, 0x3ffcb720dcef9069, 0x3ffd072d4a07897c,
	0x3ffd5818dcfba487, 0x3ffda9e603db3285, 0x3ffdfc97337b9b5f, 0x3ffe502ee78b3ff6,
	0x3ffea4afa2a490da, 0x3ffefa1bee615a27, 0x3fff50765b6e4540, 0x3fffa7c1819e90d8,
}

// lstmExps sets xs[i] = e**xs[i], for |xs[i]| <= lstmExpMaxArg, to
// within 3 ulp, using only +, -, * and explicit rounding, so the result
// is the same on every platform. With x = (64q + j)·ln2/64 + r, where
// |r| <= ln2/128, it is 2^q · 2^(j/64) · p(r), and p is the degree-5
// Taylor polynomial of e^r (truncation error below 4e-17 relative).
func lstmExps(xs []float64) {
	for i, x := range xs {
		// Round x·64/ln2 to the nearest integer without a branch (gate
		// inputs change sign at random): adding and removing 1.5·2^52
		// leaves no fraction bits under IEEE round-to-nearest-even.
		fk := float64(float64(x*lstmInvLn2By64)+lstmRoundMagic) - lstmRoundMagic
		k := int(fk)
		r := (x - float64(fk*lstmLn2By64Hi)) - float64(fk*lstmLn2By64Lo)
		r2 := float64(r * r)
		p := (1 + r) + float64(r2*((0.5+float64(r*(1.0/6)))+float64(r2*(1.0/24+float64(r*(1.0/120))))))
		// k>>6 floors and k&63 is the matching remainder; 2^(k>>6) is
		// a normal number for |x| <= lstmExpMaxArg.
		scale := math.Float64frombits(uint64((k>>6)+1023) << 52)
		xs[i] = float64(float64(math.Float64frombits(lstmExp2Frac[k&63])*p) * scale)
	}
}

// lstmRand is splitmix64: a tiny deterministic generator for the
// initial weights (never math/rand's global state).
type lstmRand struct{ s uint64 }

// float returns the next value, uniform in [0, 1).
func (r *lstmRand) float() float64 {
	r.s += 0x9e3779b97f4a7c15
	z := r.s
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	z ^= z >> 31
	return float64(z>>11) / (1 << 53)
}

package anomaly

import (
	"math"
	"testing"
)

func TestLSTMGradientMatchesFiniteDifferences(t *testing.T) {
	for _, h := range []int{3, 4} { // odd and even: both paths of the paired loops
		n := newLSTMNet(5, h)
		rng := lstmRand{s: 1}
		for i := range n.p {
			n.p[i] = 2*rng.float() - 1
		}
		for i := range n.z {
			n.z[i] = 4*rng.float() - 2
		}
		const target = 0.3
		loss := func() float64 {
			d := n.forward() - target
			return 0.5 * d * d
		}
		n.backward(n.forward() - target)
		grad := append([]float64(nil), n.g...)
		const eps = 1e-6
		for i := range n.p {
			p := n.p[i]
			n.p[i] = p + eps
			up := loss()
			n.p[i] = p - eps
			down := loss()
			n.p[i] = p
			num := (up - down) / (2 * eps)
			if d := math.Abs(num - grad[i]); d > 1e-7+1e-5*math.Abs(num) {
				t.Errorf("hidden %d, param %d: backward %.10g, finite difference %.10g", h, i, grad[i], num)
			}
		}
	}
}

func TestLSTMExpMatchesMathExp(t *testing.T) {
	for j := range lstmExp2Frac {
		want := math.Exp2(float64(j) / 64)
		if got := math.Float64frombits(lstmExp2Frac[j]); math.Abs(got-want) > 0x1p-52*want {
			t.Fatalf("2^(%d/64) = %v, want %v", j, got, want)
		}
	}
	var xs []float64
	for x := -float64(lstmExpMaxArg); x <= lstmExpMaxArg; x += 0.000731 {
		xs = append(xs, x)
	}
	xs = append(xs, 0, math.Copysign(0, -1), 1, -1, 0.5*lstmLn2By64Hi, lstmExpMaxArg)
	got := append([]float64(nil), xs...)
	lstmExps(got)
	worst := 0.0
	for i, x := range xs {
		worst = max(worst, math.Abs(got[i]-math.Exp(x))/math.Exp(x))
	}
	if worst > 0x3p-52 { // 3 ulp: the table, the polynomial and two products each round
		t.Fatalf("worst relative error %g", worst)
	}
	t.Logf("worst relative error %g", worst)
	s := []float64{-100, -40, -1, 0, 1, 40, 100}
	lstmSigmoids(s, 1)
	for i, want := range []float64{0, 0, 1 / (1 + math.E), 0.5, 1 / (1 + 1/math.E), 1, 1} {
		if math.Abs(s[i]-want) > 1e-15 {
			t.Errorf("sigmoid #%d = %v, want %v", i, s[i], want)
		}
	}
}

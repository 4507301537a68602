package kernels

import (
	"fmt"
	"math"
)

// AdamScalars are the numbers one Adam update uses, derived by the caller
// from its hyperparameters and step count.
type AdamScalars struct {
	Scale    float32 // gradient scale (norm clipping; 1 without)
	B1, C1   float32 // first moment: m = B1*m + C1*g
	B2, C2   float32 // second moment: v = B2*v + C2*g*g
	Step     float32 // learning rate over the first moment's bias correction
	Inv, Eps float32 // 1/sqrt of the second moment's bias correction; epsilon
}

// Adam applies one Adam update to the parameters p in place, with their
// moments m and v and gradient g:
//
//	gs = Scale*g;  m = B1*m + C1*gs;  v = B2*v + (C2*gs)*gs
//	p  = p - (Step*m) / (sqrt(v)*Inv + Eps)
//
// each operation rounded to float32 in this order and none fused, so every
// implementation gives the same bits.
func Adam(p, m, v, g []float32, s AdamScalars) error {
	if len(m) != len(p) || len(v) != len(p) || len(g) != len(p) {
		return fmt.Errorf("kernels: adam: len(p) = %d, len(m) = %d, len(v) = %d, len(g) = %d: lengths differ", len(p), len(m), len(v), len(g))
	}
	if len(p) == 0 {
		return nil
	}
	raceRead(g)
	raceWrite(p)
	raceWrite(m)
	raceWrite(v)
	active.Load().adam(p, m, v, g, s)
	return nil
}

// adamGeneric is the reference. Go does not fuse a*b+c into one rounding
// on amd64, where the assembly runs; on arm64 it may, so there the results
// can differ from amd64's in the last bit.
func adamGeneric(p, m, v, g []float32, s AdamScalars) {
	m, v, g = m[:len(p)], v[:len(p)], g[:len(p)]
	for j := range p {
		gv := g[j] * s.Scale
		mj := s.B1*m[j] + s.C1*gv
		vj := s.B2*v[j] + s.C2*gv*gv
		m[j], v[j] = mj, vj
		p[j] -= s.Step * mj / (float32(math.Sqrt(float64(vj)))*s.Inv + s.Eps)
	}
}

// vectorAdam makes an implementation's Adam from a kernel that takes a
// multiple of width floats; the generic code does the rest.
func vectorAdam(kernel func(p, m, v, grad *float32, n int, scale, b1, c1, b2, c2, step, inv, eps float32), width int) func(p, m, v, g []float32, s AdamScalars) {
	return func(p, m, v, g []float32, s AdamScalars) {
		n := len(p) / width * width
		if n > 0 {
			kernel(&p[0], &m[0], &v[0], &g[0], n, s.Scale, s.B1, s.C1, s.B2, s.C2, s.Step, s.Inv, s.Eps)
		}
		adamGeneric(p[n:], m[n:], v[n:], g[n:], s)
	}
}

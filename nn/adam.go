package nn

import (
	"fmt"
	"math"
)

// Adam is the optimiser of Kingma and Ba with PyTorch's defaults
// (beta1 0.9, beta2 0.999, eps 1e-8) and optional gradient-norm clipping.
type Adam struct {
	LR, Beta1, Beta2, Eps float64
	ClipNorm              float64 // clip the global gradient norm to this; 0 = off
	T                     int     // steps taken
	M, V                  [][]float32
}

// NewAdam allocates moment buffers for m's parameters.
func NewAdam(m *MLP, lr float64) *Adam {
	a := &Adam{LR: lr, Beta1: 0.9, Beta2: 0.999, Eps: 1e-8}
	for _, p := range m.Params() {
		a.M = append(a.M, make([]float32, len(p)))
		a.V = append(a.V, make([]float32, len(p)))
	}
	return a
}

// GradNorm is the Euclidean norm of all gradients together.
func GradNorm(g *Grads) float64 {
	var s float64
	for _, gs := range g.G {
		for _, v := range gs {
			s += float64(v) * float64(v)
		}
	}
	return math.Sqrt(s)
}

// Step applies one update to m from g and refreshes m's derived weights.
// It returns the gradient norm before clipping; a non-finite norm leaves the
// model untouched and returns an error.
func (a *Adam) Step(m *MLP, g *Grads) (float64, error) {
	norm := GradNorm(g)
	if math.IsNaN(norm) || math.IsInf(norm, 0) {
		return norm, fmt.Errorf("nn: adam: gradient norm is %v; step skipped", norm)
	}
	scale := 1.0
	if a.ClipNorm > 0 && norm > a.ClipNorm {
		scale = a.ClipNorm / norm
	}
	a.T++
	bc1 := 1 - math.Pow(a.Beta1, float64(a.T))
	bc2 := 1 - math.Pow(a.Beta2, float64(a.T))
	step := float32(a.LR / bc1)
	b1, b2 := float32(a.Beta1), float32(a.Beta2)
	c1, c2 := 1-b1, 1-b2
	invSqrtBc2 := float32(1 / math.Sqrt(bc2))
	eps := float32(a.Eps)
	sc := float32(scale)
	for i, p := range m.Params() {
		mom, vel, gs := a.M[i][:len(p)], a.V[i][:len(p)], g.G[i][:len(p)]
		for j := range p {
			gv := gs[j] * sc
			mj := b1*mom[j] + c1*gv
			vj := b2*vel[j] + c2*gv*gv
			mom[j], vel[j] = mj, vj
			p[j] -= step * mj / (float32(math.Sqrt(float64(vj)))*invSqrtBc2 + eps)
		}
	}
	m.Sync()
	return norm, nil
}

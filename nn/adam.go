package nn

import (
	"fmt"
	"math"

	"github.com/ebm-project/ebm/kernels"
)

// Adam is the optimiser of Kingma and Ba with PyTorch's defaults
// (beta1 0.9, beta2 0.999, eps 1e-8) and optional gradient-norm clipping.
type Adam struct {
	LR, Beta1, Beta2, Eps float64
	ClipNorm              float64 // clip the global gradient norm to this; 0 = off
	T                     int     // steps taken
	M, V                  [][]float32

	chunks  []chunk
	partial []float64 // sum of squares of each chunk's gradients
	// The step in progress, read by the chunk tasks.
	m                    *Net
	g                    *Grads
	scalars              kernels.AdamScalars
	normTask, updateTask func(worker, task int)
}

// NewAdam allocates moment buffers for m's parameters.
func NewAdam(m *Net, lr float64) *Adam {
	a := &Adam{LR: lr, Beta1: 0.9, Beta2: 0.999, Eps: 1e-8, chunks: chunksOf(m.Params())}
	for _, p := range m.Params() {
		a.M = append(a.M, make([]float32, len(p)))
		a.V = append(a.V, make([]float32, len(p)))
	}
	a.partial = make([]float64, len(a.chunks))
	a.normTask, a.updateTask = a.normChunk, a.updateChunk
	return a
}

// GradNorm is the Euclidean norm of all gradients together, summed chunk
// by chunk in a fixed order (as Adam does).
func GradNorm(g *Grads) float64 {
	var s float64
	for _, c := range chunksOf(g.G) {
		s += sumSquares(g.G[c.param][c.lo:c.hi])
	}
	return math.Sqrt(s)
}

func sumSquares(v []float32) float64 {
	var s float64
	for _, x := range v {
		s += float64(x) * float64(x)
	}
	return s
}

// Step applies one update to m from g and refreshes m's derived weights.
// It returns the gradient norm before clipping; a non-finite norm leaves the
// model untouched and returns an error.
func (a *Adam) Step(m *Net, g *Grads) (float64, error) { return a.StepParallel(m, g, nil) }

// StepParallel is Step with its element-wise passes on the pool run
// (nil: serial); the result is the same.
func (a *Adam) StepParallel(m *Net, g *Grads, run Parallel) (float64, error) {
	a.m, a.g = m, g
	defer func() { a.m, a.g = nil, nil }()
	each(run, len(a.chunks), a.normTask)
	var ss float64
	for _, s := range a.partial {
		ss += s
	}
	norm := math.Sqrt(ss)
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
	b1, b2 := float32(a.Beta1), float32(a.Beta2)
	a.scalars = kernels.AdamScalars{
		Scale: float32(scale),
		B1:    b1,
		C1:    1 - b1,
		B2:    b2,
		C2:    1 - b2,
		Step:  float32(a.LR / bc1),
		Inv:   float32(1 / math.Sqrt(bc2)),
		Eps:   float32(a.Eps),
	}
	each(run, len(a.chunks), a.updateTask)
	m.SyncParallel(run)
	return norm, nil
}

func (a *Adam) normChunk(_, t int) {
	c := a.chunks[t]
	a.partial[t] = sumSquares(a.g.G[c.param][c.lo:c.hi])
}

func (a *Adam) updateChunk(_, t int) {
	c := a.chunks[t]
	p := a.m.params[c.param][c.lo:c.hi]
	mom, vel, gs := a.M[c.param][c.lo:c.hi], a.V[c.param][c.lo:c.hi], a.g.G[c.param][c.lo:c.hi]
	if err := kernels.Adam(p, mom, vel, gs, a.scalars); err != nil {
		// The four slices are one chunk of arrays of the same shape: unreachable.
		panic("nn: adam: " + err.Error())
	}
}

package nn

import (
	"fmt"
	"math"
)

// SAM is sharpness-aware minimisation (Foret et al., 2021), as SADA-JEM
// applies it to JEM: the gradient the optimiser applies at w is the one
// taken at
//
//	w + rho * g / |g|
//
// the point of the ball of radius rho around w where the loss is highest
// to first order (g, the gradient at w). A training step takes the gradient
// at w, calls Ascend, takes the gradient again on the same batch, calls
// Return, and hands the second gradient to its optimiser.
type SAM struct {
	Rho float64

	saved   [][]float32 // w, put back by Return
	chunks  []chunk
	partial []float64
	// The ascent in progress, read by the chunk tasks.
	m                    *Net
	g                    *Grads
	scale                float32
	normTask, ascendTask func(worker, task int)
	returnTask           func(worker, task int)
}

// NewSAM allocates room for a copy of m's parameters.
func NewSAM(m *Net, rho float64) (*SAM, error) {
	if !(rho > 0) || math.IsInf(rho, 0) {
		return nil, fmt.Errorf("nn: sam: rho = %v: must be a finite number > 0", rho)
	}
	s := &SAM{Rho: rho, chunks: chunksOf(m.Params())}
	for _, p := range m.Params() {
		s.saved = append(s.saved, make([]float32, len(p)))
	}
	s.partial = make([]float64, len(s.chunks))
	s.normTask, s.ascendTask, s.returnTask = s.normChunk, s.ascendChunk, s.returnChunk
	return s, nil
}

// Ascend saves m's parameters and moves them to w + rho*g/|g|, on the pool
// run (nil: serial; the result is the same). It returns |g|; a gradient
// that is zero or not finite leaves m where it is, with an error for the
// latter.
func (s *SAM) Ascend(m *Net, g *Grads, run Parallel) (float64, error) {
	s.m, s.g = m, g
	defer func() { s.m, s.g = nil, nil }()
	each(run, len(s.chunks), s.normTask)
	var ss float64
	for _, v := range s.partial {
		ss += v
	}
	norm := math.Sqrt(ss)
	if math.IsNaN(norm) || math.IsInf(norm, 0) {
		return norm, fmt.Errorf("nn: sam: gradient norm is %v", norm)
	}
	s.scale = 0
	if norm > 0 {
		s.scale = float32(s.Rho / norm)
	}
	each(run, len(s.chunks), s.ascendTask)
	m.SyncParallel(run)
	return norm, nil
}

// Return puts back the parameters Ascend saved.
func (s *SAM) Return(m *Net, run Parallel) {
	s.m = m
	each(run, len(s.chunks), s.returnTask)
	s.m = nil
	m.SyncParallel(run)
}

func (s *SAM) normChunk(_, t int) {
	c := s.chunks[t]
	s.partial[t] = sumSquares(s.g.G[c.param][c.lo:c.hi])
}

func (s *SAM) ascendChunk(_, t int) {
	c := s.chunks[t]
	p, g := s.m.params[c.param][c.lo:c.hi], s.g.G[c.param][c.lo:c.hi]
	copy(s.saved[c.param][c.lo:c.hi], p)
	for i := range p {
		p[i] += s.scale * g[i]
	}
}

func (s *SAM) returnChunk(_, t int) {
	c := s.chunks[t]
	copy(s.m.params[c.param][c.lo:c.hi], s.saved[c.param][c.lo:c.hi])
}

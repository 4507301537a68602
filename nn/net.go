// Package nn is a small multilayer perceptron on top of package kernels:
// Linear layers with ELU between them, a forward pass that keeps what the
// backward pass needs, gradients to the parameters or to the input only,
// log-sum-exp, cross-entropy and Adam. Conv2D (conv.go) is a 2-D
// convolution on the same kernels, as GEMMs over image patches (im2col.go),
// with its forward and backward passes; the MLP does not use it yet.
package nn

import (
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/ebm-project/ebm/kernels"
)

// DefaultSizes is the original model: 784-512-512-512-10.
var DefaultSizes = []int{784, 512, 512, 512, 10}

// EluAlpha is the ELU slope parameter of every hidden layer.
const EluAlpha = 1

// Linear is y = x*W + b with W stored in x out, row-major.
type Linear struct {
	In, Out int
	W, B    []float32
	// wt is W transposed (out x in), kept in step with W by Sync so that
	// the input gradient dY*W^T runs as a plain product, without
	// transposing W on every call.
	wt []float32
}

// MLP is Linear layers with ELU after all but the last.
type MLP struct {
	Sizes  []int
	Layers []*Linear
	params [][]float32

	syncBlocks [][3]int // layer, first row, end row of each Sync task
	syncTask   func(worker, task int)
}

// New returns an MLP with PyTorch's default initialisation: W and b uniform
// in [-1/sqrt(in), 1/sqrt(in)]. With a nil rng the parameters are zero (for
// loading).
func New(sizes []int, rng *rand.Rand) (*MLP, error) {
	if len(sizes) < 2 {
		return nil, fmt.Errorf("nn: sizes %v: need at least an input and an output size", sizes)
	}
	for i, s := range sizes {
		if s <= 0 {
			return nil, fmt.Errorf("nn: sizes[%d] = %d: sizes must be positive", i, s)
		}
	}
	m := &MLP{Sizes: append([]int(nil), sizes...)}
	for l := 0; l+1 < len(sizes); l++ {
		in, out := sizes[l], sizes[l+1]
		lin := &Linear{In: in, Out: out, W: make([]float32, in*out), B: make([]float32, out), wt: make([]float32, in*out)}
		if rng != nil {
			bound := 1 / math.Sqrt(float64(in))
			for i := range lin.W {
				lin.W[i] = float32((2*rng.Float64() - 1) * bound)
			}
			for i := range lin.B {
				lin.B[i] = float32((2*rng.Float64() - 1) * bound)
			}
		}
		m.Layers = append(m.Layers, lin)
		m.params = append(m.params, lin.W, lin.B)
		for i0 := 0; i0 < in; i0 += syncRows {
			m.syncBlocks = append(m.syncBlocks, [3]int{l, i0, min(in, i0+syncRows)})
		}
	}
	m.syncTask = m.syncBlock
	m.Sync()
	return m, nil
}

// Sync refreshes derived copies of the weights; call it after changing W
// directly (Adam.Step and loading do it themselves).
func (m *MLP) Sync() { m.SyncParallel(nil) }

// SyncParallel is Sync on the pool run (nil: serial).
func (m *MLP) SyncParallel(run Parallel) { each(run, len(m.syncBlocks), m.syncTask) }

// syncRows is how many rows of W one Sync task transposes.
const syncRows = 64

// syncBlock transposes rows [i0, i1) of one layer's W into columns
// [i0, i1) of wt.
func (m *MLP) syncBlock(_, t int) {
	b := m.syncBlocks[t]
	l := m.Layers[b[0]]
	if err := kernels.Transpose(b[2]-b[1], l.Out, l.W[b[1]*l.Out:], l.Out, l.wt[b[1]:], l.In); err != nil {
		// W and wt are the layer's own In x Out arrays: unreachable.
		panic("nn: sync: " + err.Error())
	}
}

// In and Out are the input and output widths.
func (m *MLP) In() int  { return m.Sizes[0] }
func (m *MLP) Out() int { return m.Sizes[len(m.Sizes)-1] }

// NumParams counts weights and biases.
func (m *MLP) NumParams() int {
	n := 0
	for _, l := range m.Layers {
		n += len(l.W) + len(l.B)
	}
	return n
}

// Params lists the parameter slices in a fixed order: W, b per layer. The
// slice is shared; do not modify it.
func (m *MLP) Params() [][]float32 { return m.params }

// Grads has one slice per parameter slice, in the order of Params.
type Grads struct {
	G        [][]float32
	chunks   []chunk
	zeroTask func(worker, task int)
}

// NewGrads allocates zeroed gradients shaped like m's parameters.
func (m *MLP) NewGrads() *Grads {
	g := &Grads{}
	for _, p := range m.Params() {
		g.G = append(g.G, make([]float32, len(p)))
	}
	g.chunks = chunksOf(g.G)
	g.zeroTask = func(_, t int) {
		c := g.chunks[t]
		clear(g.G[c.param][c.lo:c.hi])
	}
	return g
}

// Zero clears every gradient.
func (g *Grads) Zero() { g.ZeroParallel(nil) }

// ZeroParallel is Zero on the pool run (nil: serial).
func (g *Grads) ZeroParallel(run Parallel) { each(run, len(g.chunks), g.zeroTask) }

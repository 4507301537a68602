// Package nn is a small neural network on top of package kernels: a
// sequence of convolutions and dense layers with ELU between them, a
// forward pass that keeps what the backward pass needs, gradients to the
// parameters or to the input only, log-sum-exp, cross-entropy and Adam.
// A convolution is a dense layer applied to every patch of its input image
// (im2col.go), so both kinds run on the same GEMMs.
package nn

import (
	"math"
	"math/rand/v2"

	"github.com/ebm-project/ebm/kernels"
)

// DefaultSizes is the original model: 784-512-512-512-10.
var DefaultSizes = []int{784, 512, 512, 512, 10}

// EluAlpha is the ELU slope parameter of every hidden layer.
const EluAlpha = 1

// Layer is y = x*W + b with W stored In x Out, row-major: a dense layer on
// the whole input, or, when Conv is set, a convolution, the same map on
// every patch of the input image (In = K*K*InC values, Out = its channels).
type Layer struct {
	In, Out int
	W, B    []float32
	Conv    *Conv2D // the convolution's geometry; nil for a dense layer
	// chunk is how many images a convolution's input gradient takes at a
	// time where it goes through patch gradients: as many as keep them
	// within patchBytes. 0: all at once.
	chunk int
	// packed holds W (for the forward pass x*W) and W^T (for the input
	// gradient dY*W^T) in the GEMM kernel's panels, packed by Sync once for
	// all the products until W changes: every step of a Langevin chain.
	packed [2]kernels.PackedB
	// tconv, if set, computes the convolution's input gradient by phases
	// (transposed.go) instead of from W^T's patch gradients.
	tconv *transposed
	// packings are the matrices Sync packs: W, and W^T or tconv's phases.
	packings []packing
}

// packing is one packed matrix of a layer and what it packs.
type packing struct {
	p      *kernels.PackedB
	transB bool
	k, n   int
	b      []float32
}

// newPackings lists the layer's packed matrices.
func (l *Layer) newPackings() []packing {
	out := []packing{{p: &l.packed[packedW], k: l.In, n: l.Out, b: l.W}}
	if l.tconv == nil {
		return append(out, packing{p: &l.packed[packedWT], transB: true, k: l.Out, n: l.In, b: l.W})
	}
	for i := range l.tconv.phases {
		if ph := &l.tconv.phases[i]; ph.ty > 0 && ph.tx > 0 {
			out = append(out, packing{p: &ph.packed, k: ph.ty * ph.tx * l.Out, n: l.Conv.InC, b: ph.w})
		}
	}
	return out
}

// The matrices of Layer.packed.
const (
	packedW  = 0 // W, In x Out
	packedWT = 1 // W^T, Out x In
)

// Rows is the number of rows the layer's product has per image: its
// output pixels for a convolution, 1 for a dense layer.
func (l *Layer) Rows() int {
	if l.Conv == nil {
		return 1
	}
	return l.Conv.OutH * l.Conv.OutW
}

// InSize and OutSize are the floats of one image's input and output.
func (l *Layer) InSize() int {
	if l.Conv == nil {
		return l.In
	}
	return l.Conv.In()
}
func (l *Layer) OutSize() int { return l.Rows() * l.Out }

// patchBytes bounds the patch gradients a convolution's input-gradient
// product writes and col2im then reads: a share of a core's L2 cache, so
// that col2im finds them there (a shard's whole patch matrix is megabytes).
const patchBytes = 256 << 10

// Net is the layers of an Arch: convolutions, then dense layers, ELU after
// all but the last.
type Net struct {
	Arch   Arch
	Layers []*Layer
	params [][]float32

	syncParts [][4]int // layer, matrix, part, parts of each Sync task
	syncTask  func(worker, task int)
}

// New returns a network with PyTorch's default initialisation: W and b
// uniform in [-1/sqrt(fan_in), 1/sqrt(fan_in)], fan_in = In, drawn layer by
// layer, W before b. With a nil rng the parameters are zero (for loading).
func New(arch Arch, rng *rand.Rand) (*Net, error) {
	if err := arch.Validate(); err != nil {
		return nil, err
	}
	geo, _ := arch.convGeometry()
	m := &Net{Arch: Arch{Shape: append([]int(nil), arch.Shape...), Convs: append([]ConvSpec(nil), arch.Convs...), Sizes: append([]int(nil), arch.Sizes...)}}
	var layers []*Layer
	for _, g := range geo {
		rows := g.OutH * g.OutW
		l := &Layer{In: g.patch, Out: g.OutC, Conv: g, tconv: newTransposed(g)}
		if l.tconv == nil {
			l.chunk = max(1, patchBytes/(4*rows*g.patch))
		}
		layers = append(layers, l)
	}
	for i := 0; i+1 < len(arch.Sizes); i++ {
		layers = append(layers, &Layer{In: arch.Sizes[i], Out: arch.Sizes[i+1]})
	}
	for li, l := range layers {
		l.W, l.B = make([]float32, l.In*l.Out), make([]float32, l.Out)
		if rng != nil {
			bound := 1 / math.Sqrt(float64(l.In))
			for i := range l.W {
				l.W[i] = float32((2*rng.Float64() - 1) * bound)
			}
			for i := range l.B {
				l.B[i] = float32((2*rng.Float64() - 1) * bound)
			}
		}
		m.Layers = append(m.Layers, l)
		m.params = append(m.params, l.W, l.B)
		l.packings = l.newPackings()
		for matrix, pk := range l.packings {
			parts := max(1, (pk.k*pk.n+syncValues-1)/syncValues)
			for part := range parts {
				m.syncParts = append(m.syncParts, [4]int{li, matrix, part, parts})
			}
		}
	}
	m.syncTask = m.syncPart
	m.Sync()
	return m, nil
}

// Sync refreshes derived copies of the weights; call it after changing W
// directly (Adam.Step and loading do it themselves).
func (m *Net) Sync() { m.SyncParallel(nil) }

// SyncParallel is Sync on the pool run (nil: serial).
func (m *Net) SyncParallel(run Parallel) {
	for _, l := range m.Layers {
		if l.tconv != nil {
			l.tconv.arrange(l.Conv, l.W)
		}
		for _, pk := range l.packings {
			// b is W (In x Out, read transposed for W^T) or a phase
			// matrix, each with the sizes New listed: unreachable.
			ldb := pk.n
			if pk.transB {
				ldb = pk.k
			}
			if err := pk.p.Reset(pk.transB, pk.k, pk.n, pk.b, ldb); err != nil {
				panic("nn: sync: " + err.Error())
			}
		}
	}
	each(run, len(m.syncParts), m.syncTask)
}

// syncValues is about how many weights one Sync task packs.
const syncValues = 64 << 10

func (m *Net) syncPart(_, t int) {
	s := m.syncParts[t]
	if err := m.Layers[s[0]].packings[s[1]].p.PackPart(s[2], s[3]); err != nil {
		panic("nn: sync: " + err.Error()) // parts from New: unreachable
	}
}

// In and Out are the input and output widths.
func (m *Net) In() int  { return m.Layers[0].InSize() }
func (m *Net) Out() int { return m.Layers[len(m.Layers)-1].OutSize() }

// NumParams counts weights and biases.
func (m *Net) NumParams() int {
	n := 0
	for _, l := range m.Layers {
		n += len(l.W) + len(l.B)
	}
	return n
}

// Params lists the parameter slices in a fixed order: W, b per layer. The
// slice is shared; do not modify it.
func (m *Net) Params() [][]float32 { return m.params }

// Grads has one slice per parameter slice, in the order of Params.
type Grads struct {
	G        [][]float32
	chunks   []chunk
	zeroTask func(worker, task int)
}

// NewGrads allocates zeroed gradients shaped like m's parameters.
func (m *Net) NewGrads() *Grads {
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

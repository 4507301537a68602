// Package nn is a small multilayer perceptron on top of package kernels:
// Linear layers with ELU between them, a forward pass that keeps what the
// backward pass needs, gradients to the parameters or to the input only,
// log-sum-exp, cross-entropy and Adam.
package nn

import (
	"errors"
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
	}
	m.Sync()
	return m, nil
}

// Sync refreshes derived copies of the weights; call it after changing W
// directly (Adam.Step and loading do it themselves).
func (m *MLP) Sync() {
	const tile = 32 // transpose in tiles that stay in L1
	for _, l := range m.Layers {
		for i0 := 0; i0 < l.In; i0 += tile {
			for j0 := 0; j0 < l.Out; j0 += tile {
				for i := i0; i < min(i0+tile, l.In); i++ {
					row := l.W[i*l.Out : (i+1)*l.Out]
					for j := j0; j < min(j0+tile, l.Out); j++ {
						l.wt[j*l.In+i] = row[j]
					}
				}
			}
		}
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
type Grads struct{ G [][]float32 }

// NewGrads allocates zeroed gradients shaped like m's parameters.
func (m *MLP) NewGrads() *Grads {
	g := &Grads{}
	for _, p := range m.Params() {
		g.G = append(g.G, make([]float32, len(p)))
	}
	return g
}

// Zero clears every gradient.
func (g *Grads) Zero() {
	for _, s := range g.G {
		clear(s)
	}
}

// Workspace holds the activations of one batch: what the forward pass
// keeps for the backward pass. One goroutine uses it at a time; the MLP's
// weights may be shared by many workspaces.
type Workspace struct {
	m        *MLP
	maxBatch int
	n        int         // rows in the last forward pass
	x        []float32   // the last input (not copied)
	acts     [][]float32 // acts[l] = output of layer l (post-ELU; logits for the last)
	deltas   [][]float32 // deltas[l] = dLoss/d(pre-activation of layer l)
	dx       []float32
}

// NewWorkspace allocates buffers for batches of up to maxBatch rows.
func (m *MLP) NewWorkspace(maxBatch int) *Workspace {
	ws := &Workspace{m: m, maxBatch: maxBatch, dx: make([]float32, maxBatch*m.In())}
	for _, l := range m.Layers {
		ws.acts = append(ws.acts, make([]float32, maxBatch*l.Out))
		ws.deltas = append(ws.deltas, make([]float32, maxBatch*l.Out))
	}
	return ws
}

// MaxBatch is the largest batch the workspace takes.
func (ws *Workspace) MaxBatch() int { return ws.maxBatch }

var errBatch = errors.New("nn: batch larger than the workspace")

// Forward runs n rows of x (n x In, row-major) and returns the logits
// (n x Out), owned by the workspace and valid until its next Forward.
func (ws *Workspace) Forward(x []float32, n int) ([]float32, error) {
	m := ws.m
	if n > ws.maxBatch || n < 0 {
		return nil, fmt.Errorf("%w: %d rows, workspace holds %d", errBatch, n, ws.maxBatch)
	}
	if len(x) < n*m.In() {
		return nil, fmt.Errorf("nn: forward: input has %d values, %d rows of %d need %d", len(x), n, m.In(), n*m.In())
	}
	ws.n, ws.x = n, x
	in := x
	for li, l := range m.Layers {
		out := ws.acts[li][:n*l.Out]
		for r := range n {
			copy(out[r*l.Out:(r+1)*l.Out], l.B)
		}
		if err := kernels.Sgemm(false, false, n, l.Out, l.In, 1, in, l.In, l.W, l.Out, 1, out, l.Out); err != nil {
			return nil, err
		}
		if li+1 < len(m.Layers) {
			if err := kernels.EluForward(out, out, EluAlpha); err != nil {
				return nil, err
			}
		}
		in = out
	}
	return ws.acts[len(m.Layers)-1][:n*m.Out()], nil
}

// Activation returns layer l's output (post-ELU for hidden layers) from the
// last Forward: n x Sizes[l+1], owned by the workspace.
func (ws *Workspace) Activation(l int) []float32 {
	return ws.acts[l][:ws.n*ws.m.Layers[l].Out]
}

// backward propagates dLogits (n x Out) down to the first layer's
// pre-activation. With g non-nil it accumulates parameter gradients; with
// wantDx it also computes the input gradient into ws.dx.
func (ws *Workspace) backward(dLogits []float32, g *Grads, wantDx bool) error {
	m, n := ws.m, ws.n
	L := len(m.Layers)
	if len(dLogits) < n*m.Out() {
		return fmt.Errorf("nn: backward: %d output gradients for %d rows of %d", len(dLogits), n, m.Out())
	}
	delta := ws.deltas[L-1][:n*m.Out()]
	copy(delta, dLogits)
	for li := L - 1; li >= 0; li-- {
		l := m.Layers[li]
		in := ws.x
		if li > 0 {
			in = ws.acts[li-1][:n*l.In]
		}
		if g != nil {
			// dW += in^T * delta, db += column sums of delta.
			if err := kernels.Sgemm(true, false, l.In, l.Out, n, 1, in, l.In, delta, l.Out, 1, g.G[2*li], l.Out); err != nil {
				return err
			}
			db := g.G[2*li+1]
			for r := range n {
				for j, v := range delta[r*l.Out : (r+1)*l.Out] {
					db[j] += v
				}
			}
		}
		if li == 0 && !wantDx {
			break
		}
		// d(in) = delta * W^T, through ELU below the first layer.
		var dIn []float32
		if li > 0 {
			dIn = ws.deltas[li-1][:n*l.In]
		} else {
			dIn = ws.dx[:n*l.In]
		}
		if err := kernels.Sgemm(false, false, n, l.In, l.Out, 1, delta, l.Out, l.wt, l.In, 0, dIn, l.In); err != nil {
			return err
		}
		if li > 0 {
			if err := kernels.EluBackward(dIn, dIn, in, EluAlpha); err != nil {
				return err
			}
		}
		delta = dIn
	}
	return nil
}

// Backward accumulates into g the gradient of a loss whose gradient with
// respect to the logits of the last Forward is dLogits.
func (ws *Workspace) Backward(dLogits []float32, g *Grads) error {
	return ws.backward(dLogits, g, false)
}

// InputGrad returns the gradient with respect to the input of the last
// Forward (n x In, owned by the workspace) for a loss with logits gradient
// dLogits. No parameter gradient is computed: this is what sampling needs.
func (ws *Workspace) InputGrad(dLogits []float32) ([]float32, error) {
	if err := ws.backward(dLogits, nil, true); err != nil {
		return nil, err
	}
	return ws.dx[:ws.n*ws.m.In()], nil
}

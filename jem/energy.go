// Package jem is the joint energy-based model over a network f with one
// output per class: p(y|x) = softmax f(x), E(x, y) = -f(x)[y] and
// E(x) = -logsumexp_y f(x)[y] (low energy = likely). Energy is what the
// Langevin sampler descends; Scores gives p(y|x) and E(x) at once. Train,
// eval and the web page all take the energy from here.
package jem

import (
	"fmt"
	"math"

	"github.com/ebm-project/ebm/langevin"
	"github.com/ebm-project/ebm/nn"
)

// Energy exposes a network to the sampler: E(x) = -logsumexp_y f(x)[y], or
// E(x,y) = -f(x)[y] for class-conditional chains.
type Energy struct{ Model *nn.Net }

// Dim is the input width.
func (e Energy) Dim() int { return e.Model.In() }

// NewEvaluator allocates one worker's scratch space.
func (e Energy) NewEvaluator(n int) langevin.Evaluator {
	return &evaluator{ws: e.Model.NewWorkspace(n), dl: make([]float32, n*e.Model.Out()), out: e.Model.Out()}
}

// NonFinite reports a chain whose energy is NaN or infinite.
type NonFinite struct {
	Chain  int
	Energy float32
}

func (e *NonFinite) Error() string {
	return fmt.Sprintf("train: energy of chain %d is %v: the model has diverged", e.Chain, e.Energy)
}

type evaluator struct {
	ws  *nn.Workspace
	dl  []float32
	out int
}

// EnergyGrad: dE(x)/dlogits = -softmax(f(x)); dE(x,y)/dlogits = -onehot(y).
func (ev *evaluator) EnergyGrad(x []float32, y []int, e, grad []float32) error {
	n := len(e)
	logits, err := ev.ws.Forward(x, n)
	if err != nil {
		return err
	}
	dl := ev.dl[:n*ev.out]
	for i := range n {
		z := logits[i*ev.out : (i+1)*ev.out]
		d := dl[i*ev.out : (i+1)*ev.out]
		if y == nil {
			lse := nn.Softmax(d, z)
			for j := range d {
				d[j] = -d[j]
			}
			e[i] = float32(-lse)
		} else {
			clear(d)
			d[y[i]] = -1
			e[i] = -z[y[i]]
		}
		if math.IsNaN(float64(e[i])) || math.IsInf(float64(e[i]), 0) {
			return &NonFinite{Chain: i, Energy: e[i]}
		}
	}
	dx, err := ev.ws.InputGrad(dl)
	if err != nil {
		return err
	}
	copy(grad, dx)
	return nil
}

// scoreBatch is how many images Scores passes at a time; no score depends
// on it (GEMM rows are computed independently).
const scoreBatch = 256

// Scores returns p(y|x) (n x classes, row-major) and E(x) for the n images
// in x: the classifier and the energy from one forward pass.
func Scores(m *nn.Net, x []float32, n int) (probs []float32, energies []float64, err error) {
	out := m.Out()
	ws := m.NewWorkspace(min(n, scoreBatch))
	probs, energies = make([]float32, n*out), make([]float64, n)
	for lo := 0; lo < n; lo += ws.MaxBatch() {
		b := min(ws.MaxBatch(), n-lo)
		logits, err := ws.Forward(x[lo*m.In():(lo+b)*m.In()], b)
		if err != nil {
			return nil, nil, err
		}
		for i := range b {
			r := lo + i
			energies[r] = -nn.Softmax(probs[r*out:(r+1)*out], logits[i*out:(i+1)*out])
		}
	}
	return probs, energies, nil
}

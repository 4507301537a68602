package train

import (
	"fmt"
	"math/rand/v2"

	"github.com/ebm-project/ebm/internal/streams"
	"github.com/ebm-project/ebm/jem"
	"github.com/ebm-project/ebm/langevin"
	"github.com/ebm-project/ebm/nn"
)

// GridSize is the number of images in every grid a run writes.
const GridSize = 64

// gridColumns is the width of a run's grids, in images.
const gridColumns = 8

// Chains describe fresh Langevin chains: how many, the energy (a class, or
// -1 for E(x)), where they start and the dynamics.
type Chains struct {
	N     int
	Class int // >= 0: sample E(x, Class); -1: E(x)
	// Start is the law of the first points (nil: uniform noise); an
	// unconditional chain starts from a class drawn at random.
	Start langevin.Start
	langevin.Config
}

// Chains are n unconditional chains with the run's own dynamics, as long as
// the run's chain length (ChainSteps).
func (c *Checkpoint) Chains(n int) Chains {
	d := c.Recipe.Dynamics()
	d.Steps, d.Seed = c.ChainSteps(), 1
	return Chains{N: n, Class: -1, Config: d}
}

// Sample runs the chains ch on model and returns them (N x pixels).
func Sample(model *nn.Net, ch Chains) ([]float32, error) {
	if ch.N <= 0 || ch.Steps <= 0 {
		return nil, fmt.Errorf("sample: --samples = %d, --langevin_steps = %d: both must be positive", ch.N, ch.Steps)
	}
	if ch.Class >= model.Out() {
		return nil, fmt.Errorf("sample: --class %d: the model has %d classes", ch.Class, model.Out())
	}
	s, err := langevin.New(jem.Energy{Model: model}, ch.Config)
	if err != nil {
		return nil, err
	}
	defer s.Close()
	dim := model.In()
	x := make([]float32, ch.N*dim)
	var y []int
	if ch.Class >= 0 {
		y = make([]int, ch.N)
		for i := range y {
			y[i] = ch.Class
		}
	}
	if ch.Start != nil {
		langevin.FillChains(ch.Start, x, dim, y, model.Out(), rand.New(rand.NewPCG(ch.Seed^streams.EvalStart, streams.SampleRound)))
	}
	return x, s.Run(x, y, nil, ch.Start == nil, streams.SampleRound)
}

// writeSamples writes a grid of generated images: with a replay buffer, 64
// evenly spaced slots (slots are filled in random order, so this is a fair
// sample of what training sees; the longest-running chains alone drift
// towards 1s and misrepresent it); otherwise fresh chains of the training
// length in the given Langevin round.
func (t *Trainer) writeSamples(path string, round uint64) error {
	dim := t.Train.Dim()
	n := GridSize
	x := make([]float32, n*dim)
	if t.Buffer != nil {
		n = min(n, t.Buffer.Size())
		for i := range n {
			k := i * t.Buffer.Size() / n
			copy(x[i*dim:], t.Buffer.Data[k*dim:(k+1)*dim])
		}
	} else if err := t.sampler.Run(x, nil, nil, true, round); err != nil {
		return err
	}
	return WriteGrid(path, x, n, t.Train.Shape(), gridColumns)
}
